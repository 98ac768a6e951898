"""Production and its summary through the API, each caller seeing its scope; NPNs matched at
read time, so a moved agent's production moves at once."""

import pytest

from tests.conftest import SAMPLES

LIST = "query($f: ProductionFilter) { production(filter: $f, first: 100) { totalCount edges { node { carrierPolicyId agentNpn agent { id } status } } } }"


@pytest.fixture
def humana(production_book, cli):
    result = cli("ingest", SAMPLES / "humana-2026-11-24.csv", "--as-of", "2026-11-24")
    assert result.exit_code == 0, result.output


def policy_ids(api, email, filter=None):
    data = api.gql(LIST, {"f": filter}, as_=email)["production"]
    assert data["totalCount"] == len(data["edges"])
    return sorted(e["node"]["carrierPolicyId"] for e in data["edges"])


@pytest.mark.parametrize(
    ("email", "npns"),
    [
        ("admin@top.test", {"18000001", "18000002", "18000003"}),
        ("admin@east.test", {"18000002", "18000003"}),
        ("n2@t.test", {"18000002"}),
        ("admin@other.test", {"18000004"}),
    ],
)
def test_production_is_scoped_by_the_agent_its_npn_matches(api, humana, email, npns):
    edges = api.gql(LIST, as_=email)["production"]["edges"]
    assert {e["node"]["agentNpn"] for e in edges} == npns
    assert len(edges) == 2 * len(npns)


def test_production_order_is_updated_at_desc_then_id(api, humana, cli, tmp_path):
    text = (SAMPLES / "humana-2026-11-24.csv").read_text(encoding="utf-8")
    later = tmp_path / "humana.csv"
    later.write_text(
        text.replace(
            '11/22/1951,H9253,159,x,"Premier, Choice (PPO)"',
            '11/22/1951,H9253,160,x,"Premier, Choice (PPO)"',
        ),
        encoding="utf-8",
    )
    assert "updated 1" in cli("ingest", later, "--as-of", "2026-11-24").output
    data = api.gql(
        "{ production(first: 3) { edges { node { carrierPolicyId updatedAt id } } } }",
        as_="admin@top.test",
    )
    nodes = [e["node"] for e in data["production"]["edges"]]
    assert nodes[0]["carrierPolicyId"] == "HUM254574355"
    assert nodes[1]["updatedAt"] == nodes[2]["updatedAt"] and nodes[1]["id"] < nodes[2]["id"]


@pytest.mark.parametrize(
    ("filter", "expected"),
    [
        ({"statuses": ["ACTIVE"]}, ["HUM493184650", "HUM984542419"]),
        ({"productTypes": ["PDP"]}, ["HUM199677588", "HUM254574355"]),
        ({"states": ["ca"]}, ["HUM984542419"]),
        ({"carriers": ["HUMANA"], "agentIds": ["n1"]}, ["HUM199677588", "HUM493184650"]),
        ({"agencyIds": ["east"], "effectiveFrom": "2026-01-01"}, ["HUM649971745", "HUM984542419"]),
        ({"effectiveTo": "2024-12-01"}, ["HUM199677588", "HUM979781682"]),
        ({"carriers": ["aetna"]}, []),
        ({"agentIds": ["n4"]}, []),
    ],
)
def test_production_filters(api, humana, filter, expected):
    assert policy_ids(api, "admin@top.test", filter) == expected


def test_policy_fields_guidance_and_masked_birth_date(api, humana):
    data = api.gql(
        '{ production(filter: {statuses: [POLICY_DISENROLLMENT], productTypes: [PDP], agentIds: ["n3"]}) { edges { node { planId termReason termReasonGuidance sourceStatus dateOfBirthMasked clientName agent { name agency { name } } } } } }',
        as_="admin@top.test",
    )
    node = data["production"]["edges"][0]["node"]
    assert node == {
        "planId": "H9253-159",
        "termReason": "PLAN_CHANGE",
        "termReasonGuidance": "Was the plan change intended? If not, reach out to the member.",
        "sourceStatus": "Inactive / Enrolled in other plan",
        "dateOfBirthMasked": "**/**/****",
        "clientName": "James O'Neil",
        "agent": {"name": "Nia Three", "agency": {"name": "East"}},
    }


def test_summary_counts_by_agent(api, humana):
    data = api.gql(
        "{ productionSummary(groupBy: [AGENT]) { agent { id } carrier submitted approved active attrited disenrolled net } }",
        as_="admin@top.test",
    )
    assert data["productionSummary"] == [
        {
            "agent": {"id": "n1"},
            "carrier": None,
            "submitted": 2,
            "approved": 0,
            "active": 1,
            "attrited": 0,
            "disenrolled": 1,
            "net": 1,
        },
        {
            "agent": {"id": "n2"},
            "carrier": None,
            "submitted": 2,
            "approved": 1,
            "active": 0,
            "attrited": 0,
            "disenrolled": 1,
            "net": 1,
        },
        {
            "agent": {"id": "n3"},
            "carrier": None,
            "submitted": 2,
            "approved": 0,
            "active": 1,
            "attrited": 0,
            "disenrolled": 1,
            "net": 1,
        },
    ]


def test_summary_by_product_and_month_orders_each_dimension_ascending(api, humana):
    rows = api.gql(
        "{ productionSummary(groupBy: [PRODUCT_TYPE, MONTH]) { productType month submitted } }",
        as_="admin@east.test",
    )["productionSummary"]
    assert rows == [
        {"productType": "CSNP", "month": "2026-08-01", "submitted": 1},
        {"productType": "DSNP", "month": "2024-12-01", "submitted": 1},
        {"productType": "MA", "month": "2026-12-01", "submitted": 1},
        {"productType": "PDP", "month": "2025-08-01", "submitted": 1},
    ]


def test_summary_by_status_and_state_for_an_agent_user(api, humana):
    rows = api.gql(
        "{ productionSummary(groupBy: [STATUS, STATE]) { status state submitted net agent { id } } }",
        as_="n2@t.test",
    )["productionSummary"]
    assert rows == [
        {"status": "APPROVED", "state": "GA", "submitted": 1, "net": 1, "agent": None},
        {"status": "DECEASED", "state": "AZ", "submitted": 1, "net": 0, "agent": None},
    ]


def test_a_moved_agent_moves_its_production_at_once(api, humana, load_book):
    """Within its tenant: a move to another tenant takes nothing along (tests/security)."""
    assert policy_ids(api, "admin@east.test") == [
        "HUM254574355",
        "HUM649971745",
        "HUM979781682",
        "HUM984542419",
    ]
    load_book(
        {
            "agents": [
                {
                    "id": "n3",
                    "name": "Nia Three",
                    "npn": "18000003",
                    "email": "n3@t.test",
                    "agency_id": "top",
                }
            ]
        }
    )
    assert policy_ids(api, "admin@east.test") == ["HUM649971745", "HUM979781682"]
    by_agency = api.gql(
        "{ productionSummary(groupBy: [AGENCY]) { agency { id } submitted } }",
        as_="admin@top.test",
    )
    assert by_agency["productionSummary"] == [
        {"agency": {"id": "east"}, "submitted": 2},
        {"agency": {"id": "top"}, "submitted": 4},
    ]


def test_unmatched_npns_are_seen_by_the_uploading_agency_and_above_only(
    api, production_book, cli, load_book
):
    cli(
        "ingest",
        SAMPLES / "humana-2026-11-24.csv",
        "--as-of",
        "2026-11-24",
        "--as",
        "admin@east.test",
    )
    unmatched = {"agentIds": None, "statuses": None}
    east = api.gql(LIST, {"f": unmatched}, as_="admin@east.test")["production"]["edges"]
    orphans = [e["node"] for e in east if e["node"]["agent"] is None]
    assert sorted(o["agentNpn"] for o in orphans) == [
        "18000005",
        "18000005",
        "18000006",
        "18000007",
    ]
    top = api.gql(LIST, as_="admin@top.test")["production"]["edges"]
    assert len([e for e in top if e["node"]["agent"] is None]) == 4
    assert all(
        e["node"]["agent"] is not None
        for e in api.gql(LIST, as_="admin@other.test")["production"]["edges"]
    )
    assert all(
        e["node"]["agent"] is not None
        for e in api.gql(LIST, as_="n2@t.test")["production"]["edges"]
    )


def test_operator_ingest_unmatched_rows_are_seen_by_nobody(api, humana):
    for email in ("admin@top.test", "admin@east.test", "admin@other.test"):
        edges = api.gql(LIST, as_=email)["production"]["edges"]
        assert all(e["node"]["agent"] is not None for e in edges)


def test_policy_node_is_scoped(api, humana):
    ids = {
        e["node"]["carrierPolicyId"]: e
        for e in api.gql(
            "{ production { edges { node { id carrierPolicyId } } } }", as_="admin@top.test"
        )["production"]["edges"]
    }
    policy_id = ids["HUM649971745"]["node"]["id"]
    query = "query($id: ID!) { node(id: $id) { ... on Policy { carrierPolicyId } } }"
    assert api.gql(query, {"id": policy_id}, as_="n2@t.test")["node"] == {
        "carrierPolicyId": "HUM649971745"
    }
    assert api.gql(query, {"id": policy_id}, as_="admin@other.test")["node"] is None


def test_carriers_query_lists_the_plugins(api, production_book):
    carriers = api.gql("{ carriers { key name productTypes } }", as_="n2@t.test")["carriers"]
    assert len(carriers) == 17
    assert {
        "key": "humana",
        "name": "Humana",
        "productTypes": ["MAPD", "MA", "PDP", "DSNP", "CSNP"],
    } in carriers
