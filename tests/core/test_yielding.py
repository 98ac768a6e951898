"""A long job yields the CPU: its work runs in a thread of its own whose priority drops after
LONG_SECONDS; a short one keeps the caller's priority, and the caller's thread never changes."""

import contextvars
import os
import threading
import time

import pytest

from downline.core import yielding

pytestmark = pytest.mark.skipif(not yielding.PER_THREAD, reason="per-thread priority is Linux's")

REQUEST = contextvars.ContextVar("request", default=None)
OWNER = "ann@agency.test"


def own_priority() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def test_a_job_past_its_first_second_runs_at_a_lower_priority(monkeypatch):
    monkeypatch.setattr(yielding, "LONG_SECONDS", 0.2)
    before = own_priority()

    def long_job() -> tuple[int, int]:
        at_start = own_priority()
        time.sleep(0.5)
        return at_start, own_priority()

    at_start, later = yielding.run_yielding(long_job, OWNER)

    assert (at_start, later) == (before, min(before + yielding.NICE, 19))
    assert own_priority() == before  # the worker's own thread runs the next job as before


def test_a_short_job_keeps_its_priority_and_the_callers_context():
    before = own_priority()
    REQUEST.set("trace-1")

    result = yielding.run_yielding(
        lambda: (own_priority(), REQUEST.get(), threading.get_ident()), OWNER
    )

    assert result[:2] == (before, "trace-1")
    assert result[2] != threading.get_ident()  # its own thread


def test_a_jobs_exception_is_raised_in_the_caller():
    def failing() -> None:
        raise LookupError("the export type is gone")

    with pytest.raises(LookupError, match="the export type is gone"):
        yielding.run_yielding(failing, OWNER)
