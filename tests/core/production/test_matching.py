"""The match rule, exactly: the normalisations, the carrier naming rule (prefixes, aliases, a name
naming several plugins), the person and year, the choice among several policies, and a carrier
plugin installed after the fact."""

from dataclasses import replace

import pytest

from downline.core import plugins
from downline.core.production.naming import (
    carrier_names,
    carriers_named,
    last_name_key,
    last_name_of,
    normalised,
)
from tests.core.production.effectuation import HIERARCHY, client, ingest, policy
from tests.core.production.test_reconciliation_api import LIST, SUMMARY, reconciled, statuses


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("O'Brien-Núñez", "obriennunez"),
        ("OBRIEN NUNEZ", "obriennunez"),
        ("D’Angelo", "dangelo"),
        ("de la Cruz", "delacruz"),
        ("Müller", "muller"),
        ("Straße", "strasse"),
        ("Ngọc", "ngoc"),
        ("  ", None),
        (None, None),
    ],
)
def test_last_name_key_folds_accents_apostrophes_hyphens_spaces_and_case(written, key):
    assert last_name_key(written) == key


def test_carrier_text_is_case_folded_letters_and_digits_only():
    assert normalised("Aetna CVS Health") == "aetnacvshealth"
    assert normalised("Banner|Aetna") == "banneraetna"
    assert normalised("Café") == "café"  # accents are kept for carriers: the rule says case only
    assert normalised("—") is None


def test_a_stored_policy_name_s_last_name_is_after_the_first_space():
    assert last_name_of("Maria De La Cruz") == "De La Cruz"
    assert last_name_of("Cher") == "Cher"


@pytest.mark.parametrize(
    ("written", "named"),
    [
        ("Aetna CVS Health", {"aetna"}),
        ("UnitedHealthcare", {"uhc"}),
        ("United Healthcare Community Plan", {"uhc"}),
        ("AARP Medicare Advantage", {"uhc"}),
        ("uhc", {"uhc"}),
        ("Banner Health", {"banner"}),
        ("Brand New Day", {"bnd"}),
        ("Elevance Health", {"anthem"}),
        ("Anthem Blue Cross Blue Shield", {"anthem"}),
        ("Central Health Plan", {"central_health_plan"}),  # by its key, underscores dropped
        ("Oscar", set()),
        ("Health Net", set()),  # a prefix of no name: "health" alone names nothing
        ("", set()),
        (None, set()),
    ],
)
def test_a_carrier_is_named_by_its_key_name_or_alias_as_a_prefix(written, named):
    assert carriers_named(written, carrier_names(plugins.installed_parsers())) == named


class _Plugin:
    """A carrier plugin registered on the process's plugin manager for one test."""

    def __init__(self, *parsers) -> None:
        self.downline_carrier_parsers = plugins.provide(*parsers)


@pytest.fixture
def install():
    """Register carrier parsers as a plugin would, for this test only."""

    def add(*parsers) -> None:
        plugins.installed().register(_Plugin(*parsers), name=f"test-{parsers[0].key}")
        plugins.installed_parsers.cache_clear()

    yield add
    plugins.reset()


def test_a_plugin_installed_after_the_fact_changes_the_status_at_once(
    api, load_book, cli, tmp_path, install
):
    clients = [client("oscar", "a-east", carrier="Oscar Health"), client("uhc", "a-east")]
    assert not load_book(dict(HIERARCHY, clients=clients)).rejections
    ingest(cli, tmp_path, [policy("U-1", "200", "Uhc")])
    assert statuses(api) == {"oscar": "NO_CARRIER_FEED", "uhc": "EFFECTUATED"}

    uhc = plugins.installed_parsers()["uhc"]
    install(replace(uhc, key="oscar", name="Oscar", aliases=()))
    assert statuses(api) == {"oscar": "AWAITING_CARRIER", "uhc": "EFFECTUATED"}
    path = tmp_path / "oscar.csv"
    path.write_text((tmp_path / "uhc.csv").read_text().replace(",Uhc,", ",Oscar,"))
    assert "SUCCEEDED" in cli("ingest", path, "--carrier", "oscar", "--as-of", "2026-04-01").output
    assert statuses(api) == {"oscar": "EFFECTUATED", "uhc": "EFFECTUATED"}

    plugins.reset()  # uninstalled: its policies stay, nothing names them
    assert statuses(api) == {"oscar": "NO_CARRIER_FEED", "uhc": "EFFECTUATED"}


def test_a_name_naming_two_plugins_has_no_carrier_feed(api, load_book, cli, tmp_path, install):
    assert not load_book(dict(HIERARCHY, clients=[client("c", "a-east")])).rejections
    ingest(cli, tmp_path, [policy("U-1", "200", "C")])
    assert statuses(api) == {"c": "EFFECTUATED"}
    install(replace(plugins.installed_parsers()["uhc"], key="united", name="United", aliases=()))
    (node,) = reconciled(api).values()
    assert node["status"] == "NO_CARRIER_FEED"
    assert node["reason"] == (
        "“UnitedHealthcare” could name more than one carrier downline reads reports of; write "
        "the carrier's full name on the application."
    )
    buckets = api.gql(SUMMARY, {"g": ["CARRIER"]}, as_="admin@top.test")["reconciliationSummary"]
    assert [(b["carrier"], b["count"]) for b in buckets] == [(None, 1)]


def test_the_person_is_the_normalised_last_name_the_birth_date_and_the_state(
    api, load_book, cli, tmp_path
):
    clients = [
        client("accents", "a-east", last_name="O'Brien-Núñez"),
        client("other-birth", "a-east", last_name="Birth"),
        client("other-state", "a-east", last_name="State"),
        client("first-names-differ", "a-east", first_name="Robert", last_name="Nick"),
        client("no-birth-date", "a-east", last_name="Nobirth", date_of_birth=None),
    ]
    assert not load_book(dict(HIERARCHY, clients=clients)).rejections
    ingest(
        cli,
        tmp_path,
        [
            policy("U-1", "200", "OBRIEN NUNEZ"),
            policy("U-2", "200", "Birth", dob="1950-01-02"),
            policy("U-3", "200", "State", state="GA"),
            policy("U-4", "200", "Nick", first="Bob"),
            policy("U-5", "200", "Nobirth"),
        ],
    )
    assert statuses(api) == {
        "accents": "EFFECTUATED",
        "other-birth": "NOT_IN_CARRIER_REPORTS",
        "other-state": "NOT_IN_CARRIER_REPORTS",
        "first-names-differ": "EFFECTUATED",
        "no-birth-date": "NOT_IN_CARRIER_REPORTS",
    }


def test_the_year_is_the_plan_year_or_366_days_after_the_submission(api, load_book, cli, tmp_path):
    clients = [
        client("plan-year", "a-east", last_name="Year"),
        client("last-year", "a-east", last_name="Lastyear"),
        client("no-year", "a-east", last_name="Noyear", plan_year=None),
        client("too-late", "a-east", last_name="Toolate", plan_year=None),
        client("before", "a-east", last_name="Before", plan_year=None),
    ]
    assert not load_book(dict(HIERARCHY, clients=clients)).rejections
    ingest(
        cli,
        tmp_path,
        [
            policy("U-1", "200", "Year", effective="2026-12-01"),
            policy("U-2", "200", "Lastyear", effective="2025-12-01"),
            policy("U-3", "200", "Noyear", effective="2027-01-11"),  # day 366 after 2026-01-10
            policy("U-4", "200", "Toolate", effective="2027-01-12"),
            policy("U-5", "200", "Before", effective="2026-01-09"),
        ],
    )
    assert statuses(api) == {
        "plan-year": "EFFECTUATED",
        "last-year": "NOT_IN_CARRIER_REPORTS",
        "no-year": "EFFECTUATED",
        "too-late": "NOT_IN_CARRIER_REPORTS",
        "before": "NOT_IN_CARRIER_REPORTS",
    }


def test_among_several_policies_the_agents_own_then_the_latest_then_the_smallest_id(
    api, load_book, cli, tmp_path
):
    clients = [
        client("own", "a-east", last_name="Own"),
        client("latest", "a-east", last_name="Latest"),
        client("tie", "a-east", last_name="Tie"),
    ]
    assert not load_book(dict(HIERARCHY, clients=clients)).rejections
    ingest(
        cli,
        tmp_path,
        [
            policy("OWN-OTHER-NPN", "400", "Own", effective="2026-06-01"),
            policy("OWN-OLD", "200", "Own", effective="2026-02-01", status="Disenrolled"),
            policy("OWN-NEW", "200", "Own", effective="2026-03-01", status="Pending"),
            policy("LATEST-1", "400", "Latest", effective="2026-02-01"),
            policy("LATEST-2", "300", "Latest", effective="2026-04-01"),
            policy("TIE-A", "200", "Tie"),
            policy("TIE-B", "200", "Tie"),
        ],
    )
    nodes = reconciled(api)
    assert nodes["own"]["policy"]["carrierPolicyId"] == "OWN-NEW"
    assert nodes["own"]["status"] == "PENDING"
    assert nodes["latest"]["policy"]["carrierPolicyId"] == "LATEST-2"
    assert nodes["latest"]["status"] == "AGENT_OF_RECORD_ELSEWHERE"
    ids = api.gql(
        "{ production(first: 50) { edges { node { id carrierPolicyId } } } }", as_="admin@top.test"
    )["production"]["edges"]
    tie = min(
        (e["node"]["id"], e["node"]["carrierPolicyId"])
        for e in ids
        if "TIE" in e["node"]["carrierPolicyId"]
    )
    assert nodes["tie"]["policy"]["carrierPolicyId"] == tie[1]


def test_without_application_lists_the_policies_no_application_of_the_tenant_matches(
    api, load_book, cli, tmp_path
):
    clients = [
        client("matched", "a-east", last_name="Matched"),
        client("archived", "a-east", last_name="Archived", archived=True),
        client("deep", "a-deep", last_name="Deep"),
    ]
    assert not load_book(dict(HIERARCHY, clients=clients)).rejections
    ingest(
        cli,
        tmp_path,
        [
            policy("P-MATCHED", "200", "Matched"),
            policy("P-ARCHIVED", "200", "Archived"),
            policy("P-STRANGER", "200", "Stranger"),
            policy("P-DEEP", "200", "Deep"),  # matched by Dan's client, written under Eve's NPN
        ],
    )
    query = "query($f: ProductionFilter) { production(filter: $f) { edges { node { carrierPolicyId } } } }"

    def listed(email, flag):
        edges = api.gql(query, {"f": {"withoutApplication": flag}}, as_=email)["production"]
        return sorted(e["node"]["carrierPolicyId"] for e in edges["edges"])

    assert listed("admin@top.test", True) == ["P-ARCHIVED", "P-STRANGER"]
    assert listed("admin@top.test", False) == ["P-DEEP", "P-MATCHED"]
    # Eve sees her policies; Dan's application still matches P-DEEP, out of her scope.
    assert listed("eve@t.test", True) == ["P-ARCHIVED", "P-STRANGER"]


def test_the_summary_groups_by_line_carrier_month_and_agent(api, load_book, cli, tmp_path):
    clients = [
        client("e1", "a-east", last_name="E1"),
        client("e2", "a-east", last_name="E2", carrier="Aetna CVS Health"),
        client("d1", "a-deep", last_name="D1", submitted_at="2026-02-03T10:00:00Z"),
        client("t1", "a-top", last_name="T1"),
        client("w1", "a-west", last_name="W1", carrier="Oscar"),
    ]
    assert not load_book(dict(HIERARCHY, clients=clients)).rejections
    ingest(cli, tmp_path, [policy("U-1", "200", "E1"), policy("U-2", "300", "D1")])

    def summary(groups, email="admin@top.test", downline_of=None):
        variables = {"g": groups, "d": downline_of}
        return api.gql(SUMMARY, variables, as_=email)["reconciliationSummary"]

    def line(b):
        return (b["line"]["agency"] or {}).get("id") or (b["line"]["agent"] or {}).get("id")

    assert {line(b): b["count"] for b in summary(["DOWNLINE"])} == {
        "east": 3,
        "west": 1,
        "a-top": 1,
    }
    assert {line(b): b["count"] for b in summary(["DOWNLINE"], downline_of="east")} == {
        "east-south": 1,
        "a-east": 2,
    }
    assert {line(b): b["count"] for b in summary(["DOWNLINE"], "eve@t.test")} == {"a-east": 2}
    assert {(b["carrier"], b["count"]) for b in summary(["CARRIER"])} == {
        ("uhc", 3),
        ("aetna", 1),
        (None, 1),
    }
    assert {(b["month"], b["count"]) for b in summary(["MONTH"])} == {
        ("2026-01-01", 4),
        ("2026-02-01", 1),
    }
    by_agent = {b["agent"]["id"]: b["effectuationRate"] for b in summary(["AGENT"])}
    # e2 (Aetna) awaits its first Aetna report: not rated.
    assert by_agent == {"a-east": 1.0, "a-deep": 1.0, "a-top": 0.0, "a-west": None}
    errors = api.errors(SUMMARY, {"g": ["DOWNLINE"], "d": "top"}, as_="admin@east.test")
    assert errors[0]["extensions"]["code"] == "NOT_FOUND"
    assert api.errors(SUMMARY, {"g": [], "d": "nope"}, as_="admin@top.test")


def test_a_page_costs_the_same_statements_whatever_its_size(
    api, load_book, cli, tmp_path, statements
):
    clients = [client(f"c{i:02d}", "a-east", last_name=f"N{i}") for i in range(30)]
    assert not load_book(dict(HIERARCHY, clients=clients)).rejections
    ingest(cli, tmp_path, [policy(f"U{i}", "200", f"N{i}") for i in range(30)])
    costs = []
    for first in (3, 20):  # both short of the end: no look at the NULL tail
        statements.clear()
        data = api.gql(LIST, {"first": first}, as_="admin@top.test")["reconciliation"]
        assert len(data["edges"]) == first
        costs.append(len(statements))
    nested = "{ clients(first: 30) { edges { node { reconciliation { status policy { id } } } } } }"
    statements.clear()
    api.gql(nested, as_="admin@top.test")
    batched = len(statements)
    assert costs[0] == costs[1]
    assert batched <= 5, (
        statements
    )  # the page, its reconciliations, their policies (and the viewer)


def test_the_api_lists_each_carriers_aliases(api, load_book):
    assert not load_book(HIERARCHY).rejections
    carriers = api.gql("{ carriers { key name aliases } }", as_="eve@t.test")["carriers"]
    aliases = {c["key"]: c["aliases"] for c in carriers}
    assert aliases["uhc"] == ["United Healthcare", "AARP Medicare"]
    assert aliases["bnd"] == ["Brand New Day"]
    assert aliases["anthem"] == ["Anthem Blue Cross", "Elevance"]
    assert aliases["humana"] == []
