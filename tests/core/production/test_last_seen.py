"""Policy.lastSeenAsOf: the as-of date of the newest report that listed the policy. A report that
lists it unchanged moves it (and not updatedAt); an older report never moves it back; a policy a
later report leaves out keeps its date, and ProductionFilter.notSeenSince finds it. updatedSince
finds what changed since a moment. The same on one upsert and in chunks (PostgreSQL)."""

from datetime import datetime, timedelta, timezone

import pytest

from downline.core.config import get_settings
from tests.core.production.humana import Row, humana_report

ROWS = [Row("P1", "18000001"), Row("P2", "18000002"), Row("P3", "18000003")]
LIST = """query($f: ProductionFilter) {
  production(filter: $f, first: 50) { edges { node { carrierPolicyId lastSeenAsOf updatedAt } } }
}"""


@pytest.fixture(params=[0, 1], ids=["one upsert", "chunks of one"])
def ingest(request, production_book, cli, tmp_path, monkeypatch):
    """Ingests rows as Top's admin, as of a day; chunked on PostgreSQL when asked."""
    monkeypatch.setenv("DOWNLINE_INGEST_CHUNK_ROWS", str(request.param))
    get_settings.cache_clear()

    def ingest(rows: list[Row], as_of: str) -> str:
        report = humana_report(tmp_path, f"humana-{as_of}.csv", rows)
        result = cli("ingest", report, "--as-of", as_of, "--as", "admin@top.test")
        assert result.exit_code == 0, result.output
        return result.output

    yield ingest
    get_settings.cache_clear()


def policies(api, filter=None) -> dict[str, tuple[str, str]]:
    """carrier policy id -> (lastSeenAsOf, updatedAt), as Top's admin sees them."""
    edges = api.gql(LIST, {"f": filter}, as_="admin@top.test")["production"]["edges"]
    return {
        e["node"]["carrierPolicyId"]: (e["node"]["lastSeenAsOf"], e["node"]["updatedAt"])
        for e in edges
    }


def test_a_policy_listed_again_is_seen_anew_without_changing(api, ingest):
    ingest(ROWS, "2026-11-01")
    first = policies(api)
    assert {k: seen for k, (seen, _) in first.items()} == dict.fromkeys(
        ("P1", "P2", "P3"), "2026-11-01"
    )

    output = ingest(ROWS, "2026-11-24")

    assert "inserted 0, updated 0, unchanged 3" in output
    after = policies(api)
    assert {k: seen for k, (seen, _) in after.items()} == dict.fromkeys(after, "2026-11-24")
    assert {k: updated for k, (_, updated) in after.items()} == {
        k: updated for k, (_, updated) in first.items()
    }


def test_an_older_report_never_moves_it_back(api, ingest):
    ingest(ROWS, "2026-11-24")
    before = policies(api)

    output = ingest(ROWS, "2026-11-10")

    assert "inserted 0, updated 0, unchanged 3" in output
    assert policies(api) == before


def test_an_older_report_with_a_change_moves_updated_at_but_not_last_seen(api, ingest):
    ingest(ROWS, "2026-11-24")
    before = policies(api)

    ingest([ROWS[0], Row("P2", "18000002", status="Pending"), ROWS[2]], "2026-11-10")

    after = policies(api)
    assert after["P2"][0] == "2026-11-24" and after["P2"][1] > before["P2"][1]
    assert after["P1"] == before["P1"] and after["P3"] == before["P3"]


def test_a_policy_a_later_report_leaves_out_is_not_seen_since(api, ingest):
    ingest(ROWS, "2026-11-24")
    before = policies(api)

    ingest([ROWS[0], Row("P2", "18000002", status="Pending")], "2026-12-08")

    after = policies(api)
    assert after["P1"] == ("2026-12-08", before["P1"][1])
    assert after["P2"][0] == "2026-12-08" and after["P2"][1] > before["P2"][1]
    assert after["P3"] == before["P3"]
    assert list(policies(api, {"notSeenSince": "2026-12-08"})) == ["P3"]
    assert list(policies(api, {"notSeenSince": "2026-11-24"})) == []  # seen on that day

    changed_at = after["P2"][1]
    assert list(policies(api, {"updatedSince": changed_at})) == ["P2"]  # at or after
    later = datetime.fromisoformat(changed_at) + timedelta(microseconds=1)
    assert list(policies(api, {"updatedSince": later.isoformat()})) == []
    assert set(policies(api, {"updatedSince": before["P1"][1]})) == {"P1", "P2", "P3"}


def test_updated_since_reads_an_instant_without_offset_as_utc_and_refuses_one_out_of_range(
    api, ingest
):
    ingest(ROWS, "2026-11-24")
    changed = policies(api)["P1"][1]
    assert set(policies(api, {"updatedSince": changed.removesuffix("+00:00")})) == {
        "P1",
        "P2",
        "P3",
    }
    later = (datetime.fromisoformat(changed) + timedelta(hours=1)).astimezone(
        timezone(timedelta(hours=-5))
    )  # the same instant an hour on, as New York writes it
    assert policies(api, {"updatedSince": later.isoformat()}) == {}
    (error,) = api.errors(
        LIST, {"f": {"updatedSince": "0001-01-01T00:00:00+05:00"}}, as_="admin@top.test"
    )
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "updatedSince"}
