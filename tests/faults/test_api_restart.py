"""An API process restarted (SIGTERM, as a deploy does; or SIGKILL, a crash) while a client is
subscribed to an export's updates over WebSocket. The export moves on while the API is away; the
client reconnects, subscribes again, and the first message it gets is the export's current state
(the row is the truth: the subscription reads it first), then the subscription completes."""

import asyncio
import json
import signal
import threading
import time

import pytest
import websockets

from downline.core import db
from downline.core.models import Export

pytestmark = [
    pytest.mark.redis,
    pytest.mark.parametrize(
        "database", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
    ),
]

SUBSCRIBE = "subscription($id: ID!) { exportUpdates(id: $id) { status rowCount } }"


class Subscriber:
    """A graphql-transport-ws client in a thread of its own that reconnects (and subscribes
    again) whenever its connection drops, keeping (connection number, payload) of each message."""

    def __init__(self, url: str, token: str, export_id: str) -> None:
        self.url, self.token, self.export_id = url, token, export_id
        self.messages: list[tuple[int, dict]] = []
        self.connections = 0
        self.completed = threading.Event()
        self.got_first = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            asyncio.run(self._follow())
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.error = exc

    async def _follow(self) -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                await self._connection()
                return
            except (OSError, websockets.ConnectionClosed, TimeoutError):
                await asyncio.sleep(0.1)  # the API is away: try again
        raise TimeoutError("never completed")

    async def _connection(self) -> None:
        async with websockets.connect(
            self.url, subprotocols=["graphql-transport-ws"], open_timeout=2
        ) as ws:
            await ws.send(
                json.dumps({"type": "connection_init", "payload": {"authorization": self.token}})
            )
            assert json.loads(await ws.recv())["type"] == "connection_ack"
            self.connections += 1
            number = self.connections
            variables = {"id": self.export_id}
            await ws.send(
                json.dumps(
                    {
                        "id": "1",
                        "type": "subscribe",
                        "payload": {"query": SUBSCRIBE, "variables": variables},
                    }
                )
            )
            while True:
                message = json.loads(await ws.recv())
                if message["type"] == "complete":
                    self.completed.set()
                    return
                assert message["type"] == "next", message
                self.messages.append((number, message["payload"]["data"]["exportUpdates"]))
                self.got_first.set()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_a_subscriber_reconnects_after_an_api_restart_and_first_gets_the_current_state(
    live_stacks, many_clients, calls, sig
):
    rows = many_clients(1000)
    stack = live_stacks(worker=False)  # the export waits, QUEUED, until the worker starts
    export_id = calls.request_export(stack)
    token = f"Bearer {calls_token('eve@t.test')}"
    subscriber = Subscriber(stack.base_url.replace("http", "ws") + "/graphql", token, export_id)
    assert subscriber.got_first.wait(30), subscriber.error

    stopped = time.monotonic()
    stack.stop_api(sig)
    stop_seconds = time.monotonic() - stopped
    stack.start_worker()  # the export runs while the API is away
    deadline = time.monotonic() + 60
    while (status := _status(export_id)) != "SUCCEEDED":
        assert time.monotonic() < deadline and status != "FAILED", stack.logs_text()
        time.sleep(0.1)
    restarted = time.monotonic()
    stack.start_api()
    stack.wait_ready()
    assert subscriber.completed.wait(30), (subscriber.error, subscriber.messages)
    reconnect_seconds = time.monotonic() - restarted
    subscriber.thread.join(timeout=10)

    before = [m for n, m in subscriber.messages if n == 1]
    after = [m for n, m in subscriber.messages if n > 1]
    print(
        f"\nfaults: API {sig.name} while subscribed: stopped in {stop_seconds:.1f}s;"
        f" {subscriber.connections} connections; first message after reconnecting {after[:1]}"
        f" ({reconnect_seconds:.1f}s after the restart)"
    )
    assert subscriber.error is None
    assert before == [{"status": "QUEUED", "rowCount": None}]
    assert subscriber.connections == 2
    assert after[0] == {"status": "SUCCEEDED", "rowCount": rows}  # the current state, first
    assert after == after[:1]  # and nothing else: it was terminal, the subscription completed


def _status(export_id: str) -> str:
    with db.session() as session:
        return session.get(Export, export_id).status


def calls_token(email: str) -> str:
    from downline.core import tokens
    from downline.core.config import get_settings

    return tokens.mint(get_settings(), email)
