"""Bulk writes leave PostgreSQL's planner statistics fresh: `downline demo` analyzes every table
it wrote, `downline load` and `downline ingest` the tables one of their files filled in bulk
(db.ANALYZE_ROWS rows or more), so the first pages after them are planned on real numbers, not
blind until autovacuum comes round."""

import pytest
import sqlalchemy as sa

from downline.core import db
from tests.conftest import SAMPLES

# Planner statistics are PostgreSQL's: SQLite is left as it was.
pytestmark = pytest.mark.parametrize(
    "database", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)


def analyzed() -> dict[str, int]:
    """How many times each table was analyzed by hand (autovacuum's own count apart)."""
    # A connection of its own: another transaction's snapshot of the statistics may be older.
    engine = sa.create_engine(db.get_settings().database_url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT relname, analyze_count FROM pg_stat_user_tables"))
        found = dict(rows.all())
    engine.dispose()
    return found


def grew(before: dict[str, int]) -> set[str]:
    return {name for name, count in analyzed().items() if count > before.get(name, 0)}


def test_a_demo_book_of_any_size_is_analyzed_before_the_command_returns(database, cli):
    before = analyzed()
    result = cli("demo", "--clients", "30", "--leads", "5", "--policies", "20")
    assert result.exit_code == 0, result.output
    assert {"client", "agent", "agency", "agency_closure", "user", "policy", "lead"} <= grew(before)
    engine = db.get_engine()
    with engine.connect() as conn:
        tuples = conn.execute(sa.text("SELECT reltuples FROM pg_class WHERE relname = 'client'"))
        assert tuples.scalar() == 30


def test_a_load_analyzes_the_tables_a_file_filled_in_bulk_only(database, load_book, monkeypatch):
    from tests.conftest import BOOK

    before = analyzed()
    assert not load_book(BOOK).rejections
    assert not {"client", "agent", "agency"} & grew(before)  # a few rows: autovacuum's job
    monkeypatch.setattr(db, "ANALYZE_ROWS", 3)
    before = analyzed()
    clients = [{**c, "last_name": c["last_name"] + "x"} for c in BOOK["clients"]]
    assert not load_book({"clients": clients}).rejections
    assert grew(before) >= {"client", "client_verification", "client_follow_up"}
    assert "agent" not in grew(before)


def test_a_large_carrier_report_analyzes_the_policies(database, production_book, cli, monkeypatch):
    before = analyzed()
    result = cli("ingest", SAMPLES / "humana-2026-11-24.csv", "--as-of", "2026-11-24")
    assert result.exit_code == 0, result.output
    assert "policy" not in grew(before)
    monkeypatch.setattr(db, "ANALYZE_ROWS", 12)
    before = analyzed()
    result = cli("ingest", SAMPLES / "aetna-2026-11-24.csv", "--as-of", "2026-11-24")
    assert "inserted 12" in result.output, result.output
    assert "policy" in grew(before)
