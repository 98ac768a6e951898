"""A long job yields to short work: `run_yielding(fn, owner)` runs a job's work in a thread of
its own.

- Once the job has run for LONG_SECONDS, its thread's CPU priority drops by NICE (Linux;
  elsewhere a priority is the whole process's, and this part is skipped).
- Once it has run for PACED_SECONDS, while another user than its owner is active
  (core/presence.py), the job pauses at each `give_way()` its work calls between pieces, so
  that its owner's running jobs together work DOWNLINE_LONG_JOB_SHARE of the time (a user
  running four jobs gets a quarter of that each). A backlog's jobs start one after another: a
  job unpaced for its first second took the CPU from the other user's export just as often.
- While another user is active, `sharing()` says so: a job's long statement then runs in one
  database process, not three (db.one_process).
- When the worker stops waiting for the job (an exception raised into its thread: Dramatiq's
  time limit), the job is abandoned: its next `give_way()` raises `Abandoned`, so a job still
  making progress ends there, its work undone as on any error.

On a small machine a user's backlog (exports of a whole downline, 200,000-row reports) keeps
every CPU busy. Another user's page, and their one-row export, are many short bursts of CPU
between database round trips: at equal priority each burst waits its turn behind the backlog,
and a 40 ms export took half a second. A lower priority helps only inside the worker, and not
even there against the GIL; the database's processes of the backlog's queries run at full
priority beside the other user's. A pause does reach them: an export that stops reading stops
its COPY once the socket's buffer is full. Most jobs are short and never slow down; a long one
loses only what the others ask for, and nothing when nobody else is there.

The job gets a thread of its own because a thread's priority may be lowered but not raised
again (without privileges): the worker thread that runs the next job must not inherit the drop.
"""

import contextvars
import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from downline.core import presence
from downline.core.config import get_settings

log = logging.getLogger(__name__)

LONG_SECONDS = 1.0
NICE = 10
PACED_SECONDS = 0.25  # work this short never pauses
PER_THREAD = sys.platform == "linux"  # setpriority(PRIO_PROCESS, tid) names one thread there
SLICE_SECONDS = 0.05  # a long job works at least this long between two pauses
LONGEST_PAUSE = 2.0  # and never pauses longer at once (work that calls give_way seldom)
LOOK_SECONDS = 0.1  # how often a long job asks whether others are active (a Redis read)
COUNT_SECONDS = 1.0  # and how often, while they are, how many jobs its owner runs (SQL)

T = TypeVar("T")


class Abandoned(Exception):
    """The worker stopped waiting for this job (its time limit passed): raised by `give_way()`
    in the job's thread."""


@dataclass
class _Job:
    owner: str
    share: float  # of the time its owner's long jobs, together, work while others are active
    siblings: Callable[[], int]  # how many jobs its owner runs now, itself included
    started: float
    working_since: float | None = None  # since the last pause, once the job is long
    looked: float = float("-inf")
    own_share: float = 1.0  # this job's part of the share, as last looked at
    counted: float = float("-inf")
    running: int = 1  # its owner's running jobs, as last counted
    abandoned: threading.Event = field(default_factory=threading.Event)  # no one waits for it


_current = threading.local()  # .job: the _Job this thread runs


def run_yielding(
    fn: Callable[[], T],
    owner: str,
    siblings: Callable[[], int] = lambda: 1,
    abandoned: threading.Event | None = None,
) -> T:
    """`fn()`, the work of a job of `owner`'s, in a thread of its own whose priority drops
    after LONG_SECONDS and whose `give_way()` calls pause while others are active; its result,
    or its exception raised here. `siblings()`: how many jobs `owner` runs now (this one
    included), asked while others are active. When an exception is raised into this thread
    while it waits, `abandoned` is set (its next `give_way()` raises `Abandoned`) and the
    exception goes on: the worker is free again, whether or not the job ever reaches a
    `give_way()` (a statement that hangs does not). The thread carries this one's context
    (tracing, logging)."""
    share = get_settings().long_job_share
    job = _Job(owner, share, siblings, started=time.monotonic())
    if abandoned is not None:
        job.abandoned = abandoned
    if not PER_THREAD:
        return _as(job, fn)
    outcome: list = []

    def body() -> None:
        try:
            outcome.append((True, context.run(_as, job, fn)))
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
    except BaseException:
        job.abandoned.set()
        raise
    finally:
        demote.cancel()
    ok, value = outcome[0]
    if not ok:
        raise value
    return value


def _as(job: _Job, fn: Callable[[], T]) -> T:
    _current.job = job
    try:
        return fn()
    finally:
        _current.job = None


def give_way() -> None:
    """Called by a job's work between two pieces of it (a batch of rows): once the job has run
    PACED_SECONDS and has worked SLICE_SECONDS since its last pause, pause while a user other
    than its owner is active, for as long as makes its work its part of its owner's share of
    the time. Raises Abandoned once the worker has stopped waiting for the job."""
    job = getattr(_current, "job", None)
    if job is None:
        return
    if job.abandoned.is_set():
        raise Abandoned
    if job.share >= 1:
        return
    now = time.monotonic()
    if now - job.started < PACED_SECONDS:
        return  # short work never waits
    if job.working_since is None:
        job.working_since = now
        return
    worked = now - job.working_since
    if worked < SLICE_SECONDS:
        return
    if now - job.looked >= LOOK_SECONDS:
        job.looked, job.own_share = now, _own_share(job)
    if job.own_share < 1:
        pause = worked * (1 - job.own_share) / job.own_share
        time.sleep(min(pause, LONGEST_PAUSE))
    job.working_since = time.monotonic()


def sharing() -> bool:
    """Is the running job's owner sharing the machine now (another user active)? A job asks
    before a long statement, which then runs in one database process (db.one_process)."""
    job = getattr(_current, "job", None)
    return job is not None and presence.others_active(job.owner)


def _own_share(job: _Job) -> float:
    """1 while nobody else is active, else the job's part of its owner's share. Jobs start and
    end seldom: the count of its owner's is asked again only every COUNT_SECONDS."""
    if not presence.others_active(job.owner):
        return 1.0
    now = time.monotonic()
    if now - job.counted >= COUNT_SECONDS:
        job.counted, job.running = now, _running(job)
    return job.share / job.running


def _running(job: _Job) -> int:
    try:
        return max(job.siblings(), 1)
    except Exception:  # noqa: BLE001 - a pause is a courtesy: it never fails the job
        log.warning("could not count the running jobs of a long job's owner", exc_info=True)
        return 1


def _lower_priority(thread_id: int) -> None:
    try:
        now = os.getpriority(os.PRIO_PROCESS, thread_id)
        os.setpriority(os.PRIO_PROCESS, thread_id, now + NICE)
    except OSError:  # the thread ended meanwhile
        log.debug("thread %s ended before its priority dropped", thread_id)
