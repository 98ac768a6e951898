"""Subscriptions are fed by the event bus, one read per event for all of a job's subscribers
(domain rule "Fair use"), over graphql-transport-ws and legacy graphql-ws alike.

Every subscription gets the job as it is first; an event then costs one read of the job's row
however many follow it, and whether each user may still see the job is asked once per user, not
once per subscription. A removed user's subscriptions all end NOT_FOUND; all end after a terminal
state. And a flood of one user's subscriptions on a real `downline serve` leaves another user's
queries fast.
"""

import asyncio
import json
import statistics
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import update

from downline.core import db, events, tokens
from downline.core.config import get_settings
from downline.core.models import Export
from tests.conftest import every_statement
from tests.security import live_sockets
from tests.security.test_socket_credentials import (
    PROTOCOLS,
    codes,
    payload_of,
    receive,
    remove_user,
    start,
)

FOLLOW = "subscription($id: ID!) { exportUpdates(id: $id) { status rowsWritten error } }"
PER_SOCKET = 30  # subscriptions on each protocol's socket: 60 subscribers of one export
QUEUED = {"status": "QUEUED", "rowsWritten": 0, "error": None}


@pytest.fixture
def reads_of(api):
    """`reads_of(value)`: how many SELECT statements were given `value` (a job's id, a user's
    email) as a parameter since the last call, counted at the engine."""
    seen: list[tuple[str, str]] = []

    def reads(value: str) -> int:
        found = [s for s, p in seen if value in p and s.lstrip().upper().startswith("SELECT")]
        seen.clear()
        return len(found)

    with every_statement(lambda statement, parameters: seen.append((statement, repr(parameters)))):
        yield reads


def results(ws, count: int, within: float = 10.0) -> dict[str, list]:
    """The socket's next `count` messages by subscription id: the export sent, the codes of the
    errors sent, or "complete"."""
    got: dict[str, list] = {}
    deadline = time.monotonic() + within
    for _ in range(count):
        message = receive(ws, within=max(deadline - time.monotonic(), 0.1))
        assert isinstance(message, dict), f"closed with {message}"
        if message["type"] == "complete":
            result = "complete"
        else:
            payload = payload_of(message)
            result = codes(payload) or payload["data"]["exportUpdates"]
        got.setdefault(message["id"], []).append(result)
    return got


@pytest.fixture
def followers(api, waiting_export, socket) -> dict:
    """PER_SOCKET subscriptions to eve's waiting export on a socket of each protocol, each with
    its first message (the export as it is) received; returns {protocol: socket}."""
    opened = {protocol: socket(protocol, api.token("eve@t.test")) for protocol in PROTOCOLS}
    for protocol, ws in opened.items():
        for n in range(PER_SOCKET):
            start(ws, protocol, FOLLOW, {"id": waiting_export}, id_=str(n))
    for ws in opened.values():
        assert results(ws, PER_SOCKET) == {str(n): [QUEUED] for n in range(PER_SOCKET)}
    return opened


def change(export_id: str, **values) -> None:
    """A worker's step: the row changes, then its event is published."""
    with db.session() as session:
        session.execute(update(Export).where(Export.id == export_id).values(**values))
        session.commit()
    events.get_bus().publish(events.channel("export", export_id), {"status": values["status"]})


def each(result: list) -> dict[str, list]:
    return {str(n): result for n in range(PER_SOCKET)}


def test_an_event_is_one_read_for_every_subscriber_and_a_terminal_state_ends_them_all(
    waiting_export, followers, reads_of
):
    reads_of(waiting_export)  # following is not counted: only what the events cost

    change(waiting_export, status="PROCESSING", rows_written=7)
    running = {"status": "PROCESSING", "rowsWritten": 7, "error": None}
    for ws in followers.values():
        assert results(ws, PER_SOCKET) == each([running])
    # One read of the row for 60 subscribers (and one look more if eve's came meanwhile).
    assert reads_of(waiting_export) <= 2

    change(waiting_export, status="FAILED", error="the test failed it")
    failed = {"status": "FAILED", "rowsWritten": 7, "error": "the test failed it"}
    for ws in followers.values():
        assert results(ws, 2 * PER_SOCKET) == each([failed, "complete"])
    assert reads_of(waiting_export) <= 2


def test_a_removed_users_subscriptions_all_end_not_found_at_one_look(
    waiting_export, followers, reads_of
):
    reads_of("eve@t.test")

    remove_user("eve@t.test")

    for ws in followers.values():
        assert results(ws, 2 * PER_SOCKET) == each([["NOT_FOUND"], "complete"])
    # Eve was looked for once (twice if a look came just before her removal), not 60 times.
    assert reads_of("eve@t.test") <= 2


# ---- a flood on a real server

FLOOD_SOCKETS, FLOOD_SUBSCRIPTIONS = 10, 100  # of one user, on one export
OTHERS_QUERY = "{ viewer { email } clients(first: 5) { edges { node { id } } } }"
PROBE_SECONDS, PROBE_TIMEOUT = 6.0, 5.0


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def p95(latencies: list[float]) -> float:
    return statistics.quantiles(latencies, n=20, method="inclusive")[-1]


async def probe(http: httpx.AsyncClient, seconds: float) -> list[float]:
    """Another user's query, one after the other for `seconds`: each one's seconds (a request
    that timed out counts as PROBE_TIMEOUT)."""
    latencies: list[float] = []
    until = time.monotonic() + seconds
    while time.monotonic() < until or len(latencies) < 2:
        began = time.monotonic()
        try:
            response = await http.post("/graphql", json={"query": OTHERS_QUERY})
        except httpx.TimeoutException:
            latencies.append(PROBE_TIMEOUT)
            continue
        latencies.append(time.monotonic() - began)
        assert response.status_code == 200 and "errors" not in response.json(), response.text
        await asyncio.sleep(0.05)
    return latencies


async def first_messages(ws) -> None:
    for _ in range(FLOOD_SUBSCRIPTIONS):
        message = json.loads(await ws.recv())
        assert message["type"] == "next", message
        assert message["payload"]["data"]["exportUpdates"]["status"] == "QUEUED", message


@pytest.mark.redis
def test_a_flood_of_one_users_subscriptions_leaves_another_users_queries_fast(
    live_stacks, waiting_export
):
    stack = live_stacks(worker=False)
    url = live_sockets.ws_url(stack.base_url)
    settings = get_settings()
    eve = tokens.mint(settings, "eve@t.test")
    admin = {"Authorization": f"Bearer {tokens.mint(settings, 'admin@top.test')}"}

    async def flood() -> dict:
        async with httpx.AsyncClient(
            base_url=stack.base_url, headers=admin, timeout=PROBE_TIMEOUT
        ) as http:
            quiet = await probe(http, 2.0)
            rss_before = rss_mib(stack.api.pid)
            sockets = [await live_sockets.signed_in(url, eve) for _ in range(FLOOD_SOCKETS)]
            began = time.monotonic()
            for ws in sockets:
                for n in range(FLOOD_SUBSCRIPTIONS):
                    await live_sockets.subscribe(
                        ws, "graphql-transport-ws", str(n), FOLLOW, {"id": waiting_export}
                    )
            await asyncio.wait_for(asyncio.gather(*(first_messages(ws) for ws in sockets)), 90)
            followed = time.monotonic() - began
            # A socket runs at most 100 operations at once.
            await live_sockets.subscribe(
                sockets[0], "graphql-transport-ws", "101", FOLLOW, {"id": waiting_export}
            )
            refused = await live_sockets.next_or_close(sockets[0])
            assert refused["type"] == "error", refused
            assert refused["payload"][0]["message"] == "Subscription limit reached", refused
            flooded = await probe(http, PROBE_SECONDS)
            rss_after = rss_mib(stack.api.pid)
            for ws in sockets:
                await ws.close()
        return dict(quiet=quiet, flooded=flooded, followed=followed, rss=(rss_before, rss_after))

    seen = asyncio.run(flood())
    quiet, flooded = seen["quiet"], seen["flooded"]
    report = (
        f"another user's query: quiet p50 {statistics.median(quiet) * 1000:.0f} ms, "
        f"p95 {p95(quiet) * 1000:.0f} ms; under {FLOOD_SOCKETS} x {FLOOD_SUBSCRIPTIONS} "
        f"subscriptions p50 {statistics.median(flooded) * 1000:.0f} ms, "
        f"p95 {p95(flooded) * 1000:.0f} ms ({len(flooded)} requests); all first messages in "
        f"{seen['followed']:.1f} s; API RSS {seen['rss'][0]:.0f} -> {seen['rss'][1]:.0f} MiB"
    )
    print(report)
    assert p95(flooded) < 1.0, report
