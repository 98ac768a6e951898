"""Fair use of WebSockets (domain rule "Fair use"), over graphql-transport-ws and legacy
graphql-ws alike.

One user holds at most DOWNLINE_MAX_SOCKETS_PER_USER (20) sockets open in an API process: one
more is closed with 4429 "Too many connections" right after its connection_init is accepted,
before any operation runs on it, while other users open theirs as usual. A socket gives its
place back however it ends, a connection dropped without a close frame too. A socket of either
protocol that has not signed in within DOWNLINE_WS_INIT_SECONDS is closed with 4408.
"""

import asyncio
import queue
import threading
import time

import pytest
from starlette.websockets import WebSocketDisconnect

from downline.core import tokens
from downline.core.config import get_settings
from tests.security import live_sockets
from tests.security.test_socket_credentials import PROTOCOLS, START, payload_of, receive, start

PER_USER = 20  # DOWNLINE_MAX_SOCKETS_PER_USER's default
TOO_MANY = (4429, "Too many connections")
INIT_TIMEOUT = (4408, "Connection initialisation timeout")
FOLLOW = "subscription($id: ID!) { exportUpdates(id: $id) { status } }"


def closed(ws, within: float = 5.0) -> tuple[int, str] | dict:
    """(code, reason) once the server closed the socket, or the message it sent instead; fails
    the test when neither comes `within` seconds."""
    answers: queue.Queue = queue.Queue()

    def wait() -> None:
        try:
            answers.put(ws.receive_json())
        except WebSocketDisconnect as closing:
            answers.put((closing.code, closing.reason))

    threading.Thread(target=wait, daemon=True).start()
    try:
        return answers.get(timeout=within)
    except queue.Empty:
        pytest.fail(f"the server neither answered nor closed the socket within {within:.1f} s")


class Sockets:
    """The test client's WebSockets, signed in with a token and closed at the end of the test."""

    def __init__(self, client) -> None:
        self.client = client
        self.contexts: dict[object, object] = {}

    def open(self, token: str, protocol: str, *then: dict):
        """A socket that sent its connection_init, and the messages `then` right after it
        without waiting; returns it and the server's first answer (or close code)."""
        context = self.client.websocket_connect("/graphql", subprotocols=[protocol])
        ws = context.__enter__()
        self.contexts[ws] = context
        ws.send_json({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
        for message in then:
            ws.send_json(message)
        return ws, receive(ws)

    def close(self, ws) -> None:
        self.contexts.pop(ws).__exit__(None, None, None)


@pytest.fixture
def sockets(api):
    opened = Sockets(api.client)
    yield opened
    for ws in list(opened.contexts):
        opened.close(ws)


def acked(answer) -> bool:
    return isinstance(answer, dict) and answer["type"] == "connection_ack"


def following(ws, protocol: str, export_id: str) -> dict:
    """What the socket answers to following the export: its first result's payload."""
    start(ws, protocol, FOLLOW, {"id": export_id})
    answer = receive(ws)
    assert isinstance(answer, dict), f"closed with {answer}"
    return payload_of(answer)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_users_21st_socket_is_closed_4429_and_a_place_given_back_is_taken_again(
    api, waiting_export, sockets, protocol
):
    eve = api.token("eve@t.test")
    held = [sockets.open(eve, PROTOCOLS[n % 2]) for n in range(PER_USER)]
    assert all(acked(answer) for _, answer in held)

    # Signed in, then closed before anything runs: the operation sent at once is not.
    payload = {"query": FOLLOW, "variables": {"id": waiting_export}}
    ws, answer = sockets.open(
        eve, protocol, {"id": "1", "type": START[protocol], "payload": payload}
    )
    assert acked(answer)
    assert closed(ws) == TOO_MANY

    # Another user's sockets are their own.
    other, answer = sockets.open(api.token("dan@t.test"), protocol)
    assert acked(answer)
    assert following(other, protocol, waiting_export)["errors"][0]["extensions"]["code"] == (
        "NOT_FOUND"  # eve's export: dan's socket runs it, and sees nothing of it
    )

    sockets.close(held[0][0])
    ws, answer = sockets.open(eve, protocol)
    assert acked(answer)
    assert following(ws, protocol, waiting_export)["data"]["exportUpdates"]["status"] == "QUEUED"


@pytest.fixture
def quick_init(book, monkeypatch):
    """The app with DOWNLINE_WS_INIT_SECONDS=1, on the test book."""
    from starlette.testclient import TestClient

    from downline.server.app import create_app

    monkeypatch.setenv("DOWNLINE_WS_INIT_SECONDS", "1")
    get_settings.cache_clear()
    with TestClient(create_app()) as client:
        yield client


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_socket_that_does_not_sign_in_in_time_is_closed_4408(
    api, quick_init, waiting_export, ws_connect, protocol
):
    opened = time.monotonic()
    with quick_init.websocket_connect("/graphql", subprotocols=[protocol]) as silent:
        context, signed, answer = ws_connect(
            quick_init, f"Bearer {api.token('eve@t.test')}", protocol
        )
        try:
            assert acked(answer)

            assert closed(silent, within=5.0) == INIT_TIMEOUT
            assert 1.0 <= time.monotonic() - opened < 3.0

            # A socket that signed in in time lives on.
            assert following(signed, protocol, waiting_export)["data"]["exportUpdates"] == {
                "status": "QUEUED"
            }
        finally:
            context.__exit__(None, None, None)


@pytest.mark.redis
def test_sockets_dropped_without_a_close_give_their_places_back(live_stacks, book):
    stack = live_stacks(worker=False)
    url = live_sockets.ws_url(stack.base_url)
    eve = tokens.mint(get_settings(), "eve@t.test")

    async def scenario() -> None:
        held = [await live_sockets.signed_in(url, eve, PROTOCOLS[n % 2]) for n in range(PER_USER)]
        extra = await live_sockets.signed_in(url, eve)
        assert await live_sockets.next_or_close(extra, within=5.0) == TOO_MANY

        for ws in held:
            ws.transport.abort()  # the connection drops: no close frame, no goodbye

        deadline = time.monotonic() + 10
        while True:
            again = [await live_sockets.signed_in(url, eve) for _ in range(PER_USER)]
            usable = [await live_sockets.usable(ws) for ws in again]
            for ws in again:
                await ws.close()
            if all(usable):
                return
            held_still = usable.count(False)
            assert time.monotonic() < deadline, f"{held_still} places still held after 10 s"
            await asyncio.sleep(0.2)

    asyncio.run(scenario())
