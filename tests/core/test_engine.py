"""The engine's PostgreSQL connections run without JIT compilation (core/db.py: compiling an
export's statement cost a third of its time and won nothing back), and keep the server options
their URL names; `db.one_process` keeps parallel workers out of one transaction, not longer."""

import pytest
import sqlalchemy as sa

from downline.core import db

pytestmark = pytest.mark.postgres


def settings_of(url: str) -> tuple[str, str]:
    engine = db.make_engine(url, connections=1, wait=5)
    try:
        with engine.connect() as conn:
            return conn.exec_driver_sql("SHOW jit").scalar(), conn.exec_driver_sql(
                "SHOW work_mem"
            ).scalar()
    finally:
        engine.dispose()


def test_connections_run_without_jit(pg_url):
    jit, _ = settings_of(pg_url)
    assert jit == "off"


def test_the_urls_own_server_options_stay(pg_url):
    url = sa.engine.make_url(pg_url).update_query_dict({"options": "-c work_mem=7MB"})
    assert settings_of(url.render_as_string(hide_password=False)) == ("off", "7MB")


def test_one_process_holds_for_its_transaction_only(pg_url):
    from sqlmodel import Session

    engine = db.make_engine(pg_url, connections=1, wait=5)
    show = "SHOW max_parallel_workers_per_gather"
    try:
        with Session(engine) as session:
            default = session.connection().exec_driver_sql(show).scalar()
            db.one_process(session)
            assert session.connection().exec_driver_sql(show).scalar() == "0"
            session.commit()
            assert session.connection().exec_driver_sql(show).scalar() == default != "0"
    finally:
        engine.dispose()
