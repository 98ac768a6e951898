"""Every action that changes something or takes data out is an audit event, with its actor, time,
outcome and what it was done to, refusals as much as successes (docs/domain.md, Audit):
exports requested, refused, finished, failed and downloaded; carrier reports uploaded (GraphQL,
and `downline ingest` as a user or as the operator) and ingested or failed, with their counts;
the exports switch flipped; a book loaded by the operator, with its counts. `auditEvents` shows
them to whom it always did: an agent its own, an admin those of users of its agency or below.
A user's words (a file name) are kept as given and shown back as text."""

import json
import time

from sqlalchemy import select

from downline.core import db
from downline.core.models import AuditEvent
from tests.conftest import SAMPLES

from .conftest import BOOK_NPNS

AUDIT = (
    "{ auditEvents(first: 100) { edges { node { actorEmail action outcome exportId reportId "
    "targetAgencyId detail at } } } }"
)
UPLOAD = (
    "mutation($file: Upload!, $carrier: String) { uploadCarrierReport(file: $file, carrier: "
    '$carrier, asOf: "2026-11-24") { id } }'
)
REPORT = (
    "query($id: ID!) { node(id: $id) { ... on CarrierReport { status error rowsRead "
    "rowsInserted rowsUpdated rowsUnchanged rowsRejected } } }"
)
EXPORT = "query($id: ID!) { export(id: $id) { status error rowCount byteSize downloadUrl } }"
REQUEST = "mutation($type: String!) { requestExport(input: {type: $type}) { id } }"
SWITCH = (
    "mutation($id: ID!, $on: Boolean!) { setAgentExportsAllowed(agencyId: $id, allowed: $on) "
    "{ id } }"
)
# A file name as a user may give it: a formula, markup, quotes. It comes back exactly, as text.
# (No double quote: the HTTP client sends one in a multipart file name as %22.)
HOSTILE_NAME = "=HYPERLINK('http://x')<b onmouseover='x'>Q4 & co</b>.csv"


def events(api, email: str) -> list[dict]:
    """The events `email` reads, without their time (checked apart, as present)."""
    edges = api.gql(AUDIT, as_=email)["auditEvents"]["edges"]
    assert all(e["node"].pop("at") for e in edges)
    return [e["node"] for e in edges]


def event(action: str, actor: str | None, outcome: str, **what) -> dict:
    return {
        "actorEmail": actor,
        "action": action,
        "outcome": outcome,
        "exportId": what.get("exportId"),
        "reportId": what.get("reportId"),
        "targetAgencyId": what.get("targetAgencyId"),
        "detail": what.get("detail"),
    }


def operators_events() -> list[dict]:
    """The operator's events: no user's, so no `auditEvents` shows them; they are read where
    the operator reads them, in the table."""
    with db.session() as session:
        query = select(AuditEvent).where(AuditEvent.actor_email == "operator")
        rows = session.scalars(query.order_by(AuditEvent.at, AuditEvent.id))
        return [{"action": r.action, "outcome": r.outcome, "detail": r.detail} for r in rows]


def humana_file(tmp_path, name: str = "humana-2026-11-24.csv"):
    """The humana sample on the test book's agents: Ann Top, Eve East, Dan Deep, Olga Other."""
    text = (SAMPLES / "humana-2026-11-24.csv").read_text(encoding="utf-8")
    for sample, ours in BOOK_NPNS.items():
        text = text.replace(f",{sample},", f",{ours},")
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def upload(api, email: str, content: bytes, name: str, carrier: str | None = None) -> dict:
    operations = {"query": UPLOAD, "variables": {"file": None, "carrier": carrier}}
    response = api.client.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})},
        files={"0": (name, content, "text/csv")},
        headers={"Authorization": f"Bearer {api.token(email)}"},
    )
    assert response.status_code == 200, response.text
    return response.json()


def finished(api, email: str, query: str, id_: str) -> dict:
    deadline = time.monotonic() + 30
    while True:
        found = next(iter(api.gql(query, {"id": id_}, as_=email).values()))
        if found["status"] in ("SUCCEEDED", "FAILED"):
            return found
        assert time.monotonic() < deadline, found
        time.sleep(0.05)


def counts(report: dict) -> str:
    return (
        f"ok: rows read {report['rowsRead']}, inserted {report['rowsInserted']}, updated "
        f"{report['rowsUpdated']}, unchanged {report['rowsUnchanged']}, rejected "
        f"{report['rowsRejected']}"
    )


def test_an_export_is_audited_when_it_finishes_and_when_it_fails(
    queued_api, load_book, build_export
):
    api = queued_api
    done = api.gql(REQUEST, {"type": "clients"}, as_="eve@t.test")["requestExport"]["id"]
    build_export(done)
    built = api.gql(EXPORT, {"id": done}, as_="eve@t.test")["export"]
    assert built["status"] == "SUCCEEDED"
    failed = api.gql(REQUEST, {"type": "clients"}, as_="eve@t.test")["requestExport"]["id"]
    relinked = {"email": "eve@t.test", "role": "agent", "agent_id": "a-deep"}
    assert not load_book({"users": [relinked]}).rejections  # moved before it was built
    build_export(failed)
    assert not load_book({"users": [relinked | {"agent_id": "a-east"}]}).rejections  # back

    error = api.gql(EXPORT, {"id": failed}, as_="eve@t.test")["export"]["error"]
    outcome = f"ok: {built['rowCount']} rows, {built['byteSize']} bytes"
    expected = [
        event("export_requested", "eve@t.test", "ok", exportId=done, detail=None),
        event("export_finished", "eve@t.test", outcome, exportId=done),
        event("export_requested", "eve@t.test", "ok", exportId=failed),
        event("export_failed", "eve@t.test", "FORBIDDEN", exportId=failed, detail=error),
    ]
    assert "has moved" in error
    for reader in ("eve@t.test", "admin@east.test", "admin@top.test"):
        assert all(e in events(api, reader) for e in expected), reader
    assert events(api, "admin@other.test") == []
    assert events(api, "dan@t.test") == []


def test_an_upload_and_its_ingest_are_audited_with_the_file_name_as_given(api, book, tmp_path):
    content = humana_file(tmp_path).read_bytes()
    report_id = upload(api, "admin@east.test", content, HOSTILE_NAME)["data"][
        "uploadCarrierReport"
    ]["id"]
    report = finished(api, "admin@east.test", REPORT, report_id)
    assert report["status"] == "SUCCEEDED" and report["rowsRejected"] > 0
    refused = upload(api, "admin@east.test", content, HOSTILE_NAME, carrier="nope")
    assert refused["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    wrong = (SAMPLES / "aetna-2026-11-24.csv").read_bytes()
    failing_id = upload(api, "admin@east.test", wrong, "aetna.csv", carrier="humana")["data"][
        "uploadCarrierReport"
    ]["id"]
    failing = finished(api, "admin@east.test", REPORT, failing_id)
    assert failing["status"] == "FAILED"

    admin = "admin@east.test"
    expected = [
        event("report_uploaded", admin, "ok", reportId=report_id, detail=HOSTILE_NAME),
        event("report_finished", admin, counts(report), reportId=report_id),
        event(
            "upload_refused",
            admin,
            "BAD_USER_INPUT",
            detail=f"{HOSTILE_NAME}: {refused['errors'][0]['message']}",
        ),  # fmt: skip
        event("report_uploaded", admin, "ok", reportId=failing_id, detail="aetna.csv"),
        event("report_failed", admin, "REJECTED", reportId=failing_id, detail=failing["error"]),
    ]
    for reader in (admin, "admin@top.test"):
        seen = events(api, reader)
        assert [e for e in expected if e not in seen] == [], reader
    for outsider in ("admin@other.test", "eve@t.test"):
        assert events(api, outsider) == []


def test_downline_ingest_is_audited_as_its_user_or_as_the_operator(api, book, cli, tmp_path):
    path = humana_file(tmp_path)
    as_user = cli("ingest", path, "--as-of", "2026-11-24", "--as", "admin@east.test")
    assert as_user.exit_code == 0, as_user.output
    seen = events(api, "admin@east.test")
    [uploaded] = [e for e in seen if e["action"] == "report_uploaded"]
    report = api.gql(REPORT, {"id": uploaded["reportId"]}, as_="admin@east.test")["node"]
    assert uploaded == event(
        "report_uploaded", "admin@east.test", "ok", reportId=uploaded["reportId"], detail=path.name
    )
    finished_event = event(
        "report_finished", "admin@east.test", counts(report), reportId=uploaded["reportId"]
    )
    assert finished_event in seen
    assert f"rows read {report['rowsRead']}" in as_user.output  # the counts the operator saw

    as_operator = cli("ingest", path, "--as-of", "2026-11-24")
    assert as_operator.exit_code == 0, as_operator.output
    mine = [e for e in operators_events() if e["action"].startswith("report_")]
    assert [e["action"] for e in mine] == ["report_uploaded", "report_finished"]
    assert mine[0]["detail"] == path.name
    assert mine[1]["outcome"].startswith("ok: rows read 12, inserted ")
    # Nobody's downline holds the operator: its events are in no user's auditEvents.
    assert all(e["actorEmail"] != "operator" for e in events(api, "admin@top.test"))


def test_flipping_the_exports_switch_is_audited_and_so_is_a_refused_flip(api, book):
    for on in (False, True):
        api.gql(SWITCH, {"id": "east", "on": on}, as_="admin@top.test")
    [refused] = api.errors(SWITCH, {"id": "east", "on": False}, as_="eve@t.test")
    assert refused["extensions"]["code"] == "FORBIDDEN"
    [unseen] = api.errors(SWITCH, {"id": "top", "on": False}, as_="admin@east.test")
    assert unseen["extensions"]["code"] == "NOT_FOUND"

    flips = [
        event("exports_switched", "admin@top.test", "ok", targetAgencyId="east", detail="off"),
        event("exports_switched", "admin@top.test", "ok", targetAgencyId="east", detail="on"),
    ]
    by_eve = event(
        "exports_switch_refused", "eve@t.test", "FORBIDDEN", targetAgencyId="east", detail="off"
    )
    by_east = event(
        "exports_switch_refused", "admin@east.test", "NOT_FOUND", targetAgencyId="top", detail="off"
    )
    top = events(api, "admin@top.test")
    assert all(e in top for e in [*flips, by_eve, by_east])
    # East's admin sees its own and its agent's refusals, not what the admin above it did.
    assert sorted(map(str, events(api, "admin@east.test"))) == sorted(map(str, [by_eve, by_east]))
    assert events(api, "eve@t.test") == [by_eve]


def test_loading_a_book_is_audited_as_the_operator_with_its_counts(database, cli, tmp_path):
    book = tmp_path / "book"
    book.mkdir()
    agencies = [{"id": "top", "name": "Top", "parent_id": None}, {"id": "bad"}]
    (book / "agencies.jsonl").write_text("\n".join(map(json.dumps, agencies)) + "\n")
    loaded = cli("load", book)
    assert loaded.exit_code == 1  # one record rejected, the other loaded
    empty = tmp_path / "empty"
    empty.mkdir()
    refused = cli("load", empty)
    assert refused.exit_code == 1

    assert operators_events() == [
        {
            "action": "book_loaded",
            "outcome": "1 rejected: agencies.jsonl: 1 inserted, 0 updated, 0 unchanged, 1 rejected",
            "detail": str(book),
        },
        {
            "action": "load_refused",
            "outcome": "BAD_USER_INPUT",
            "detail": f"{empty}: {refused.output.strip()}",  # the words the operator read
        },
    ]
