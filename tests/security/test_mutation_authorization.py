"""Every mutation's authorization, read off the schema: each field of the Mutation type must have
a row in CASES naming who must be refused, with what, and the error they get; a mutation without
one fails `test_every_mutation_has_reviewed_refusals`, so none can be added unreviewed.

For each refusal: the refused principal gets the expected `extensions.code` (and `field`), over
HTTP and over the WebSocket, and nothing stored changes (every row of every table, and the stored
files, compared before and after; only the audit trail may record the refusal). Without a token,
every mutation is a 401 that changes nothing, unaudited (no user, no action).

Uploads are authorized row by row (docs/domain.md): an upload is accepted, and each row
whose NPN is outside the uploader's book is refused with its line. Those cases have no error code;
they prove that the report records the refusals and that nobody's production was written.
"""

import json
import time
from dataclasses import dataclass

import pytest

from downline.schema import schema as served_schema
from tests.conftest import SAMPLES

from .introspection import sdl

SAMPLE = SAMPLES / "humana-2026-11-24.csv"


def _csv(npns: dict[str, str]) -> bytes:
    """The humana sample's rows of the NPNs in `npns`, re-assigned to the NPN each maps to."""
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    kept = [lines[0]]
    for line in lines[1:]:
        npn = line.split(",")[1]
        if npn in npns:
            kept.append(line.replace(f",{npn},", f",{npns[npn]},", 1))
    return ("\n".join(kept) + "\n").encode()


# Ann Top 100 (agency top), Eve East 200 (east), Dan Deep 300 (east-south), Will West 400
# (west), Olga Other 500 (other).
OUTSIDE_EVE = _csv({"18000001": "100", "18000002": "300", "18000003": "500", "18000004": "400"})
OUTSIDE_EAST = _csv({"18000001": "100", "18000002": "400", "18000003": "500", "18000004": "100"})


@dataclass(frozen=True)
class Refusal:
    who: str  # the principal that must be refused
    variables: dict
    code: str | None  # the error's extensions.code; None: refused row by row (uploads)
    why: str
    field: str | None = None  # the error's extensions.field
    upload: bytes | None = None  # the file of an Upload argument
    audited: str | None = None  # the audit action recording the refusal


SWITCH, EXPORT = "exports_switch_refused", "export_refused"  # the audit actions of refusals
CASES: dict[str, tuple[Refusal, ...]] = {
    "setAgentExportsAllowed": (
        Refusal("eve@t.test", {"agencyId": "east", "allowed": False}, "FORBIDDEN",
                "an agent user, even for its own agency", audited=SWITCH),
        Refusal("dan@t.test", {"agencyId": "east-south", "allowed": False}, "FORBIDDEN",
                "an agent user, for its own agency's switch", audited=SWITCH),
        Refusal("admin@east.test", {"agencyId": "top", "allowed": False}, "NOT_FOUND",
                "an admin, for the agency above its own", "agencyId", audited=SWITCH),
        Refusal("admin@east.test", {"agencyId": "west", "allowed": True}, "NOT_FOUND",
                "an admin, for a sibling agency", "agencyId", audited=SWITCH),
        Refusal("admin@other.test", {"agencyId": "east-south", "allowed": True}, "NOT_FOUND",
                "an admin, for an agency of another tree", "agencyId", audited=SWITCH),
    ),
    "requestExport": (
        Refusal("admin@top.test", {"input": {"type": "clients"}}, "FORBIDDEN",
                "an agency admin, for an agent export", audited=EXPORT),
        Refusal("eve@t.test", {"input": {"type": "agent_roster"}}, "FORBIDDEN",
                "an agent user, for an agency export", audited=EXPORT),
        Refusal("will@t.test", {"input": {"type": "clients"}}, "EXPORTS_DISABLED",
                "an agent of an agency whose switch is off", audited=EXPORT),
    ),
    "uploadCarrierReport": (
        Refusal("eve@t.test", {"asOf": "2026-11-24"}, None,
                "an agent user's file of other agents' policies", upload=OUTSIDE_EVE),
        Refusal("admin@east.test", {"asOf": "2026-11-24"}, None,
                "an admin's file of policies above, beside and outside its downline",
                upload=OUTSIDE_EAST),
    ),
}  # fmt: skip

TYPE_REF = "kind name ofType { kind name ofType { kind name ofType { kind name } } }"
MUTATIONS = f"{{ __schema {{ mutationType {{ fields {{ name args {{ name type {{ {TYPE_REF} }} }} }} }} }} }}"


def _mutation_fields(result) -> dict[str, dict]:
    return {f["name"]: f for f in result["__schema"]["mutationType"]["fields"]}


# Read at collection time, so that every mutation is a test of its own.
SCHEMA_MUTATIONS = _mutation_fields(served_schema.execute_sync(MUTATIONS).data)


def is_upload(arg: dict) -> bool:
    return sdl(arg["type"]).rstrip("!") == "Upload"


def operation(field: dict, variables: dict) -> tuple[str, list[str]]:
    """The mutation's document over the arguments given (and its Upload ones), and the names of
    its Upload arguments."""
    used = [a for a in field["args"] if a["name"] in variables or is_upload(a)]
    definitions = ", ".join(f"${a['name']}: {sdl(a['type'])}" for a in used)
    arguments = ", ".join(f"{a['name']}: ${a['name']}" for a in used)
    document = f"mutation({definitions}) {{ {field['name']}({arguments}) {{ __typename }} }}"
    return document, [a["name"] for a in used if is_upload(a)]


def send(api, name: str, case: Refusal, *, token: str | None):
    document, uploads = operation(SCHEMA_MUTATIONS[name], case.variables)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if not uploads:
        body = {"query": document, "variables": case.variables}
        return api.client.post("/graphql", json=body, headers=headers)
    variables = case.variables | dict.fromkeys(uploads)
    return api.client.post(
        "/graphql",
        data={
            "operations": json.dumps({"query": document, "variables": variables}),
            "map": json.dumps({str(i): [f"variables.{u}"] for i, u in enumerate(uploads)}),
        },
        files={str(i): ("report.csv", case.upload, "text/csv") for i, _ in enumerate(uploads)},
        headers=headers,
    )


def changes(before: dict, after: dict) -> dict[str, dict]:
    """What was added to or removed from each table (and the stored files)."""
    diff = {}
    for table in before.keys() | after.keys():
        old, new = set(before.get(table, [])), set(after.get(table, []))
        if old != new:
            diff[table] = {"added": sorted(new - old), "removed": sorted(old - new)}
    return diff


def refusals_only(diff: dict, case: Refusal) -> dict:
    """`diff` without what the case allows: audit rows recording this very refusal."""
    audit = diff.get("audit_event")
    if (
        case.audited
        and audit
        and not audit["removed"]
        and all(
            f"'{case.audited}'" in str(r) and f"'{case.code}'" in str(r) for r in audit["added"]
        )
    ):
        diff = {k: v for k, v in diff.items() if k != "audit_event"}
    return diff


def test_every_mutation_has_reviewed_refusals():
    """The table and the schema name the same mutations: a new mutation without a row here, or
    a row for a mutation that is gone, fails. (The schema is the one the server serves:
    make_schema(); the refusal tests below send each mutation over HTTP.)"""
    assert sorted(SCHEMA_MUTATIONS) == sorted(CASES)
    assert all(CASES.values()), "every mutation needs at least one refusal"


@pytest.mark.parametrize("name", sorted(SCHEMA_MUTATIONS))
def test_refused_principals_get_their_code_and_change_nothing(
    api, book, snapshot, ws_operation, name
):
    if name not in CASES:
        pytest.fail(f"mutation {name} has no reviewed refusal in CASES: add who must be refused")
    for case in CASES[name]:
        before = snapshot()
        response = send(api, name, case, token=api.token(case.who))
        assert response.status_code == 200, (case.why, response.text)
        payload = response.json()
        if case.code is None:
            assert "errors" not in payload, (case.why, payload)
            rows_refused_one_by_one(api, case)
            diff = changes(before, snapshot())
            allowed = {"carrier_report", "carrier_report_error", "<stored files>", "audit_event"}
            assert set(diff) <= allowed, (case.why, {k: diff[k] for k in set(diff) - allowed})
            # Audited as what it was: an upload whose ingest finished, each row refused.
            events = " ".join(map(str, diff["audit_event"]["added"]))
            assert events.count("'report_uploaded'") == events.count("'report_finished'") == 1
            continue
        [error] = payload["errors"]
        assert payload.get("data") is None, (case.why, payload)
        assert error["extensions"]["code"] == case.code, (case.why, error)
        assert error["extensions"].get("field") == case.field, (case.why, error)
        assert refusals_only(changes(before, snapshot()), case) == {}, case.why

        # The same principal over the WebSocket: the same refusal, and still nothing changed.
        before = snapshot()
        document, _ = operation(SCHEMA_MUTATIONS[name], case.variables)
        over_ws = ws_operation(api, case.who, document, case.variables)
        assert [e["extensions"]["code"] for e in over_ws["errors"]] == [case.code], case.why
        assert refusals_only(changes(before, snapshot()), case) == {}, case.why


REPORT = (
    "{ carrierReports(first: 1) { edges { node { status rowsRead rowsInserted rowsUpdated "
    "rowsRejected errors(first: 100) { line message } } } } }"
)


def rows_refused_one_by_one(api, case: Refusal) -> None:
    deadline = time.monotonic() + 30
    while True:
        edges = api.gql(REPORT, as_=case.who)["carrierReports"]["edges"]
        report = edges[0]["node"] if edges else None
        if report and report["status"] in ("SUCCEEDED", "FAILED"):
            break
        assert time.monotonic() < deadline, f"the report did not finish: {report}"
        time.sleep(0.05)
    rows = case.upload.decode().count("\n") - 1
    assert report["rowsRead"] == rows > 0, (case.why, report)
    assert (report["rowsInserted"], report["rowsUpdated"], report["rowsRejected"]) == (0, 0, rows)
    assert all("outside your book" in e["message"] for e in report["errors"]), report["errors"]


def test_every_mutation_without_a_token_is_401_and_changes_nothing(api, book, snapshot):
    before = snapshot()
    for name in SCHEMA_MUTATIONS:
        case = CASES.get(name, (Refusal("", {}, None, "", upload=b"x"),))[0]
        for token in (None, "not-a-token"):
            response = send(api, name, case, token=token)
            assert response.status_code == 401, (name, response.text)
            assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert changes(before, snapshot()) == {}
