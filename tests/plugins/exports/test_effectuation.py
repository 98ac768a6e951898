"""effectuation: exactly the rows of the `reconciliation` list under the same filter, in its order,
saying what the list and `Client.reconciliation` say; the matched policy's columns empty where the
requester may not see it; through the same worker path as every export (request, subscription,
signed link, email)."""

import pytest

from downline.core.config import get_settings
from tests.core.exports.test_export_lifecycle import download, request, subscribe, wait_done
from tests.core.production.effectuation import HIERARCHY, client, ingest, policy
from tests.plugins.exports.catalogue import Csv, assert_catalogue_header, neutral

LIST = """query($f: ReconciliationFilter) {
  reconciliation(filter: $f, first: 500) {
    totalCount
    edges { node { client { id agent { name npn } carrier planName submittedAt
                            reconciliation { status reason policy { carrierPolicyId } } }
                   status reason
                   policy { carrierPolicyId status agentNpn effectiveDate termDate
                            termReason termReasonGuidance } } }
  }
}"""
FILTERS = [
    {},
    {"statuses": ["AGENT_OF_RECORD_ELSEWHERE", "ENDED"]},
    {"includeThreeWayCallResolved": False},
    {"includeArchived": True, "agencyIds": ["east-south"]},
    {"search": "smith", "states": ["fl"]},
    {"submittedFrom": "2026-01-11"},
]


@pytest.fixture
def applications(api, load_book, cli, tmp_path):
    clients = [
        client("active", "a-east", last_name="Active", plan_name='=HYPERLINK("x")'),
        client("plan-change", "a-east", last_name="Change"),
        client("aor-west", "a-east", last_name="Smith"),
        client("aor-deep", "a-east", last_name="Deep", submitted_at="2026-02-01T09:00:00Z"),
        client("oscar", "a-deep", carrier="Oscar"),
        client("waiting", "a-deep", submitted_at="2026-03-25T09:00:00Z"),
        client("archived", "a-deep", archived=True),
        client(
            "three-way",
            "a-top",
            invalid_action={
                "error_at": "2026-01-09T08:00:00Z",
                "resume_link": "https://resume.test/x",
                "resumed": False,
                "three_way_call_completed": True,
            },
        ),
        client("c-other", "a-other"),
    ]
    assert not load_book(dict(HIERARCHY, clients=clients)).rejections
    ingest(
        cli,
        tmp_path,
        [
            policy("U-ACTIVE", "200", "Active"),
            policy(
                "U-CHANGE",
                "200",
                "Change",
                status="Disenrolled",
                term="2026-03-31",
                reason="Member enrolled in new plan",
            ),  # fmt: skip
            policy("U-WEST", "400", "Smith"),
            policy("U-DEEP", "300", "Deep", status="Pending", effective="2026-05-01"),
            policy("U-OTHER", "500", "C-Other"),
        ],
    )


def expected_rows(api, email: str, filter: dict) -> list[dict]:
    """The list's rows as the export writes them."""
    data = api.gql(LIST, {"f": filter}, as_=email)["reconciliation"]
    assert data["totalCount"] == len(data["edges"])
    rows = []
    for edge in data["edges"]:
        node, c = edge["node"], edge["node"]["client"]
        p = node["policy"] or {}
        nested = c["reconciliation"]
        if nested is not None:  # Client.reconciliation says the same
            assert (nested["status"], nested["reason"]) == (node["status"], node["reason"])
            assert (nested["policy"] or {}).get("carrierPolicyId") == p.get("carrierPolicyId")
        rows.append(
            {
                "client_id": c["id"],
                "agent_name": c["agent"]["name"],
                "agent_npn": c["agent"]["npn"],
                "carrier": c["carrier"] or "",
                "plan_name": neutral(c["planName"] or ""),
                "submitted_at": c["submittedAt"],
                "status": node["status"],
                "reason": node["reason"],
                "policy_id": p.get("carrierPolicyId") or "",
                "policy_status": p.get("status") or "",
                "policy_npn": p.get("agentNpn") or "",
                "effective_date": p.get("effectiveDate") or "",
                "term_date": p.get("termDate") or "",
                "term_reason": p.get("termReason") or "",
                "guidance": p.get("termReasonGuidance") or "",
            }
        )
    return rows


def test_the_export_holds_the_lists_rows_saying_what_the_api_says(applications, api, export):
    for email in ("admin@top.test", "admin@east.test", "eve@t.test", "dan@t.test"):
        for filter in FILTERS:
            file = export("effectuation", email, **filter)
            assert_catalogue_header(file, "effectuation")
            got = [{k: row[k] for k in expected} for row, expected in
                   zip(file.dicts(), expected_rows(api, email, filter), strict=False)]  # fmt: skip
            assert got == expected_rows(api, email, filter), (email, filter)
            assert len(file.body) == len(got)


def test_the_policy_columns_are_empty_where_the_requester_may_not_see_the_policy(
    applications, export
):
    east = export("effectuation", "admin@east.test").by("client_id")
    assert east["aor-west"]["status"] == "AGENT_OF_RECORD_ELSEWHERE"
    assert [east["aor-west"][k] for k in ("policy_id", "policy_npn", "effective_date")] == [
        "",
        "",
        "",
    ]
    assert "another agent's NPN, not Eve East's 200" in east["aor-west"]["reason"]
    assert east["aor-deep"]["policy_id"] == "U-DEEP" and east["aor-deep"]["policy_npn"] == "300"
    top = export("effectuation", "admin@top.test").by("client_id")
    assert top["aor-west"]["policy_npn"] == "400"
    assert top["plan-change"]["term_reason"] == "PLAN_CHANGE"
    assert top["plan-change"]["guidance"].startswith("Was the plan change intended?")
    assert top["active"]["carrier_key"] == "uhc" and top["oscar"]["carrier_key"] == ""
    assert top["active"]["plan_name"] == '\'=HYPERLINK("x")'  # formula-safe
    assert "c-other" not in top and "archived" not in top and "three-way" in top


def test_requested_through_the_api_it_is_built_followed_linked_and_mailed(
    applications, api, monkeypatch
):
    elsewhere = {"statuses": ["AGENT_OF_RECORD_ELSEWHERE"]}
    queued = request(api, "admin@east.test", "effectuation", elsewhere)
    assert queued["scope"] == "AGENCY"
    assert queued["params"]["includeThreeWayCallResolved"] is True
    with api.client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        subscribe(ws, api.token("admin@east.test"), queued["id"])
        statuses = []
        while (message := ws.receive_json())["type"] != "complete":
            statuses.append(message["payload"]["data"]["exportUpdates"]["status"])
    assert statuses[-1] == "SUCCEEDED"
    done = wait_done(api, "admin@east.test", queued["id"])
    assert done["rowsTotal"] == done["rowCount"] == 2
    file = Csv(download(api, done["downloadUrl"]).content)
    assert [row["client_id"] for row in file.dicts()] == ["aor-deep", "aor-west"]
    outbox = get_settings().var_dir / "outbox"
    mails = [p.read_text() for p in outbox.iterdir()]
    assert any(queued["id"] in mail and "admin@east.test" in mail for mail in mails)

    agent = request(api, "eve@t.test", "effectuation")
    assert agent["scope"] == "AGENT"
    done = wait_done(api, "eve@t.test", agent["id"])
    assert done["rowsTotal"] == done["rowCount"] == 4  # counted without matching
    rows = Csv(download(api, done["downloadUrl"]).content)
    assert {row["client_id"] for row in rows.dicts()} == {
        "active",
        "plan-change",
        "aor-west",
        "aor-deep",
    }
