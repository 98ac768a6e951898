"""The production path for carrier reports: `downline serve` and `downline worker` as separate
processes on a real Redis broker, events over Redis pub/sub, the database shared."""

import asyncio
import json
import time
from pathlib import Path

import httpx
import pytest
import websockets

from downline.core import tokens
from downline.core.config import get_settings
from tests.conftest import SAMPLES

UPLOAD = "mutation($file: Upload!, $asOf: Date) { uploadCarrierReport(file: $file, asOf: $asOf) { id status } }"
REPORT = "query($id: ID!) { node(id: $id) { ... on CarrierReport { status rowsRead rowsInserted rowsRejected finishedAt } } }"

pytestmark = pytest.mark.redis


def auth(email: str) -> dict:
    return {"Authorization": f"Bearer {tokens.mint(get_settings(), email)}"}


def upload(stack, email: str, path: Path) -> str:
    operations = {"query": UPLOAD, "variables": {"file": None, "asOf": "2026-11-24"}}
    response = httpx.post(
        f"{stack.base_url}/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})},
        files={"0": (path.name, path.read_bytes(), "text/csv")},
        headers=auth(email),
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return response.json()["data"]["uploadCarrierReport"]["id"]


def report(stack, email: str, report_id: str) -> dict:
    body = {"query": REPORT, "variables": {"id": report_id}}
    return httpx.post(
        f"{stack.base_url}/graphql", json=body, headers=auth(email), timeout=30
    ).json()["data"]["node"]


def wait_done(stack, email, report_id, timeout=60.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = report(stack, email, report_id)
        if current["status"] in ("SUCCEEDED", "FAILED"):
            return current
        time.sleep(0.2)
    raise AssertionError(f"not finished: {current}\n{stack.logs_text()}")


def test_a_worker_process_runs_an_uploaded_report(live_stack, production_book):
    report_id = upload(live_stack, "admin@top.test", SAMPLES / "humana-2026-11-24.csv")
    done = wait_done(live_stack, "admin@top.test", report_id)
    assert (done["status"], done["rowsRead"], done["rowsInserted"], done["rowsRejected"]) == (
        "SUCCEEDED",
        12,
        10,
        2,
    )


def test_the_same_message_twice_runs_the_report_once(live_stack, production_book, redis_url):
    import dramatiq
    from dramatiq.brokers.redis import RedisBroker

    report_id = upload(live_stack, "admin@top.test", SAMPLES / "humana-2026-11-24.csv")
    first = wait_done(live_stack, "admin@top.test", report_id)
    queue = live_stack.env["DOWNLINE_QUEUE"]  # the stack's own queue, where its worker listens
    broker = RedisBroker(url=redis_url)
    broker.declare_queue(queue)
    broker.enqueue(
        dramatiq.Message(
            queue_name=queue,
            actor_name="ingest_report",
            args=(report_id,),
            kwargs={},
            options={},
        )
    )
    deadline = time.monotonic() + 10
    while broker.client.llen(f"dramatiq:{queue}") and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1.0)  # let the worker finish whatever it took
    assert report(live_stack, "admin@top.test", report_id) == first


def test_subscription_on_the_api_process_follows_the_worker_over_redis(live_stack, production_book):
    report_id = upload(live_stack, "admin@top.test", SAMPLES / "humana-2026-11-24.csv")
    url = live_stack.base_url.replace("http", "ws") + "/graphql"

    async def follow() -> list[str]:
        async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as ws:
            token = auth("admin@top.test")["Authorization"]
            await ws.send(
                json.dumps({"type": "connection_init", "payload": {"authorization": token}})
            )
            assert json.loads(await ws.recv())["type"] == "connection_ack"
            query = "subscription($id: ID!) { carrierReportUpdates(id: $id) { status } }"
            await ws.send(
                json.dumps(
                    {
                        "id": "1",
                        "type": "subscribe",
                        "payload": {"query": query, "variables": {"id": report_id}},
                    }
                )
            )
            seen = []
            while True:
                message = json.loads(await asyncio.wait_for(ws.recv(), timeout=60))
                if message["type"] == "complete":
                    return seen
                seen.append(message["payload"]["data"]["carrierReportUpdates"]["status"])

    statuses = asyncio.run(follow())
    assert statuses[-1] == "SUCCEEDED"
    assert statuses == sorted(statuses, key=["QUEUED", "PROCESSING", "SUCCEEDED"].index)


def test_readyz_names_the_broker_and_event_bus(live_stack):
    response = httpx.get(f"{live_stack.base_url}/readyz", timeout=10)
    assert response.status_code == 200 and response.json() == {"ready": True}
