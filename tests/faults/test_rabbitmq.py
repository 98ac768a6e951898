"""The production path on RabbitMQ: `downline serve --no-workers-in-process` and `downline worker`
as separate processes with DOWNLINE_BROKER_URL=amqp://…, events still over Redis; and /readyz,
which opens a real connection to RabbitMQ each time, so a RabbitMQ that goes away is reported
(through a proxy the test switches off: the machine's RabbitMQ is never stopped)."""

import time

import httpx
import pytest

from tests.conftest import SAMPLES

pytestmark = [
    pytest.mark.redis,
    pytest.mark.parametrize(
        "database", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
    ),
]


def test_a_worker_on_rabbitmq_runs_a_report_then_exports_its_production(
    live_stacks, rabbitmq_url, production_book, calls
):
    stack = live_stacks(broker_url=rabbitmq_url)
    assert stack.worker_env["DOWNLINE_BROKER_URL"].startswith("amqp://")
    assert stack.env["DOWNLINE_REDIS_URL"].startswith("redis://")  # events

    report_id = calls.upload(stack, "admin@top.test", SAMPLES / "humana-2026-11-24.csv")
    done = calls.wait_report(stack, "admin@top.test", report_id, timeout=60)
    assert (done["status"], done["rowsRead"], done["rowsInserted"], done["rowsRejected"]) == (
        "SUCCEEDED",
        12,
        10,
        2,
    )

    visible = calls.gql(stack, "admin@top.test", "{ production { totalCount } }")
    export_id = calls.request_export(stack, "admin@top.test", "production")
    export = calls.wait_export(stack, "admin@top.test", export_id, timeout=60)
    assert export["status"] == "SUCCEEDED"
    assert export["rowCount"] == visible["production"]["totalCount"] > 0
    response = calls.download(stack, export["downloadUrl"])
    assert response.status_code == 200 and len(response.content) == export["byteSize"]
    assert response.content.count(b"\r\n") == export["rowCount"] + 1

    # The queue was declared on RabbitMQ and is empty now; its depth is read from RabbitMQ.
    metrics = calls.metrics(stack)
    assert f'downline_queue_depth{{queue="{stack.queue}"}} 0.0' in metrics, metrics
    assert 'downline_jobs{kind="report",status="SUCCEEDED"} 1.0' in metrics
    assert 'downline_jobs{kind="export",status="SUCCEEDED"} 1.0' in metrics
    assert "Worker process is ready for action" in stack.logs_text()


def test_readyz_opens_a_real_connection_to_rabbitmq(live_stacks, rabbitmq_url, tcp_proxy):
    proxy = tcp_proxy(rabbitmq_url)
    stack = live_stacks(broker_url=proxy.url(rabbitmq_url), worker=False)
    assert httpx.get(f"{stack.base_url}/readyz", timeout=10).json() == {"ready": True}
    proxy.off()
    started = time.monotonic()
    response = httpx.get(f"{stack.base_url}/readyz", timeout=10)
    took = time.monotonic() - started
    assert response.status_code == 503 and list(response.json()["down"]) == ["broker"], (
        response.text
    )
    assert took < 6, f"readyz took {took:.1f}s"
    proxy.on()
    assert httpx.get(f"{stack.base_url}/readyz", timeout=10).status_code == 200
