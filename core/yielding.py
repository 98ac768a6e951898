"""A long job yields the CPU to short work: `run_yielding(fn)` runs a job's work in a thread of
its own, and once it has run for LONG_SECONDS that thread's CPU priority drops by NICE.

On a small machine a user's backlog (exports of a whole downline, 200,000-row reports) keeps
every CPU busy. Another user's page, and their one-row export, are many short bursts of CPU
between database round trips: at equal priority each burst waits its turn behind the backlog,
and a 40 ms export took half a second. Most jobs are short and never drop; a long one loses
nothing but the CPU others ask for. The job gets a thread of its own because a thread's
priority may be lowered but not raised again (without privileges): the worker thread that runs
the next job must not inherit the drop.

Linux only (elsewhere a priority is the whole process's, and the work simply runs as before).
"""

import contextvars
import logging
import os
import sys
import threading
from collections.abc import Callable
from typing import TypeVar

log = logging.getLogger(__name__)

LONG_SECONDS = 1.0
NICE = 10
PER_THREAD = sys.platform == "linux"  # setpriority(PRIO_PROCESS, tid) names one thread there

T = TypeVar("T")


def run_yielding(fn: Callable[[], T]) -> T:
    """`fn()`, in a thread of its own whose priority drops after LONG_SECONDS; its result, or
    its exception raised here. The thread carries this one's context (tracing, logging)."""
    if not PER_THREAD:
        return fn()
    outcome: list = []

    def body() -> None:
        try:
            outcome.append((True, context.run(fn)))
        except BaseException as exc:  # noqa: BLE001 - raised again in the caller's thread
            outcome.append((False, exc))

    context = contextvars.copy_context()
    # A daemon, as the worker threads are: an exiting process hands its jobs back
    # (heartbeats.py) rather than waiting for them.
    thread = threading.Thread(
        target=body, name=f"{threading.current_thread().name}-job", daemon=True
    )
    thread.start()  # returns once the thread runs: its native id is known
    demote = threading.Timer(LONG_SECONDS, _lower_priority, args=(thread.native_id,))
    demote.daemon = True
    demote.start()
    try:
        # Joined a little at a time: an exception raised into this thread (Dramatiq's time
        # limit, a shutdown) is delivered between waits.
        while thread.is_alive():
            thread.join(0.5)
    finally:
        demote.cancel()
    ok, value = outcome[0]
    if not ok:
        raise value
    return value


def _lower_priority(thread_id: int) -> None:
    try:
        now = os.getpriority(os.PRIO_PROCESS, thread_id)
        os.setpriority(os.PRIO_PROCESS, thread_id, now + NICE)
    except OSError:  # the thread ended meanwhile
        log.debug("thread %s ended before its priority dropped", thread_id)
