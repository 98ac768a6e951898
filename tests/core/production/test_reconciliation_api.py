"""Effectuation through the API: every status and its reason, the precedence between them, the
match rule (person, year, carrier naming, choice), the scope of each role, and answers that change
at once when a report, a client or an agent does."""

import pytest

from tests.core.production.effectuation import HIERARCHY, client, ingest, policy

LIST = """query($f: ReconciliationFilter, $first: Int, $after: String) {
  reconciliation(filter: $f, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { client { id agent { name } } status reason
                   policy { carrierPolicyId agentNpn status } } }
  }
}"""
SUMMARY = """query($g: [ReconciliationDimension!]!, $f: ReconciliationFilter, $d: ID) {
  reconciliationSummary(groupBy: $g, filter: $f, downlineOf: $d) {
    agent { id } line { agency { id } agent { id } } carrier status month count effectuationRate
  }
}"""


def reconciled(api, email="admin@top.test", f=None) -> dict[str, dict]:
    data = api.gql(LIST, {"f": f, "first": 500}, as_=email)["reconciliation"]
    assert data["totalCount"] == len(data["edges"])
    return {e["node"]["client"]["id"]: e["node"] for e in data["edges"]}


def statuses(api, email="admin@top.test", f=None) -> dict[str, str]:
    return {cid: node["status"] for cid, node in reconciled(api, email, f).items()}


@pytest.fixture
def every_status(api, load_book, cli, tmp_path):
    """One application of Eve East (NPN 200) per status, and their UHC report as of 2026-04-01."""
    clients = [
        client("active", "a-east"),
        client("pending", "a-east"),
        client("cancelled", "a-east"),
        client("deceased", "a-east"),
        client("unknown", "a-east"),
        client("aor", "a-east"),
        client("oscar", "a-east", carrier="Oscar"),
        client("blank", "a-east", carrier=None),
        client("notin", "a-east"),
        client("await", "a-east", submitted_at="2026-03-20T10:00:00Z"),
        client("unsubmitted", "a-east", submitted_at=None, application_status="unsubmitted"),
        client("archived", "a-east", archived=True),
    ]
    assert not load_book(dict(HIERARCHY, clients=clients)).rejections
    ingest(
        cli,
        tmp_path,
        [
            policy("U-ACTIVE", "200", "Active"),
            policy("U-PENDING", "200", "Pending", status="Pending", effective="2026-05-01"),
            policy("U-CANCEL", "200", "Cancelled", status="Cancelled", term="2026-01-20"),
            policy("U-DEAD", "200", "Deceased", status="Deceased", term="2026-03-15"),
            policy("U-UNKNOWN", "200", "Unknown", status="Suspended"),
            policy("U-AOR", "400", "Aor"),
            policy("U-OSCAR", "200", "Oscar"),
            policy("U-ARCHIVED", "200", "Archived"),
        ],
    )


def test_each_status_with_its_reason(api, every_status):
    nodes = reconciled(api)
    got = {cid: (n["status"], n["reason"]) for cid, n in nodes.items()}
    assert got == {
        "active": (
            "EFFECTUATED",
            "UnitedHealthcare lists this policy as active since 2026-02-01.",
        ),
        "pending": (
            "PENDING",
            "UnitedHealthcare has approved this policy; it takes effect on 2026-05-01.",
        ),
        "cancelled": (
            "ENDED",
            "UnitedHealthcare ended this policy on 2026-01-20: the member cancelled after CMS "
            "accepted it, before the effective date.",
        ),
        "deceased": (
            "ENDED",
            "UnitedHealthcare lists the member as deceased as of 2026-03-15.",
        ),
        "unknown": (
            "UNKNOWN",
            "UnitedHealthcare lists this policy without saying whether it is in effect; ask "
            "UnitedHealthcare.",
        ),
        "aor": (
            "AGENT_OF_RECORD_ELSEWHERE",
            "UnitedHealthcare lists this policy under NPN 400, not Eve East's 200.",
        ),
        "oscar": (
            "NO_CARRIER_FEED",
            "downline reads no carrier reports for “Oscar”; install that carrier's plugin, or "
            "correct the carrier's name on the application.",
        ),
        "blank": (
            "NO_CARRIER_FEED",
            "No carrier is written on this application, so no carrier report can confirm it.",
        ),
        "notin": (
            "NOT_IN_CARRIER_REPORTS",
            "UnitedHealthcare's report as of 2026-04-01 does not list this application, "
            "submitted 2026-01-10; check it with UnitedHealthcare.",
        ),
        "await": (
            "AWAITING_CARRIER",
            "No UnitedHealthcare report as of 2026-04-19 or later has come in yet; it should "
            "list this application, submitted 2026-03-20.",
        ),
    }
    assert nodes["active"]["policy"] == {
        "carrierPolicyId": "U-ACTIVE",
        "agentNpn": "200",
        "status": "ACTIVE",
    }
    assert nodes["deceased"]["policy"]["status"] == "DECEASED"
    assert nodes["notin"]["policy"] is None and nodes["oscar"]["policy"] is None


def test_unsubmitted_and_archived_clients_have_no_reconciliation(api, every_status):
    query = "query($id: ID!) { node(id: $id) { ... on Client { reconciliation { status } } } }"
    for cid, expected in (("unsubmitted", None), ("archived", None), ("active", "EFFECTUATED")):
        node = api.gql(query, {"id": cid}, as_="admin@top.test")["node"]
        assert (node["reconciliation"] or {}).get("status") == expected, cid
    archived = statuses(api, f={"includeArchived": True})
    assert archived["archived"] == "EFFECTUATED"


def test_statuses_filter_and_summary_by_status(api, every_status):
    ended = statuses(api, f={"statuses": ["ENDED", "PENDING"]})
    assert ended == {"pending": "PENDING", "cancelled": "ENDED", "deceased": "ENDED"}
    buckets = api.gql(SUMMARY, {"g": ["STATUS"]}, as_="admin@top.test")["reconciliationSummary"]
    counts = {b["status"]: b["count"] for b in buckets}
    assert counts == {
        "NO_CARRIER_FEED": 2,
        "AGENT_OF_RECORD_ELSEWHERE": 1,
        "EFFECTUATED": 1,
        "PENDING": 1,
        "ENDED": 2,
        "UNKNOWN": 1,
        "NOT_IN_CARRIER_REPORTS": 1,
        "AWAITING_CARRIER": 1,
    }
    (total,) = api.gql(SUMMARY, {"g": []}, as_="admin@top.test")["reconciliationSummary"]
    # EFFECTUATED over everything but NO_CARRIER_FEED (2) and AWAITING_CARRIER (1): 1 of 7.
    assert total["count"] == 10 and total["effectuationRate"] == pytest.approx(1 / 7)
    rates = {b["status"]: b["effectuationRate"] for b in buckets}
    assert rates["NO_CARRIER_FEED"] is None and rates["EFFECTUATED"] == 1.0


def test_the_carriers_filter_lists_each_summary_buckets_applications(api, every_status):
    """A bucket of the summary by carrier and status lists through the same filter: its
    carrier's key (none for NO_CARRIER_FEED, whose carrier names no plugin) and its status."""
    buckets = api.gql(SUMMARY, {"g": ["CARRIER", "STATUS"]}, as_="admin@top.test")
    for bucket in buckets["reconciliationSummary"]:
        f = {"statuses": [bucket["status"]]}
        if bucket["carrier"]:
            f["carriers"] = [bucket["carrier"]]
        listed = statuses(api, f=f)  # totalCount, counted apart, agrees (reconciled asserts it)
        assert len(listed) == bucket["count"] and set(listed.values()) == {bucket["status"]}
    uhc = statuses(api, f={"carriers": ["uhc"]})
    assert len(uhc) == 8 and not {"oscar", "blank"} & set(uhc)
    assert statuses(api, f={"carriers": ["humana"]}) == {}
    f = {"carriers": ["uhc", "humana"]}
    (total,) = api.gql(SUMMARY, {"g": [], "f": f}, as_="admin@top.test")["reconciliationSummary"]
    assert total["count"] == 8 and total["effectuationRate"] == pytest.approx(1 / 7)


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        ("eve@t.test", {"mine-1", "mine-2", "aor-west", "aor-deep"}),
        ("dan@t.test", {"deep"}),
        ("admin@east.test", {"mine-1", "mine-2", "aor-west", "aor-deep", "deep"}),
        ("admin@top.test", {"mine-1", "mine-2", "aor-west", "aor-deep", "deep", "c-top", "c-west"}),
        ("admin@other.test", {"c-other"}),
    ],
)
def test_each_role_sees_the_clients_lists_scope(api, load_book, cli, tmp_path, email, expected):
    clients = [
        client("mine-1", "a-east"),
        client("mine-2", "a-east"),
        client("aor-west", "a-east"),
        client("aor-deep", "a-east"),
        client("deep", "a-deep"),
        client("c-top", "a-top"),
        client("c-west", "a-west"),
        client("c-other", "a-other"),
    ]
    assert not load_book(dict(HIERARCHY, clients=clients)).rejections
    ingest(cli, tmp_path, [policy("U-W", "400", "Aor-West"), policy("U-D", "300", "Aor-Deep")])
    nodes = reconciled(api, email)
    assert set(nodes) == expected
    clients_list = api.gql("{ clients(first: 100) { edges { node { id } } } }", as_=email)[
        "clients"
    ]["edges"]
    assert {e["node"]["id"] for e in clients_list} == expected


def test_a_sub_agency_admin_learns_another_agent_holds_the_policy_but_not_whose(
    api, load_book, cli, tmp_path
):
    clients = [client("aor-west", "a-east"), client("aor-deep", "a-east")]
    assert not load_book(dict(HIERARCHY, clients=clients)).rejections
    ingest(cli, tmp_path, [policy("U-W", "400", "Aor-West"), policy("U-D", "300", "Aor-Deep")])

    east = reconciled(api, "admin@east.test")
    assert east["aor-west"]["status"] == "AGENT_OF_RECORD_ELSEWHERE"
    assert east["aor-west"]["policy"] is None
    assert east["aor-west"]["reason"] == (
        "UnitedHealthcare lists this policy under another agent's NPN, not Eve East's 200."
    )
    # Dan (East South) is in East's downline: that policy East may see.
    assert east["aor-deep"]["policy"]["carrierPolicyId"] == "U-D"
    assert "under NPN 300, not Eve East's 200" in east["aor-deep"]["reason"]
    top = reconciled(api, "admin@top.test")
    assert top["aor-west"]["policy"]["carrierPolicyId"] == "U-W"
    eve = reconciled(api, "eve@t.test")
    assert eve["aor-deep"]["policy"] is None and eve["aor-west"]["policy"] is None
    assert {n["status"] for n in eve.values()} == {"AGENT_OF_RECORD_ELSEWHERE"}


def test_moving_an_agent_changes_what_is_seen_and_the_lines_at_once(api, load_book, cli, tmp_path):
    clients = [client("aor-deep", "a-east"), client("deep", "a-deep")]
    assert not load_book(dict(HIERARCHY, clients=clients)).rejections
    ingest(cli, tmp_path, [policy("U-D", "300", "Aor-Deep"), policy("U-DEEP", "300", "Deep")])
    assert reconciled(api, "admin@east.test")["aor-deep"]["policy"] is not None
    lines = api.gql(SUMMARY, {"g": ["DOWNLINE"]}, as_="admin@top.test")["reconciliationSummary"]
    assert {(b["line"]["agency"]["id"], b["count"]) for b in lines} == {("east", 2)}

    moved = dict(HIERARCHY["agents"][2], agency_id="west")  # Dan, to West
    assert not load_book({"agents": [moved]}).rejections

    east = reconciled(api, "admin@east.test")
    assert set(east) == {"aor-deep"} and east["aor-deep"]["policy"] is None
    assert east["aor-deep"]["status"] == "AGENT_OF_RECORD_ELSEWHERE"
    assert reconciled(api, "admin@top.test")["deep"]["status"] == "EFFECTUATED"
    lines = api.gql(SUMMARY, {"g": ["DOWNLINE"]}, as_="admin@top.test")["reconciliationSummary"]
    assert {(b["line"]["agency"]["id"], b["count"]) for b in lines} == {("east", 1), ("west", 1)}


def test_loading_a_client_and_ingesting_a_report_change_the_answers_at_once(
    api, load_book, cli, tmp_path
):
    assert not load_book(dict(HIERARCHY, clients=[client("late", "a-east")])).rejections
    assert statuses(api) == {"late": "AWAITING_CARRIER"}
    ingest(cli, tmp_path, [policy("U-1", "200", "Someone")], as_of="2026-02-08", name="a.csv")
    assert statuses(api) == {"late": "AWAITING_CARRIER"}  # as of 29 days after: still early
    ingest(cli, tmp_path, [policy("U-1", "200", "Someone")], as_of="2026-02-09", name="b.csv")
    assert statuses(api) == {"late": "NOT_IN_CARRIER_REPORTS"}  # 30 days after
    ingest(cli, tmp_path, [policy("U-2", "200", "Late", status="Pending")], name="c.csv")
    assert statuses(api) == {"late": "PENDING"}
    # Reloaded naming Aetna: no Aetna report yet.
    assert not load_book({"clients": [client("late", "a-east", carrier="Aetna")]}).rejections
    assert statuses(api) == {"late": "AWAITING_CARRIER"}


def test_the_grace_period_is_a_setting(api, load_book, cli, tmp_path, monkeypatch):
    from downline.core.config import get_settings

    assert not load_book(dict(HIERARCHY, clients=[client("c", "a-east")])).rejections
    ingest(cli, tmp_path, [policy("U-1", "200", "Someone")], as_of="2026-01-20")
    assert statuses(api) == {"c": "AWAITING_CARRIER"}
    monkeypatch.setenv("DOWNLINE_RECONCILE_GRACE_DAYS", "10")
    get_settings.cache_clear()
    try:
        assert statuses(api) == {"c": "NOT_IN_CARRIER_REPORTS"}
    finally:
        monkeypatch.delenv("DOWNLINE_RECONCILE_GRACE_DAYS")
        get_settings.cache_clear()


def test_a_report_of_another_tenant_or_carrier_does_not_count(api, load_book, cli, tmp_path):
    assert not load_book(dict(HIERARCHY, clients=[client("c", "a-east")])).rejections
    path = tmp_path / "uhc.csv"
    from tests.core.production.effectuation import uhc_report

    path.write_text(uhc_report([policy("U-9", "500", "Someone")]), encoding="utf-8")
    result = cli(
        "ingest", path, "--carrier", "uhc", "--as-of", "2026-04-01", "--as", "admin@other.test"
    )
    assert "SUCCEEDED" in result.output
    assert statuses(api) == {"c": "AWAITING_CARRIER"}
    path.write_text(uhc_report([policy("U-8", "100", "Someone")]), encoding="utf-8")
    result = cli(
        "ingest", path, "--carrier", "uhc", "--as-of", "2026-04-01", "--as", "admin@top.test"
    )
    assert "SUCCEEDED" in result.output
    assert statuses(api) == {"c": "NOT_IN_CARRIER_REPORTS"}
