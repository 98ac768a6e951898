"""The broker unreachable when an export is requested: the API's DOWNLINE_BROKER_URL goes through
a TCP proxy on loopback that the test switches off and on (the machine's Redis is never stopped;
the worker and the event bus use it directly). The mutation answers normally with a QUEUED
export, the row stays QUEUED while the broker is away, /readyz names the broker; once the broker
is back, the API's sweep sends the job and the worker finishes it."""

import time

import httpx
import pytest
import sqlalchemy as sa

from downline.core import db
from downline.core.models import Export

pytestmark = [
    pytest.mark.redis,
    pytest.mark.parametrize(
        "database", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
    ),
]


REQUEST_EXPORT = "mutation($type: String!) { requestExport(input: {type: $type}) { id status } }"


def row(export_id: str) -> Export:
    with db.session() as session:
        return session.get(Export, export_id)


def test_an_export_requested_while_the_broker_is_down_is_sent_by_the_sweep_when_it_is_back(
    live_stacks, redis_url, tcp_proxy, book, calls
):
    proxy = tcp_proxy(redis_url)
    stack = live_stacks(api_env={"DOWNLINE_BROKER_URL": proxy.url(redis_url)})
    proxy.off()

    ready = httpx.get(f"{stack.base_url}/readyz", timeout=10)
    assert ready.status_code == 503 and list(ready.json()["down"]) == ["broker"], ready.text

    started = time.monotonic()
    response = calls.post(stack, "eve@t.test", REQUEST_EXPORT, {"type": "clients"})
    answered_in = time.monotonic() - started
    payload = response.json()
    assert response.status_code == 200 and "errors" not in payload, payload
    export = payload["data"]["requestExport"]
    assert export["status"] == "QUEUED" and answered_in < 2.0, answered_in

    time.sleep(3)  # three sweeps: each finds nothing to send yet (it is not a minute old)
    # The sweep sends a QUEUED job once its message has had a minute to arrive; move the
    # request back a minute rather than wait one. Its sends still fail: the broker is away.
    with db.get_engine().begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE export SET requested_at = requested_at - interval '61 seconds'"
                " WHERE id = :id"
            ),
            {"id": export["id"]},
        )
    time.sleep(3)
    waiting = row(export["id"])
    assert (waiting.status, waiting.attempts) == ("QUEUED", 0)
    assert "could not send job" in stack.logs_text()

    proxy.on()
    back = time.monotonic()
    done = calls.wait_export(stack, "eve@t.test", export["id"], timeout=60)
    recovered_in = time.monotonic() - back
    final = row(export["id"])
    print(
        f"\nfaults: broker down: requestExport answered in {answered_in * 1000:.0f} ms"
        f" (QUEUED); done {recovered_in:.1f}s after the broker came back"
    )
    assert done["status"] == "SUCCEEDED" and final.attempts == 1
    assert httpx.get(f"{stack.base_url}/readyz", timeout=10).status_code == 200
