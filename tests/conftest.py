"""Shared fixtures: a migrated database on SQLite and on PostgreSQL, emptied between tests.

PostgreSQL tests use a throwaway database created for the run. Where PostgreSQL cannot be reached
they are skipped with the reason shown, except under CI=true, where that is a failure.
"""

import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from downline.core import db, migrate
from sqlmodel import SQLModel

PG_ADMIN_URL = os.environ.get(
    "DOWNLINE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() == "true"


def unavailable(what: str, reason: str) -> None:
    """Skip a test that needs a service this machine lacks; under CI=true, fail instead."""
    message = f"{what} unavailable: {reason}"
    if IN_CI:
        pytest.fail(f"{message} (CI=true: service tests must run)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    name = f"downline_test_{uuid.uuid4().hex[:8]}"
    try:
        admin = sa.create_engine(
            PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
        )
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any failure to reach PostgreSQL means "not here"
        unavailable("PostgreSQL", str(exc).splitlines()[0])
    url = sa.engine.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    yield url
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def migrated() -> set[str]:
    """The database URLs already migrated in this run."""
    return set()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request, tmp_path_factory, migrated, monkeypatch) -> Iterator[str]:
    """A migrated, empty database; the settings point at it. Yields its URL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.getbasetemp() / 'downline.db'}"
    else:
        url = request.getfixturevalue("pg_url")
    var_dir = tmp_path_factory.mktemp("var")
    monkeypatch.setenv("DOWNLINE_DATABASE_URL", url)
    monkeypatch.setenv("DOWNLINE_VAR_DIR", str(var_dir))
    db.reset()
    if url not in migrated:
        migrate.upgrade()
        migrated.add(url)
    _empty(db.get_engine())
    yield url
    db.reset()


def _empty(engine: sa.Engine) -> None:
    tables = [t.name for t in reversed(SQLModel.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " CASCADE"))
        else:
            for table in tables:
                conn.execute(sa.text(f'DELETE FROM "{table}"'))
