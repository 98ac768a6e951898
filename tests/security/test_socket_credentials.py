"""Credentials over time on a WebSocket, over graphql-transport-ws and legacy graphql-ws alike.

A socket signs in once, by connection_init, and lives long. A running subscription looks at its
job as its user stands now: it ends NOT_FOUND once the user is removed, and a user a load
demoted or moved no longer follows what its former place let it see.
"""

import queue
import threading
from pathlib import Path

import pytest
from sqlalchemy import delete
from starlette.websockets import WebSocketDisconnect

from downline.core import db
from downline.core.models import Export, User

PROTOCOLS = ["graphql-transport-ws", "graphql-ws"]
START = {"graphql-transport-ws": "subscribe", "graphql-ws": "start"}
RESULTS = {"next", "data", "error"}
UNAUTHORIZED = 4401
SAMPLE = Path(__file__).parents[1] / "fixtures" / "carriers" / "humana-2026-11-24.csv"

VIEWER = "{ viewer { email role exportsAllowed } downline { totalCount } }"
REQUEST = "mutation($type: String!) { requestExport(input: {type: $type}) { id status } }"
FOLLOW_EXPORT = "subscription($id: ID!) { exportUpdates(id: $id) { status } }"
FOLLOW_REPORT = "subscription($id: ID!) { carrierReportUpdates(id: $id) { status } }"


def receive(ws, within: float = 5.0) -> dict | int:
    """The next message, or the close code once the server closed the socket; fails the test
    when neither comes `within` seconds (the test client's own receive waits forever)."""
    answers: queue.Queue = queue.Queue()

    def wait() -> None:
        try:
            answers.put(ws.receive_json())
        except WebSocketDisconnect as closed:
            answers.put(closed.code)

    threading.Thread(target=wait, daemon=True).start()
    try:
        return answers.get(timeout=within)
    except queue.Empty:
        pytest.fail(f"the server neither answered nor closed the socket within {within:.1f} s")


def start(ws, protocol: str, query: str, variables: dict | None = None, id_: str = "1") -> None:
    payload = {"query": query, "variables": variables or {}}
    ws.send_json({"id": id_, "type": START[protocol], "payload": payload})


def payload_of(message: dict) -> dict:
    """A result message's payload as {"data", "errors"}, whichever protocol sent it."""
    assert message["type"] in RESULTS, message
    if message["type"] != "error":
        return message["payload"]
    errors = message["payload"]  # a list (graphql-transport-ws) or one error (graphql-ws)
    return {"errors": errors if isinstance(errors, list) else [errors]}


def run(ws, protocol: str, query: str, variables: dict | None = None) -> dict | int:
    """One operation that ends after one result: its payload, or the close code if the server
    closed the socket instead."""
    start(ws, protocol, query, variables)
    answer = receive(ws)
    if isinstance(answer, int):
        return answer
    if answer["type"] != "error":
        assert receive(ws) == {"id": "1", "type": "complete"}
    return payload_of(answer)


def codes(result: dict) -> list[str]:
    return [e["extensions"]["code"] for e in result.get("errors") or []]


@pytest.fixture
def socket(api, ws_connect):
    """`socket(protocol, token)`: a WebSocket signed in with `token`, closed at the end."""
    opened = []

    def open_(protocol: str, token: str):
        context, ws, answer = ws_connect(api.client, f"Bearer {token}", protocol)
        opened.append(context)
        assert isinstance(answer, dict) and answer["type"] == "connection_ack", answer
        return ws

    yield open_
    for context in opened:
        context.__exit__(None, None, None)


@pytest.fixture
def waiting_export(book) -> str:
    """Eve's export whose message never reached a worker: it stays QUEUED while followed."""
    with db.session() as session:
        export = Export(type="clients", scope="AGENT", params={}, requester_email="eve@t.test")
        session.add(export)
        session.commit()
        return export.id


@pytest.fixture
def east_report(api, book, cli) -> str:
    """A carrier report East's admin uploaded: Top's admin sees it too (an admin above)."""
    result = cli("ingest", SAMPLE, "--as-of", "2026-11-24", "--as", "admin@east.test")
    assert result.exit_code == 0, result.output
    reports = api.gql("{ carrierReports { edges { node { id } } } }", as_="admin@east.test")
    [edge] = reports["carrierReports"]["edges"]
    return edge["node"]["id"]


def remove_user(email: str) -> None:
    """The operator deletes the user's record (its agent stays)."""
    with db.session() as session:
        session.execute(delete(User).where(User.email == email))
        session.commit()


# ---- a removed user


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_running_subscription_ends_not_found_when_its_user_is_removed(
    api, waiting_export, socket, protocol
):
    ws = socket(protocol, api.token("eve@t.test"))
    start(ws, protocol, FOLLOW_EXPORT, {"id": waiting_export})
    assert payload_of(receive(ws))["data"]["exportUpdates"]["status"] == "QUEUED"

    remove_user("eve@t.test")

    assert codes(payload_of(receive(ws))) == ["NOT_FOUND"]
    assert receive(ws) == {"id": "1", "type": "complete"}


# ---- a user changed by a load


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"role": "agent", "agent_id": "a-top"}, id="demoted"),
        pytest.param({"role": "agency_admin", "agency_id": "other"}, id="moved"),
    ],
)
@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_an_admin_demoted_or_moved_by_a_load_stops_following_its_former_downline(
    api, east_report, load_book, socket, protocol, change
):
    ws = socket(protocol, api.token("admin@top.test"))
    followed = run(ws, protocol, FOLLOW_REPORT, {"id": east_report})
    assert followed["data"]["carrierReportUpdates"]["status"] == "SUCCEEDED", followed

    assert not load_book({"users": [{"email": "admin@top.test", **change}]}).rejections

    assert codes(run(ws, protocol, FOLLOW_REPORT, {"id": east_report})) == ["NOT_FOUND"]
