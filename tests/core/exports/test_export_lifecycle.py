"""An export's life through the API, with the in-process Dramatiq worker: request, progress,
the file behind a signed expiring link, the history, refusals, and the audit trail."""

import csv
import io
import time
from datetime import timedelta
from urllib.parse import urlsplit

import pytest

from downline.core import db
from downline.core.models import Export, utcnow

REQUEST = "mutation($type: String!, $params: JSON) { requestExport(input: {type: $type, params: $params}) { id status type { key } scope params } }"
EXPORT = "query($id: ID!) { export(id: $id) { id status rowsWritten rowsTotal rowCount byteSize error downloadUrl linkExpiresAt fileDeletedAt finishedAt } }"


def request(api, email, type_, params=None):
    return api.gql(REQUEST, {"type": type_, "params": params}, as_=email)["requestExport"]


def wait_done(api, email, export_id, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        export = api.gql(EXPORT, {"id": export_id}, as_=email)["export"]
        if export["status"] in ("SUCCEEDED", "FAILED"):
            return export
        time.sleep(0.05)
    raise AssertionError(f"export {export_id} did not finish: {export}")


def download(api, url):
    parts = urlsplit(url)
    return api.client.get(f"{parts.path}?{parts.query}")


def test_request_build_and_download(api, book):
    queued = request(api, "eve@t.test", "clients", {"includeUnsubmitted": True})
    assert (
        queued["status"] == "QUEUED"
        and queued["type"] == {"key": "clients"}
        and queued["scope"] == "AGENT"
    )
    assert (
        queued["params"]["includeUnsubmitted"] is True
        and queued["params"]["includeArchived"] is False
    )
    done = wait_done(api, "eve@t.test", queued["id"])
    assert done["status"] == "SUCCEEDED" and done["rowCount"] == 3 and done["rowsTotal"] == 3
    assert done["downloadUrl"].startswith("http://testserver/exports/")  # the address asked
    response = download(api, done["downloadUrl"])
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["cache-control"] == "no-store"
    day = utcnow().date().isoformat()
    assert (
        response.headers["content-disposition"]
        == f'attachment; filename="clients-{day}-{queued["id"]}.csv"'
    )
    assert len(response.content) == done["byteSize"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8"), newline="")))
    assert [r[0] for r in rows[1:]] == ["c2", "c8", "c3"]
    assert response.content.count(b"\r\n") == 4


def test_history_is_the_viewers_own_newest_first(api, book):
    first = request(api, "eve@t.test", "clients")["id"]
    second = request(api, "eve@t.test", "clients", {"search": "x"})["id"]
    wait_done(api, "eve@t.test", first)
    wait_done(api, "eve@t.test", second)
    mine = api.gql("{ exports { totalCount edges { node { id params } } } }", as_="eve@t.test")[
        "exports"
    ]
    assert [e["node"]["id"] for e in mine["edges"]] == [second, first]
    assert api.gql("{ exports { totalCount } }", as_="dan@t.test")["exports"]["totalCount"] == 0
    assert api.gql(EXPORT, {"id": first}, as_="admin@top.test")["export"] is None
    assert (
        api.gql("query($id: ID!) { node(id: $id) { id } }", {"id": first}, as_="admin@east.test")[
            "node"
        ]
        is None
    )
    assert api.gql(
        "query($id: ID!) { node(id: $id) { ... on Export { status } } }",
        {"id": first},
        as_="eve@t.test",
    )["node"] == {"status": "SUCCEEDED"}


def test_agents_of_an_agency_with_exports_off_are_refused(api, book):
    error = api.errors(REQUEST, {"type": "clients"}, as_="will@t.test")[0]
    assert error["extensions"]["code"] == "EXPORTS_DISABLED"
    assert "agency administrator" in error["message"]
    assert api.gql("{ exportTypes { key } }", as_="will@t.test")["exportTypes"]


def test_switch_off_for_east_leaves_its_sub_agency_agents_alone(api, book):
    api.gql(
        'mutation { setAgentExportsAllowed(agencyId: "east", allowed: false) { id } }',
        as_="admin@top.test",
    )
    assert (
        api.errors(REQUEST, {"type": "clients"}, as_="eve@t.test")[0]["extensions"]["code"]
        == "EXPORTS_DISABLED"
    )
    assert request(api, "dan@t.test", "clients")["status"] == "QUEUED"


@pytest.mark.parametrize(
    ("email", "type_", "params", "code", "field"),
    [
        ("admin@top.test", "clients", None, "FORBIDDEN", None),
        ("eve@t.test", "nope", None, "BAD_USER_INPUT", "type"),
        ("eve@t.test", "clients", {"colour": "red"}, "BAD_USER_INPUT", "colour"),
        (
            "eve@t.test",
            "clients",
            {"submittedFrom": "yesterday"},
            "BAD_USER_INPUT",
            "submittedFrom",
        ),
        ("eve@t.test", "clients", {"includeArchived": "yes"}, "BAD_USER_INPUT", "includeArchived"),
        ("eve@t.test", "clients", {"exchange": "MAYBE"}, "BAD_USER_INPUT", "exchange"),
        ("eve@t.test", "clients", [1, 2], "BAD_USER_INPUT", "params"),
    ],
)
def test_refusals_name_what_was_wrong_and_store_no_export(
    api, book, email, type_, params, code, field
):
    error = api.errors(REQUEST, {"type": type_, "params": params}, as_=email)[0]
    assert error["extensions"]["code"] == code
    assert error["extensions"].get("field") == field
    assert api.gql("{ exports { totalCount } }", as_=email)["exports"]["totalCount"] == 0


def test_link_expires_with_410(api, book, monkeypatch):
    from downline.core.config import get_settings
    from downline.core.exports import links

    export_id = request(api, "eve@t.test", "clients")["id"]
    wait_done(api, "eve@t.test", export_id)
    monkeypatch.setenv("DOWNLINE_DOWNLOAD_LINK_TTL", "1")
    get_settings.cache_clear()
    url = links.mint(get_settings(), export_id, "eve@t.test").url
    time.sleep(2.1)
    response = download(api, url)
    assert response.status_code == 410
    assert "export history" in response.text


def test_tampered_and_foreign_links_are_403(api, book):
    mine = request(api, "eve@t.test", "clients")["id"]
    theirs = request(api, "dan@t.test", "clients")["id"]
    url = wait_done(api, "eve@t.test", mine)["downloadUrl"]
    wait_done(api, "dan@t.test", theirs)
    path, _, query = url.partition("?")
    assert (
        download(api, url[:-3] + ("AAA" if not url.endswith("AAA") else "BBB")).status_code == 403
    )
    assert download(api, path.replace(mine, theirs) + "?" + query).status_code == 403
    assert download(api, path + "?token=").status_code == 403


def test_link_of_a_deleted_user_is_403(api, book):
    from sqlalchemy import delete

    from downline.core.models import User

    url = wait_done(api, "eve@t.test", request(api, "eve@t.test", "clients")["id"])["downloadUrl"]
    with db.session() as session:
        session.execute(delete(User).where(User.email == "eve@t.test"))
        session.commit()
    assert download(api, url).status_code == 403


def test_sweep_deletes_files_past_retention_and_says_so(api, book, cli):
    export_id = request(api, "eve@t.test", "clients")["id"]
    url = wait_done(api, "eve@t.test", export_id)["downloadUrl"]
    with db.session() as session:
        export = session.get(Export, export_id)
        export.finished_at = utcnow() - timedelta(days=31)
        session.add(export)
        session.commit()
    result = cli("sweep")
    assert "deleted 1 expired export file(s)" in result.output
    after = api.gql(EXPORT, {"id": export_id}, as_="eve@t.test")["export"]
    assert after["fileDeletedAt"] is not None and after["downloadUrl"] is None
    response = download(api, url)
    assert response.status_code == 404 and "no longer kept" in response.text


def test_a_file_deleted_outside_the_sweep_is_404_once_and_then_no_longer_offered(api, book):
    from downline.core.config import get_settings

    export_id = request(api, "eve@t.test", "clients")["id"]
    url = wait_done(api, "eve@t.test", export_id)["downloadUrl"]
    for stored in (get_settings().var_dir / "files" / "exports" / export_id).iterdir():
        stored.unlink()  # by hand, or lost by the store
    response = download(api, url)
    assert response.status_code == 404 and "no longer kept" in response.text
    assert response.headers["content-type"].startswith("text/plain")
    after = api.gql(EXPORT, {"id": export_id}, as_="eve@t.test")["export"]
    assert after["fileDeletedAt"] is not None and after["downloadUrl"] is None
    history = api.gql(
        "{ exports { edges { node { id downloadUrl linkExpiresAt fileDeletedAt } } } }",
        as_="eve@t.test",
    )["exports"]["edges"]
    assert [e["node"] for e in history] == [
        {
            "id": export_id,
            "downloadUrl": None,
            "linkExpiresAt": None,
            "fileDeletedAt": after["fileDeletedAt"],
        }
    ]


def test_a_lost_message_is_sent_again_by_the_sweep(api, book, cli):
    from downline.core.models import Export as Row

    with db.session() as session:
        row = Row(
            type="clients",
            scope="AGENT",
            params={},
            requester_email="eve@t.test",
            requester_agent_id="a-east",
            requested_at=utcnow() - timedelta(minutes=5),
        )
        session.add(row)
        session.commit()
        export_id = row.id
    assert "sent 1 export(s)" in cli("sweep").output
    assert wait_done(api, "eve@t.test", export_id)["status"] == "SUCCEEDED"


def test_a_second_run_of_a_finished_export_is_a_no_op(api, book):
    from downline.core import plugins
    from downline.core.config import get_settings
    from downline.core.exports import run as exporting
    from downline.core.storage import get_storage

    export_id = request(api, "eve@t.test", "clients")["id"]
    first = wait_done(api, "eve@t.test", export_id)
    again = exporting.run_export(
        export_id,
        get_storage(get_settings()),
        plugins.installed_export_types(),
        plugins.notify_export_ready,
    )
    assert again is None
    fresh_link = ("downloadUrl", "linkExpiresAt")  # minted anew on every read
    after = api.gql(EXPORT, {"id": export_id}, as_="eve@t.test")["export"]
    assert {k: v for k, v in after.items() if k not in fresh_link} == {
        k: v for k, v in first.items() if k not in fresh_link
    }
    files = list((get_settings().var_dir / "files" / "exports" / export_id).iterdir())
    assert len(files) == 1


def test_audit_trail(api, book):
    export_id = request(api, "eve@t.test", "clients")["id"]
    url = wait_done(api, "eve@t.test", export_id)["downloadUrl"]
    download(api, url)
    download(api, url + "x")
    api.errors(REQUEST, {"type": "clients"}, as_="will@t.test")
    query = "{ auditEvents(first: 50) { totalCount edges { node { actorEmail action exportId outcome } } } }"
    events = [e["node"] for e in api.gql(query, as_="admin@top.test")["auditEvents"]["edges"]]
    assert {
        "actorEmail": "eve@t.test",
        "action": "export_requested",
        "exportId": export_id,
        "outcome": "ok",
    } in events
    assert {
        "actorEmail": "eve@t.test",
        "action": "export_downloaded",
        "exportId": export_id,
        "outcome": "ok",
    } in events
    assert {
        "actorEmail": None,
        "action": "download_refused",
        "exportId": export_id,
        "outcome": "tampered",
    } in events
    assert {
        "actorEmail": "will@t.test",
        "action": "export_refused",
        "exportId": None,
        "outcome": "EXPORTS_DISABLED",
    } in events
    east = [e["node"] for e in api.gql(query, as_="admin@east.test")["auditEvents"]["edges"]]
    # East's admin sees its agent's events, and the tampered link to its agent's export.
    assert {e["actorEmail"] for e in east} == {"eve@t.test", None}
    assert all(e["exportId"] == export_id for e in east)
    assert {
        e["node"]["actorEmail"] for e in api.gql(query, as_="will@t.test")["auditEvents"]["edges"]
    } == {"will@t.test"}
    assert api.gql(query, as_="admin@other.test")["auditEvents"]["totalCount"] == 0


def subscribe(ws, token, export_id):
    ws.send_json({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
    assert ws.receive_json()["type"] == "connection_ack"
    query = "subscription($id: ID!) { exportUpdates(id: $id) { status rowsWritten rowCount downloadUrl } }"
    ws.send_json(
        {
            "id": "e",
            "type": "subscribe",
            "payload": {"query": query, "variables": {"id": export_id}},
        }
    )


@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws"])
def test_subscription_follows_the_export_to_the_end(api, book, protocol):
    export_id = request(api, "eve@t.test", "clients")["id"]
    with api.client.websocket_connect("/graphql", subprotocols=[protocol]) as ws:
        token = api.token("eve@t.test")
        if protocol == "graphql-ws":
            ws.send_json(
                {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}
            )
            assert ws.receive_json()["type"] == "connection_ack"
            query = "subscription($id: ID!) { exportUpdates(id: $id) { status rowsWritten rowCount downloadUrl } }"
            ws.send_json(
                {
                    "id": "e",
                    "type": "start",
                    "payload": {"query": query, "variables": {"id": export_id}},
                }
            )
        else:
            subscribe(ws, token, export_id)
        updates = []
        while True:
            message = ws.receive_json()
            if message["type"] in ("complete",):
                break
            if message["type"] == "ka":
                continue
            assert message["type"] in ("next", "data"), message
            updates.append(message["payload"]["data"]["exportUpdates"])
    statuses = [u["status"] for u in updates]
    assert (
        statuses[-1] == "SUCCEEDED" and updates[-1]["rowCount"] == 2 and updates[-1]["downloadUrl"]
    )
    assert statuses == sorted(statuses, key=["QUEUED", "PROCESSING", "SUCCEEDED"].index)


def test_subscribing_after_the_end_sends_the_final_state_and_completes(api, book):
    export_id = request(api, "eve@t.test", "clients")["id"]
    wait_done(api, "eve@t.test", export_id)
    with api.client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        subscribe(ws, api.token("eve@t.test"), export_id)
        assert ws.receive_json()["payload"]["data"]["exportUpdates"]["status"] == "SUCCEEDED"
        assert ws.receive_json()["type"] == "complete"


def test_only_the_owner_can_subscribe(api, book):
    export_id = request(api, "eve@t.test", "clients")["id"]
    with api.client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        subscribe(ws, api.token("admin@top.test"), export_id)
        message = ws.receive_json()
    assert message["payload"]["errors"][0]["extensions"]["code"] == "NOT_FOUND"
