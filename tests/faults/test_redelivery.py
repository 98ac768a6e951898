"""The same message delivered twice, on purpose: both copies in flight at once (two worker
threads racing for the claim), then once more after the job finished. One effect each time:
one file, one email, one run of the report; the row never moves again once finished."""

import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from downline.core import db
from downline.core.models import CarrierReport, Export
from tests.conftest import SAMPLES

pytestmark = [
    pytest.mark.redis,
    pytest.mark.parametrize(
        "database", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
    ),
]


def row(model, job_id: str):
    with db.session() as session:
        return session.get(model, job_id)


def drained(calls, stack, timeout: float = 15.0) -> None:
    """Until the stack's queue is empty (its depth from /metrics), then a moment for the worker
    to finish what it took."""
    line = f'downline_queue_depth{{queue="{stack.queue}"}} 0.0'
    deadline = time.monotonic() + timeout
    while line not in calls.metrics(stack):
        assert time.monotonic() < deadline, "the queue never drained"
        time.sleep(0.1)
    time.sleep(1.0)


def test_an_export_message_delivered_twice_at_once_and_again_later_runs_once(
    live_stacks, many_clients, calls, mailbox
):
    rows = many_clients(20_000)
    stack = live_stacks(worker=False, worker_env={"DOWNLINE_SMTP_URL": mailbox.url})
    export_id = calls.request_export(stack)  # the API sent its message: nobody listens yet
    calls.enqueue(stack, "build_export", export_id)  # the same message, a second time
    assert f'downline_queue_depth{{queue="{stack.queue}"}} 2.0' in calls.metrics(stack)
    stack.start_worker()  # two threads: both copies are taken at once
    done = calls.wait_export(stack, "eve@t.test", export_id, timeout=60)
    drained(calls, stack)
    first = row(Export, export_id)

    calls.enqueue(stack, "build_export", export_id)  # and once more, after it finished
    drained(calls, stack)
    files = list((Path(stack.env["DOWNLINE_VAR_DIR"]) / "files" / "exports" / export_id).iterdir())
    print(
        f"\nfaults: export message x3: attempts={first.attempts} files={len(files)}"
        f" emails={mailbox.count(export_id)}"
    )
    assert done["status"] == "SUCCEEDED" and done["rowCount"] == rows
    assert first.attempts == 1 and len(files) == 1 and mailbox.settled_count(export_id) == 1
    assert row(Export, export_id) == first  # nothing moved: not even finished_at


def test_a_report_message_delivered_twice_at_once_and_again_later_runs_once(
    live_stacks, production_book, calls
):
    stack = live_stacks(worker=False)
    report_id = calls.upload(stack, "admin@top.test", SAMPLES / "humana-2026-11-24.csv")
    calls.enqueue(stack, "ingest_report", report_id)
    stack.start_worker()
    done = calls.wait_report(stack, "admin@top.test", report_id, timeout=60)
    drained(calls, stack)
    first = row(CarrierReport, report_id)

    calls.enqueue(stack, "ingest_report", report_id)
    drained(calls, stack)
    with db.get_engine().connect() as conn:
        policies = conn.execute(sa.text("SELECT count(*) FROM policy")).scalar_one()
    print(f"\nfaults: report message x3: attempts={first.attempts} policies={policies}")
    assert (done["status"], done["rowsInserted"], done["rowsRejected"]) == ("SUCCEEDED", 10, 2)
    assert first.attempts == 1 and policies == 10
    assert row(CarrierReport, report_id) == first
