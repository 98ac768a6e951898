"""A running job's signs of life: its heartbeat (`heartbeating` renews it from a thread while
the job runs; progress rides on it), and the hand-back, by which a process that exits in the
middle of a job dates the job's heartbeat back so the next worker takes it at once (jobs.py
runs both around every job).
"""

import atexit
import logging
import multiprocessing.util
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import text, update
from sqlmodel import Session

from downline.core import db
from downline.core.config import get_settings
from downline.core.models import utcnow

log = logging.getLogger(__name__)

# jobs.py's status (it imports this module, so it is spelled here again).
PROCESSING = "PROCESSING"


def heartbeat(session: Session, model, job_id: str, **values) -> None:
    """Renew the claim (and record progress) while the job runs. Not once this process has
    handed its jobs back (it is exiting): a late beat would make them look alive again."""
    if _handing_back.is_set():
        return
    if session.get_bind().dialect.name == "postgresql":
        # A process frozen between this UPDATE and its COMMIT (SIGSTOP, a paused VM) would hold
        # the job's row locked for as long as it stays frozen, and the sweep and the next
        # worker's claim with it: the server ends such a transaction after a few seconds idle.
        session.execute(text("SET LOCAL idle_in_transaction_session_timeout = '5s'"))
    session.execute(
        update(model)
        .where(model.id == job_id, model.status == PROCESSING)
        # A beat already past the check above when the hand-back ran (its UPDATE waiting on the
        # row) must not date the handed-back heartbeat forward again.
        .where(model.heartbeat_at > HANDED_BACK)
        .values(heartbeat_at=utcnow(), **values)
    )
    session.commit()


HEARTBEAT_SECONDS = 10.0


def heartbeat_interval(stale_seconds: float) -> float:
    """Every HEARTBEAT_SECONDS, or three times per stale limit when that is shorter: a live
    job's heartbeat is never older than the limit, so it is never taken over."""
    return min(HEARTBEAT_SECONDS, stale_seconds / 3)


@contextmanager
def heartbeating(
    model,
    job_id: str,
    every: float | None = None,
    attempt: int | None = None,
    abandoned: threading.Event | None = None,
) -> Iterator[None]:
    """Renew the job's claim from a background thread while the body runs (every `every`
    seconds; by default `heartbeat_interval` of DOWNLINE_JOB_STALE_SECONDS), so a long query
    (a count, a sort, an upsert) never looks like a dead worker. With the claim's `attempt`,
    the job is handed back if this process exits while it runs (`hand_back_running`). Once
    `abandoned` is set (its worker stopped waiting for it), the beats stop: a job that hangs
    goes stale, as if its worker had died, and the next worker takes it over."""
    if every is None:
        every = heartbeat_interval(get_settings().job_stale_seconds)
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(every) and not (abandoned and abandoned.is_set()):
            try:
                with db.session() as session:
                    heartbeat(session, model, job_id)
            except Exception:  # noqa: BLE001 - a missed beat is retried at the next tick
                log.warning("heartbeat of %s %s failed", model.__name__, job_id, exc_info=True)

    thread = threading.Thread(target=beat, name=f"heartbeat-{job_id}", daemon=True)
    thread.start()
    if attempt is not None:
        _hand_back_on_exit()
        with _running_lock:
            _running[(model, job_id)] = attempt
    try:
        yield
    finally:
        with _running_lock:
            _running.pop((model, job_id), None)
        stop.set()
        thread.join()


# ---- hand-back: a process that exits in the middle of a job (a worker told to stop whose job
# outlasts its shutdown timeout, or signalled twice, as a whole process group is) does not leave
# the job to go stale: it dates the job's heartbeat back, so the next sweep sends it again and
# the next worker claims it at once instead of after DOWNLINE_JOB_STALE_SECONDS.

HANDED_BACK = datetime(1970, 1, 1, tzinfo=UTC)  # the heartbeat of a job handed back
_running: dict[tuple[type, str], int] = {}  # (model, job id) -> the attempt this process runs
_running_lock = threading.Lock()
_handing_back = threading.Event()
_exit_hooks: list[int] = []  # the pid that registered them (a forked child registers its own)


def _hand_back_on_exit() -> None:
    if _exit_hooks and _exit_hooks[0] == os.getpid():
        return
    _exit_hooks[:] = [os.getpid()]
    atexit.register(hand_back_running)
    # Forked worker processes (Dramatiq's) leave through os._exit, which skips atexit but runs
    # multiprocessing's finalizers first.
    multiprocessing.util.Finalize(None, hand_back_running, exitpriority=100)


HAND_BACK_SECONDS = 5.0  # at most, so a database that is down never holds an exit up


def exiting() -> bool:
    """This process has handed its jobs back: it is on its way out."""
    return _handing_back.is_set()


def hand_back_running() -> int:
    """Hand back every job this process is still running; returns how many. Called as the
    process exits (its job threads die with it)."""
    if _running and threading.current_thread() is threading.main_thread():
        # Exiting already: one more stop request (Dramatiq exits on the second) must not cut
        # the hand-back short.
        for name in ("SIGTERM", "SIGINT", "SIGHUP"):
            if hasattr(signal, name):
                signal.signal(getattr(signal, name), signal.SIG_IGN)
    _handing_back.set()
    with _running_lock:
        running = dict(_running)
        _running.clear()
    if not running:
        return 0
    handed: list[int] = []
    thread = threading.Thread(target=lambda: handed.append(_hand_back(running)), daemon=True)
    thread.start()
    thread.join(HAND_BACK_SECONDS)
    return handed[0] if handed else 0


def _hand_back(running: dict[tuple[type, str], int]) -> int:
    handed = 0
    for (model, job_id), attempt in running.items():
        try:
            with db.session() as session:
                result = session.execute(
                    update(model)
                    .where(model.id == job_id, model.status == PROCESSING)
                    .where(model.attempts == attempt)  # still this process's claim
                    .values(heartbeat_at=HANDED_BACK)
                )
                session.commit()
            handed += result.rowcount
            log.warning("handed back %s %s: this process is exiting", model.__name__, job_id)
        except Exception:  # noqa: BLE001 - then it goes stale, as if this process had died
            log.warning("could not hand back %s %s", model.__name__, job_id, exc_info=True)
    return handed
