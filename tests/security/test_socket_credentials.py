"""Credentials over time on a WebSocket, over graphql-transport-ws and legacy graphql-ws alike.

A socket signs in once, by connection_init, and lives long. Every operation it starts re-loads
the user: a removed user's socket closes with 4401, and a user a load demoted or moved gets its
new scope and export rights, as its next HTTP request would. The socket closes with 4401 when
its token expires, even while idle; a running subscription ends NOT_FOUND once its user may no
longer see the job. (Legacy graphql-ws runs subscriptions only, so queries and mutations are
tested over graphql-transport-ws.)
"""

import queue
import threading
import time
from pathlib import Path

import jwt
import pytest
from sqlalchemy import delete
from starlette.websockets import WebSocketDisconnect

from downline.core import db
from downline.core.models import User

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
def test_a_removed_users_next_operation_closes_the_socket_4401(
    api, waiting_export, socket, protocol
):
    ws = socket(protocol, api.token("eve@t.test"))
    remove_user("eve@t.test")

    assert run(ws, protocol, FOLLOW_EXPORT, {"id": waiting_export}) == UNAUTHORIZED


def test_a_removed_users_next_query_closes_the_socket_4401(api, book, socket):
    ws = socket("graphql-transport-ws", api.token("dan@t.test"))
    assert run(ws, "graphql-transport-ws", VIEWER)["data"]["viewer"]["email"] == "dan@t.test"

    remove_user("dan@t.test")

    assert run(ws, "graphql-transport-ws", VIEWER) == UNAUTHORIZED


def test_a_removed_user_cannot_request_an_export_on_its_open_socket(api, book, socket, snapshot):
    ws = socket("graphql-transport-ws", api.token("eve@t.test"))
    remove_user("eve@t.test")
    before = snapshot()

    assert run(ws, "graphql-transport-ws", REQUEST, {"type": "clients"}) == UNAUTHORIZED
    assert snapshot() == before  # no export, no message, nothing audited


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


def test_an_admin_demoted_by_a_load_gets_the_agents_scope_on_the_next_operation(
    api, book, load_book, socket
):
    ws = socket("graphql-transport-ws", api.token("admin@top.test"))
    before = run(ws, "graphql-transport-ws", VIEWER)["data"]
    assert (before["viewer"]["role"], before["downline"]["totalCount"]) == ("AGENCY_ADMIN", 4)

    demoted = {"email": "admin@top.test", "role": "agent", "agent_id": "a-top"}
    assert not load_book({"users": [demoted]}).rejections

    after = run(ws, "graphql-transport-ws", VIEWER)["data"]
    assert (after["viewer"]["role"], after["downline"]["totalCount"]) == ("AGENT", 1)
    refused = run(ws, "graphql-transport-ws", REQUEST, {"type": "agent_roster"})
    assert codes(refused) == ["FORBIDDEN"]


def test_an_admin_moved_by_a_load_sees_its_new_agencys_downline_on_the_next_operation(
    api, book, load_book, socket
):
    ws = socket("graphql-transport-ws", api.token("admin@east.test"))
    assert run(ws, "graphql-transport-ws", VIEWER)["data"]["downline"]["totalCount"] == 2

    moved = {"email": "admin@east.test", "role": "agency_admin", "agency_id": "west"}
    assert not load_book({"users": [moved]}).rejections

    assert run(ws, "graphql-transport-ws", VIEWER)["data"]["downline"]["totalCount"] == 1


def test_an_agent_moved_by_a_load_follows_its_new_agencys_export_switch(
    api, book, load_book, socket
):
    ws = socket("graphql-transport-ws", api.token("eve@t.test"))
    assert run(ws, "graphql-transport-ws", VIEWER)["data"]["viewer"]["exportsAllowed"] is True

    # West, where Eve's agent moves, has exports switched off for its agents.
    eve = next(a for a in book["agents"] if a["id"] == "a-east")
    assert not load_book({"agents": [eve | {"agency_id": "west"}]}).rejections

    assert run(ws, "graphql-transport-ws", VIEWER)["data"]["viewer"]["exportsAllowed"] is False
    refused = run(ws, "graphql-transport-ws", REQUEST, {"type": "clients"})
    assert codes(refused) == ["EXPORTS_DISABLED"]


# ---- an expiring token


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_an_idle_socket_closes_4401_when_its_token_expires(api, book, cli, socket, protocol):
    minted = cli("token", "eve@t.test", "--ttl", 3)
    assert minted.exit_code == 0, minted.output
    token = minted.output.strip()
    expires = jwt.decode(token, options={"verify_signature": False})["exp"]
    ws = socket(protocol, token)

    answer = receive(ws, within=expires - time.time() + 2)  # the client sends nothing

    closed_at = time.time()
    assert answer == UNAUTHORIZED
    assert expires <= closed_at < expires + 1.5, closed_at - expires
