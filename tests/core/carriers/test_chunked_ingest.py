"""Upserting a carrier report in chunks (PostgreSQL) gives exactly what one upsert gives: the
same policies, `updated_at`s and counts, the last row of a policy winning even when it comes
back in a later chunk. On SQLite the same files go through the one upsert."""

import pytest
from sqlalchemy import delete, event, select

from downline.core import db
from downline.core.config import get_settings
from downline.core.models import Policy, ReportRowError

from .test_ingest_cli import HUMANA, policies

CHUNK = 3  # the sample's 12 rows make four chunks


@pytest.fixture
def chunks(production_book, monkeypatch):
    """Sets the chunk size; returns a function that sets another (0: one upsert)."""

    def set_chunk(rows: int) -> None:
        monkeypatch.setenv("DOWNLINE_INGEST_CHUNK_ROWS", str(rows))
        get_settings.cache_clear()

    set_chunk(CHUNK)
    return set_chunk


@pytest.fixture
def chunk_upserts():
    """How many chunks were upserted (PostgreSQL), counted by their check for repeated ids."""
    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        if statement.startswith("INSERT INTO policy_seen"):
            seen.append(statement)

    engine = db.get_engine()
    event.listen(engine, "before_cursor_execute", count)
    yield seen
    event.remove(engine, "before_cursor_execute", count)


def state() -> dict[str, tuple]:
    """Every policy as the product sees it, without its generated id and timestamps."""
    return {
        k: (p.status, p.term_reason, p.plan_name, p.agent_npn, p.member_id, p.effective_date)
        for k, p in policies().items()
    }


def lines_of(path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def write(tmp_path, name: str, lines: list[str]):
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_report_in_chunks_loads_and_reloads_as_one_upsert_does(
    chunks, chunk_upserts, cli, tmp_path, database
):
    first = cli("ingest", HUMANA, "--as-of", "2026-11-24")
    assert "rows read 12, inserted 12, updated 0, unchanged 0, rejected 0" in first.output
    assert len(chunk_upserts) == (4 if database.startswith("postgresql") else 0)
    loaded = state()
    before = {k: p.updated_at for k, p in policies().items()}

    again = cli("ingest", HUMANA, "--as-of", "2026-11-24")
    assert "inserted 0, updated 0, unchanged 12, rejected 0" in again.output
    assert state() == loaded
    assert {k: p.updated_at for k, p in policies().items()} == before

    lines = lines_of(HUMANA)
    lines[10] = lines[10].replace(",Active,", ",Pending,")  # line 11, the fourth chunk
    changed = write(tmp_path, "humana-changed.csv", lines)
    result = cli("ingest", changed, "--as-of", "2026-11-24")
    assert "inserted 0, updated 1, unchanged 11" in result.output, result.output
    moved = {k for k, p in policies().items() if p.updated_at != before[k]}
    assert len(moved) == 1


def test_a_policy_back_in_a_later_chunk_counts_once_by_its_last_row(chunks, cli, tmp_path):
    """Line 2's policy comes back on line 16 (another chunk) as it was loaded, after line 15
    changed it: one upsert compares only the last row with the stored policy, so the policy
    is unchanged and its updated_at stays. The rejected line is stored once, not once a run."""
    assert cli("ingest", HUMANA, "--as-of", "2026-11-24").exit_code == 0
    loaded, before = state(), {k: p.updated_at for k, p in policies().items()}
    lines = lines_of(HUMANA)
    bad = lines[3].replace("08/01/2025", "13/45/2025")
    changed_first = lines[1].replace(",Active,", ",Pending,")
    path = write(tmp_path, "humana-back.csv", [*lines, bad, changed_first, lines[1]])

    result = cli("ingest", path, "--as-of", "2026-11-24")
    assert "rows read 15, inserted 0, updated 0, unchanged 12, rejected 1" in result.output, (
        result.output
    )
    assert "line 14:" in result.output
    assert state() == loaded
    assert {k: p.updated_at for k, p in policies().items()} == before
    with db.session() as session:
        stored = session.scalars(select(ReportRowError.line)).all()
    assert stored == [14]


@pytest.mark.parametrize("size", [1, 5, 11, 12, 13])
def test_every_chunk_size_gives_the_one_upserts_policies_and_counts(chunks, cli, tmp_path, size):
    lines = lines_of(HUMANA)
    mixed = write(tmp_path, "humana-mixed.csv", [*lines, lines[4].replace(",MAPD,", ",PDP,")])
    chunks(0)
    whole = cli("ingest", mixed, "--as-of", "2026-11-24").output
    expected = state()
    with db.session() as session:
        session.execute(delete(Policy))
        session.commit()

    chunks(size)
    chunked = cli("ingest", mixed, "--as-of", "2026-11-24").output
    assert "rows read 13, inserted 12, updated 0, unchanged 0, rejected 0" in whole
    assert "rows read 13, inserted 12, updated 0, unchanged 0, rejected 0" in chunked
    assert state() == expected


@pytest.mark.parametrize("size", [0, 1, 5])
def test_rows_naming_policies_outside_the_uploaders_book_are_refused_in_every_chunk(
    chunks, chunk_upserts, cli, tmp_path, database, size
):
    """n2 sends every row of the operator's report on its own NPN: the four policies of n1 and
    n3 (its tenant, not its book) are refused wherever their chunk falls; the policies of
    another tenant (n4's) and the operator's held ones are not even seen, so they are new
    policies of n2's tenant."""
    assert cli("ingest", HUMANA, "--as-of", "2026-11-24").exit_code == 0
    chunk_upserts.clear()
    lines = lines_of(HUMANA)
    own = [lines[0], *(",".join(["x", "18000002", *line.split(",")[2:]]) for line in lines[1:])]
    path = write(tmp_path, "humana-own.csv", own)
    with db.session() as session:
        before = set(session.execute(select(Policy.id, Policy.agent_npn, Policy.updated_at)))
    chunks(size)

    result = cli("ingest", path, "--as-of", "2026-11-24", "--as", "n2@t.test")

    assert "rows read 12, inserted 6, updated 0, unchanged 2, rejected 4" in result.output
    for line, policy in ((2, "HUM493184650"), (4, "HUM254574355"), (9, "HUM199677588")):
        assert f"line {line}: policy {policy} is outside your book" in result.output
    assert "line 11: policy HUM984542419 is outside your book" in result.output
    assert (len(chunk_upserts) > 1) == (size > 0 and database.startswith("postgres"))
    with db.session() as session:
        after = set(session.execute(select(Policy.id, Policy.agent_npn, Policy.updated_at)))
    assert before <= after and len(after) == 18
