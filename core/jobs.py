"""The one skeleton every background job runs in (`run`): claim, heartbeat, finish, give up. The
database row is the truth, a message only wakes a worker up; a kind of job brings its work
function and what its failures mean (`Work`), nothing else.

`claim` turns a QUEUED row, or a PROCESSING row whose heartbeat is older than the stale limit (a
dead worker's), into PROCESSING with attempt+1 in ONE conditional UPDATE; anything else (running
elsewhere, finished) is not claimed, so a re-delivered message is a no-op. A worker's message is
a token for its kind of job: it claims the fairest waiting job (fairness.py), its own or another,
never one whose user already runs DOWNLINE_MAX_RUNNING_JOBS_PER_USER of the kind; as a job ends,
a worker is woken for the job that may start in its place. The work runs in a thread of its own
whose CPU priority drops after its first second, and which gives way while other users are
active (yielding.py), so short work goes first. A job starting makes its owner active
(presence.py): other users' long jobs give way to it.

A job past its time limit (Dramatiq's, raised into the worker's thread) is abandoned: the
worker is free at once, the job's heartbeat stops, and the job ends FAILED, saying so, at its
next pause between pieces of work (`yielding.give_way`); one that hangs instead goes stale and
is taken over like a dead worker's.

A dead worker's job is taken over only while it has attempts left (DOWNLINE_JOB_MAX_ATTEMPTS):
a job whose worker died on it that many times is given up (`give_up`: FAILED, audited), or a file
that kills its reader would be handed to one worker after another, forever.
"""

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import ColumnElement, or_, select, update
from sqlmodel import Session

from downline.core import audit, db, fairness, presence, yielding
from downline.core.book.scope import load_principal
from downline.core.config import get_settings
from downline.core.heartbeats import HANDED_BACK, exiting, heartbeating
from downline.core.models import CarrierReport, Export, utcnow

log = logging.getLogger(__name__)

QUEUED, PROCESSING, SUCCEEDED, FAILED = "QUEUED", "PROCESSING", "SUCCEEDED", "FAILED"
TERMINAL = (SUCCEEDED, FAILED)


class ClaimLost(Exception):
    """Another worker took the job over (this one was frozen past the stale limit): this run's
    outcome is dropped, the other run's stands."""


@dataclass(frozen=True)
class Work:
    """What a kind of job brings to `run`; the rest is the same for every job."""

    model: type  # its row: Export, CarrierReport, ...
    refusals: tuple[type[Exception], ...]  # a user's mistake: FAILED, saying so
    internal_error: str  # what the user reads when anything else fails
    too_long: str  # what the user reads when the job ran past its time limit
    transient: tuple[type[Exception], ...] = ()  # handed back QUEUED and raised: the broker retries
    describe: Callable[[object, Exception], str] = lambda job, refusal: str(refusal)


def run(
    kind: Work,
    job_id: str,
    work: Callable[[object], object],
    progress=None,
    *,
    claimed: Callable[[object], None] | None = None,
    wake: Callable[[str], None] | None = None,
):
    """Claim the job (with `wake`, a worker's message: the job it should run, `claim`) and run
    `work(job)` under a heartbeat. `work` moves the job to SUCCEEDED itself (in the transaction
    of its effect, or by `finish`) and returns the row as it stands; if it raises, the job ends
    FAILED (or, for a transient failure, goes back to the queue). `claimed(job)` hears which job
    was claimed before it runs. None when no job was this run's to do (finished, running
    elsewhere, given up, or nothing waiting). Once the job ends, `wake(job_id)` is told of the
    job that may start in its place, if any waits (a job held back by its owner's running cap
    has no message of its own any more: its message found the owner at the cap), so a fair
    claim never goes without it."""
    if exiting():
        # This process handed its jobs back and is on its way out, its threads still taking
        # messages meanwhile (the sweep sends a handed-back job again at once): a job claimed
        # now would die with it. Left as it is, the next sweep sends it to a live worker.
        return None
    settings = get_settings()
    with db.session() as session:
        stale, attempts = settings.job_stale_seconds, settings.job_max_attempts
        cap = settings.max_running_jobs_per_user if wake is not None else None
        job_id = claim(session, kind.model, job_id, stale, attempts, running_cap=cap)
        if job_id is None:
            return None
        job = session.get(kind.model, job_id)
    if claimed is not None:
        claimed(job)
    owner = fairness.owner(job) or ""  # "": the operator's own command, asked as nobody
    if owner:
        presence.mark(owner)
    abandoned = threading.Event()
    try:
        return yielding.run_yielding(
            partial(_run_claimed, kind, job, work, progress, abandoned),
            owner,
            partial(_running, owner),
            abandoned,
        )
    finally:
        if wake is not None:
            _wake_next(kind.model, cap, wake)


def _run_claimed(kind: Work, job, work: Callable[[object], object], progress, abandoned):
    name, job_id = kind.model.__name__, job.id
    try:
        with heartbeating(kind.model, job_id, attempt=job.attempts, abandoned=abandoned):
            return work(job)
    except ClaimLost:
        log.warning("%s %s was taken over: attempt %s dropped", name, job_id, job.attempts)
        return None
    except yielding.Abandoned:
        log.warning("%s %s ran past its time limit and was stopped", name, job_id)
        return finish(job, FAILED, progress, "TIME_LIMIT", error=kind.too_long)
    except kind.transient:
        log.warning(
            "%s %s hit a transient failure; it will be retried", name, job_id, exc_info=True
        )
        release(job)
        raise
    except kind.refusals as refusal:
        # A refusal of ours carries its code (EXPORTS_DISABLED); a parser's names none.
        code = getattr(refusal, "code", "REJECTED")
        return finish(job, FAILED, progress, code, error=kind.describe(job, refusal))
    except Exception:
        log.exception("%s %s failed", name, job_id)
        return finish(job, FAILED, progress, "INTERNAL", error=kind.internal_error)


def _running(owner: str) -> int:
    with db.session() as session:
        return fairness.running(session, owner)


def _wake_next(model, cap: int, wake: Callable[[str], None]) -> None:
    try:
        with db.session() as session:
            waiting = fairness.fairest(session, model, cap, lock=False)
        if waiting is not None:
            wake(waiting)
    except Exception:  # noqa: BLE001 - the sweep sends a job whose wake-up was lost
        log.warning("could not wake a worker for the next %s", model.__name__, exc_info=True)


def release(job) -> None:
    """Hand a claimed job back to the queue, while the claim is still this run's."""
    model = type(job)
    with db.session() as session:
        session.execute(
            update(model)
            .where(model.id == job.id, model.status == PROCESSING)
            .where(model.attempts == job.attempts)
            .values(status=QUEUED, heartbeat_at=None)
        )
        session.commit()


FAIR_TRIES = 10  # picks lost to other workers before a message falls back to its own job


def claim(
    session: Session,
    model,
    job_id: str,
    stale_seconds: int,
    max_attempts: int,
    *,
    running_cap: int | None = None,
) -> str | None:
    """Claim a job for this run and return its id; None when there is none for it to do. A
    dead worker's job with no attempts left is given up on the way (so a re-delivered message
    never runs it). Without `running_cap`, `job_id` or none (the CLI). With it (a worker's
    message, fairly): `job_id` if its worker died, else the fairest waiting job whose owner runs
    fewer than `running_cap` jobs of the kind (fairness.fairest), each pick claimed by the same
    guarded UPDATE and picked again if another worker was first. A pick passes over rows locked
    at that moment (SKIP LOCKED), so when none is left, `job_id` itself is claimed if it still
    waits and its owner is under the cap: a message never leaves its own job waiting, unless
    the cap holds it back (then the end of one of its owner's jobs wakes a worker for it)."""
    stale = utcnow() - timedelta(seconds=stale_seconds)
    dead = retakeable(model, stale, max_attempts)
    fair = running_cap is not None
    if _take(session, model, job_id, dead if fair else or_(model.status == QUEUED, dead)):
        return job_id
    give_up(session, model, stale_seconds, max_attempts, job_id)
    if not fair:
        return None
    for _ in range(FAIR_TRIES):
        fairness.claiming(session, model)  # until the commit or the rollback below
        chosen = fairness.fairest(session, model, running_cap)
        if chosen is None:
            session.rollback()
            break
        if _take(session, model, chosen, model.status == QUEUED):
            return chosen
    fairness.claiming(session, model)
    own = fairness.under_cap(model, running_cap) & (model.status == QUEUED)
    return job_id if _take(session, model, job_id, own) else None


def _take(session: Session, model, job_id: str, claimable: ColumnElement[bool]) -> bool:
    """The one conditional UPDATE of a claim, committed: True when it claimed the job."""
    now = utcnow()
    result = session.execute(
        update(model)
        .where(model.id == job_id, claimable)
        .values(status=PROCESSING, attempts=model.attempts + 1, heartbeat_at=now, started_at=now)
    )
    session.commit()
    return result.rowcount == 1


def retakeable(model, stale: datetime, max_attempts: int) -> ColumnElement[bool]:
    """A dead worker's job with attempts left. A job handed back by a worker that exited
    cleanly (a deploy, not a crash) always is: that was no death."""
    left = (model.attempts < max_attempts) | (model.heartbeat_at <= HANDED_BACK)
    return _dead(model, stale) & left


def _dead(model, stale: datetime) -> ColumnElement[bool]:
    return (model.status == PROCESSING) & (model.heartbeat_at < stale)


def give_up(
    session: Session, model, stale_seconds: int, max_attempts: int, job_id: str | None = None
) -> list[str]:
    """Fail every job of `model` (or just `job_id`) whose worker died on its last attempt and
    that has no attempts left, each with a message saying so and an audit event. Returns the ids
    given up by this call (two sweeps at once give each job up once)."""
    stale = utcnow() - timedelta(seconds=stale_seconds)
    spent = (
        _dead(model, stale) & (model.heartbeat_at > HANDED_BACK) & (model.attempts >= max_attempts)
    )
    query = select(model).where(spent)
    if job_id is not None:
        query = query.where(model.id == job_id)
    given_up = []
    for job in session.scalars(query).all():
        if _give_up(session, job, spent):
            given_up.append(job.id)
    return given_up


@dataclass(frozen=True)
class _Kind:
    name: str  # in the audit event
    noun: str  # in the message the user reads


_KINDS = {CarrierReport: _Kind("report", "this file"), Export: _Kind("export", "this export")}


def _give_up(session: Session, job, spent: ColumnElement[bool]) -> bool:
    model, kind = type(job), _KINDS[type(job)]
    times = job.attempts
    result = session.execute(
        update(model)
        .where(model.id == job.id, model.attempts == times, spent)
        .values(
            status=FAILED,
            finished_at=utcnow(),
            error=f"{kind.noun} stopped the worker {times} times; it will not be tried again",
        )
    )
    if result.rowcount != 1:  # finished, taken over or given up meanwhile
        session.rollback()
        return False
    audited(session, job, "given_up", f"{kind.name} {job.id} stopped the worker {times} times")
    session.commit()
    log.warning("gave up %s %s: its worker died %s times", kind.name, job.id, times)
    return True


def audited(session, job, what: str, outcome: str, detail: str | None = None) -> None:
    """Record that `job` ended as `what` (finished, failed, given_up) in `session` (or on a
    connection, in the transaction that ended it), as done by whose job it is and filed under
    their agency, where their admins read it. A report's session may be a connection (the
    ingest's); an export's must be a session."""
    kind = _KINDS[type(job)]
    if isinstance(job, CarrierReport):
        # No uploader: the operator's `downline ingest`.
        email, agency_id = job.uploader_email or audit.OPERATOR, job.uploader_agency_id
    else:
        principal = load_principal(session, job.requester_email)
        email, agency_id = job.requester_email, principal.agency_id if principal else None
    audit.record(
        session,
        f"{kind.name}_{what}",
        outcome,
        actor_email=email,
        agency_id=agency_id,
        export_id=job.id if isinstance(job, Export) else None,
        report_id=job.id if isinstance(job, CarrierReport) else None,
        detail=detail,
    )


def finish(job, status: str, progress, outcome: str, **values):
    """Move a claimed job (an Export or CarrierReport row as this run claimed it) to its
    terminal state, audited with `outcome` ("ok: 12 rows", or the code it failed with), unless
    another worker took it over meanwhile (then its attempt number moved on, and this run's
    outcome is dropped, unaudited). Returns the row as it now stands."""
    model = type(job)
    with db.session() as session:
        result = session.execute(
            update(model)
            .where(model.id == job.id, model.status == PROCESSING)
            .where(model.attempts == job.attempts)
            .values(status=status, finished_at=utcnow(), **values)
        )
        if result.rowcount == 1:
            what = "finished" if status == SUCCEEDED else "failed"
            audited(session, job, what, outcome, values.get("error"))
        session.commit()
        done = session.get(model, job.id)
    if progress:
        progress(done)
    return done
