"""carrierFreshness: one entry per installed carrier, as each viewer sees it: the newest as-of of
the SUCCEEDED reports it may see, when the latest was uploaded, its policies and how many of them
the last report did not list, and whether the carrier went quiet (DOWNLINE_CARRIER_STALE_DAYS)."""

from datetime import UTC, datetime, timedelta

import pytest

from downline.core.config import get_settings
from tests.conftest import every_statement
from tests.core.production.humana import Row, humana_report

TODAY = datetime.now(UTC).date()
P1, P2, P3 = Row("P1", "18000001"), Row("P2", "18000002"), Row("P3", "18000003")
FRESHNESS = """{ carrierFreshness {
  carrier { key name } lastReportAsOf lastUploadedAt policies notSeenInLastReport stale
} }"""


def ago(days: int) -> str:
    return (TODAY - timedelta(days=days)).isoformat()


@pytest.fixture
def ingest(production_book, cli, tmp_path):
    """Ingests rows as of `days` ago, uploaded by `as_` (None: the operator)."""

    def ingest(rows: list[Row], days: int, as_: str | None = "admin@top.test") -> None:
        report = humana_report(tmp_path, f"humana-{days}-{as_}.csv", rows)
        who = ("--as", as_) if as_ else ()
        result = cli("ingest", report, "--as-of", ago(days), *who)
        assert result.exit_code == 0, result.output

    return ingest


def freshness(api, email: str) -> dict[str, dict]:
    entries = api.gql(FRESHNESS, as_=email)["carrierFreshness"]
    return {e["carrier"]["key"]: e for e in entries}


def humana(api, email: str) -> tuple:
    """(lastReportAsOf, policies, notSeenInLastReport, stale) of Humana."""
    entry = freshness(api, email)["humana"]
    return (
        entry["lastReportAsOf"],
        entry["policies"],
        entry["notSeenInLastReport"],
        entry["stale"],
    )


def test_every_installed_carrier_has_an_entry_even_without_reports(api, production_book):
    entries = api.gql(FRESHNESS, as_="admin@top.test")["carrierFreshness"]
    assert len(entries) == 17
    assert entries[0]["carrier"] == {"key": "aetna", "name": "Aetna"}
    for entry in entries:
        assert (entry["lastReportAsOf"], entry["lastUploadedAt"], entry["stale"]) == (
            None,
            None,
            True,
        )
        assert entry["policies"] == entry["notSeenInLastReport"] == 0


def test_policies_the_last_report_left_out_are_counted_and_listed(api, ingest):
    ingest([P1, P2, P3], days=30)
    first = freshness(api, "admin@top.test")["humana"]["lastUploadedAt"]
    ingest([P1, P2], days=5)

    entry = freshness(api, "admin@top.test")["humana"]
    assert (entry["lastReportAsOf"], entry["policies"], entry["notSeenInLastReport"]) == (
        ago(5),
        3,
        1,
    )
    assert entry["stale"] is False
    assert entry["lastUploadedAt"] > first
    listed = api.gql(
        "query($f: ProductionFilter) { production(filter: $f) { edges { node { carrierPolicyId } } } }",
        {"f": {"notSeenSince": entry["lastReportAsOf"]}},
        as_="admin@top.test",
    )["production"]["edges"]
    assert [e["node"]["carrierPolicyId"] for e in listed] == ["P3"]
    assert freshness(api, "admin@top.test")["aetna"]["stale"] is True


def test_each_viewer_sees_the_reports_and_policies_of_its_scope(api, ingest):
    ingest([P1, P2, P3], days=30)  # Top's admin's report: not East's to see
    ingest([P1, P2, P3], days=3, as_=None)  # the operator's: nobody's to see
    assert humana(api, "admin@top.test") == (ago(30), 3, 0, True)
    assert humana(api, "admin@east.test") == (None, 2, 0, True)
    assert humana(api, "n2@t.test") == (None, 1, 0, True)
    assert humana(api, "admin@other.test") == (None, 0, 0, True)

    ingest([P2], days=10, as_="admin@east.test")  # seen by East's admin and Top's

    # P1 and P3 were last seen 3 days ago, by the operator's report: after East's.
    assert humana(api, "admin@top.test") == (ago(10), 3, 0, False)
    assert humana(api, "admin@east.test") == (ago(10), 2, 0, False)
    assert humana(api, "n2@t.test") == (None, 1, 0, True)

    ingest([P2], days=1, as_="n2@t.test")  # the agent's own upload

    assert humana(api, "n2@t.test") == (ago(1), 1, 0, False)
    assert humana(api, "admin@east.test") == (ago(1), 2, 1, False)  # P3: seen 3 days ago
    assert humana(api, "admin@top.test") == (ago(1), 3, 2, False)


@pytest.mark.parametrize(
    ("setting", "days", "stale"),
    [
        (None, 21, False),  # 21 days is within the default
        (None, 22, True),
        ("30", 22, False),
        ("0", 0, False),  # as of today
        ("0", 1, True),
    ],
)
def test_a_carrier_is_stale_without_a_report_as_of_within_the_stale_days(
    api, ingest, monkeypatch, setting, days, stale
):
    if setting is not None:
        monkeypatch.setenv("DOWNLINE_CARRIER_STALE_DAYS", setting)
    get_settings.cache_clear()
    ingest([P1], days=days)
    try:
        assert freshness(api, "admin@top.test")["humana"]["stale"] is stale
    finally:
        monkeypatch.delenv("DOWNLINE_CARRIER_STALE_DAYS", raising=False)
        get_settings.cache_clear()


def test_two_statements_whatever_the_carriers_and_policies(api, ingest, cli):
    from tests.conftest import SAMPLES

    ingest([P1, P2, P3], days=5)
    for sample in ("aetna", "cigna", "devoted"):
        path = SAMPLES / f"{sample}-2026-11-24.csv"
        assert cli("ingest", path, "--as-of", ago(2), "--as", "admin@top.test").exit_code == 0
    seen: list[str] = []

    def count(statement, _parameters):
        if "FROM policy" in statement or "FROM carrier_report" in statement:
            seen.append(statement)

    with every_statement(count):
        entries = freshness(api, "admin@top.test")
    assert len(seen) == 2
    assert sum(e["policies"] for e in entries.values()) > 3
