"""Graceful shutdown: SIGTERM to `downline worker` while an export runs. Signalled the way a
container runtime does it (the main process only), the worker stops taking messages, finishes the
running export and exits 0. Told to stop twice (a second SIGTERM: an operator or a supervisor
insisting; systemd's default KillMode signals every process of the group while Dramatiq's parent
forwards its own), Dramatiq's worker processes exit at once, in the middle of the export: the
worker hands the export back as it exits, and the next worker finishes it at once, without
waiting for its heartbeat to go stale. Either way: SUCCEEDED exactly once, never stuck."""

import os
import signal
import time
from pathlib import Path

import pytest

from downline.core import db
from downline.core.models import Export

pytestmark = [
    pytest.mark.redis,
    pytest.mark.parametrize(
        "database", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
    ),
]

EXTRA_CLIENTS = 500_000  # an export of seconds, even on a fast machine: the signal lands mid-way


def row(export_id: str) -> Export:
    with db.session() as session:
        return session.get(Export, export_id)


def wait_writing(export_id: str, timeout: float = 60.0) -> Export:
    deadline = time.monotonic() + timeout
    while not ((current := row(export_id)).status == "PROCESSING" and current.rows_written > 0):
        assert current.status in ("QUEUED", "PROCESSING"), current
        assert time.monotonic() < deadline, current
        time.sleep(0.01)
    return current


def test_sigterm_to_the_worker_lets_the_running_export_finish(
    live_stacks, many_clients, calls, mailbox
):
    rows = many_clients(EXTRA_CLIENTS)
    stack = live_stacks(worker_env={"DOWNLINE_SMTP_URL": mailbox.url})
    export_id = calls.request_export(stack)
    cut = wait_writing(export_id)
    signalled = time.monotonic()
    os.kill(stack.worker.pid, signal.SIGTERM)  # the main process: it tells its children
    code = stack.worker.wait(timeout=60)
    exited_in = time.monotonic() - signalled
    final = row(export_id)
    print(
        f"\nfaults: SIGTERM (main process) at {cut.rows_written} of {rows} rows: exit code"
        f" {code} after {exited_in:.1f}s; export {final.status}, attempts {final.attempts}"
    )
    assert code == 0
    assert (final.status, final.attempts, final.row_count) == ("SUCCEEDED", 1, rows)
    assert mailbox.settled_count(export_id) == 1


def test_a_worker_stopped_twice_hands_the_running_export_back(
    live_stacks, many_clients, calls, mailbox
):
    rows = many_clients(EXTRA_CLIENTS)
    # The production stale limit: without the hand-back, nobody would resume it for 5 minutes.
    stack = live_stacks(
        env={"DOWNLINE_JOB_STALE_SECONDS": "300"}, worker_env={"DOWNLINE_SMTP_URL": mailbox.url}
    )
    export_id = calls.request_export(stack)
    cut = wait_writing(export_id)
    signalled = time.monotonic()
    # Stop, then stop again: Dramatiq's worker processes exit at once on the second SIGTERM.
    os.kill(stack.worker.pid, signal.SIGTERM)
    time.sleep(0.3)
    os.kill(stack.worker.pid, signal.SIGTERM)
    code = stack.worker.wait(timeout=60)
    exited_in = time.monotonic() - signalled
    left = row(export_id)
    stack.start_worker()
    done = calls.wait_export(stack, "eve@t.test", export_id, timeout=60)
    recovered_in = time.monotonic() - signalled
    final = row(export_id)
    files = list((Path(stack.env["DOWNLINE_VAR_DIR"]) / "files" / "exports" / export_id).iterdir())
    print(
        f"\nfaults: SIGTERM twice at {cut.rows_written} of {rows} rows: exit code"
        f" {code} after {exited_in:.1f}s leaving the export {left.status} (attempts"
        f" {left.attempts}); SUCCEEDED {recovered_in:.1f}s after the signal, attempts"
        f" {final.attempts}"
    )
    # Handed back as the worker process exited: its heartbeat dated back, so the sweep sends it
    # again at once and the next worker claims it without waiting for it to go stale.
    assert left.status == "PROCESSING" and left.heartbeat_at < left.started_at, (
        f"{left}\n{stack.logs_text()[-20_000:]}"
    )
    assert final.attempts == 2 and recovered_in < 60
    assert "handed back Export" in stack.logs_text()
    assert done["status"] == "SUCCEEDED" and final.row_count == rows
    assert len(files) == 1 and mailbox.settled_count(export_id) == 1
