"""Fair use of the workers (docs/domain.md, Fair use): one user never starves the others.

- `admit`: a user has at most DOWNLINE_MAX_ACTIVE_JOBS_PER_USER jobs of a kind (exports, carrier
  reports) waiting or running; one more is refused, RATE_LIMITED. The count and the new job's
  INSERT are one transaction that no other admission for the same user and kind runs beside, so
  two requests at once cannot both take the last place.
- `fairest`: which waiting job a worker takes next. A message only says "there is work of this
  kind" (jobs.claim), and the worker takes, among the QUEUED jobs, the oldest job of the user
  with the fewest jobs of that kind running; between users running as many, the one whose last
  job started longest ago (or never) goes first, so that even a single worker thread serves each
  waiting user in turn rather than one user's backlog to its end. A user already running
  DOWNLINE_MAX_RUNNING_JOBS_PER_USER jobs of the kind is passed over: its next job waits for
  one of them to end (jobs.run then wakes a worker for it), even with a worker idle, so that
  one user's backlog never takes more of the machine than that, however many workers there
  are. Fair claims of a kind take turns (`claiming`), so workers claiming at the same instant
  cannot each see the user under the cap and start one job too many.
"""

import hashlib
from dataclasses import dataclass

from sqlalchemy import ColumnElement, case, false, func, select, update
from sqlalchemy.orm import aliased
from sqlmodel import Session

from downline.core.errors import RateLimited
from downline.core.models import CarrierReport, Export

# jobs.py's statuses (it imports this module, so they are spelled here again).
QUEUED, PROCESSING = "QUEUED", "PROCESSING"


@dataclass(frozen=True)
class _Kind:
    owner: str  # the column naming whose job it is (a user's email)
    since: str  # the column saying when it was asked for
    noun: str  # in the refusal
    verb: str


_KINDS = {
    Export: _Kind("requester_email", "requested_at", "exports", "request"),
    CarrierReport: _Kind("uploader_email", "uploaded_at", "carrier reports", "upload"),
}


def owner(job) -> str | None:
    """The email of the user whose job it is (None: the operator's, run as nobody)."""
    return getattr(job, _KINDS[type(job)].owner)


def running(session: Session, owner: str) -> int:
    """How many jobs of every kind `owner` runs now."""
    return sum(
        session.scalar(
            select(func.count())
            .select_from(model)
            .where(getattr(model, kind.owner) == owner, model.status == PROCESSING)
        )
        for model, kind in _KINDS.items()
    )


def admit(session: Session, job, limit: int) -> None:
    """Add `job`, new and QUEUED, to `session` (flushed), or raise RateLimited when its owner
    has `limit` jobs of its kind waiting or running already. Until the caller commits (or rolls
    back, refusing), no other admission for the same owner and kind gets past this: on
    PostgreSQL they wait on a transaction-level advisory lock; on SQLite the INSERT takes the
    database's one write lock before the count, and every other admission waits on its own."""
    model, whose = type(job), owner(job)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(_lock_key(model, whose))))
    session.add(job)
    session.flush()
    _refuse_beyond(session, model, whose, limit, counting_itself=True)


def check(session: Session, model, owner: str, limit: int) -> None:
    """Raise RateLimited if `owner` has `limit` jobs of this kind waiting or running already: a
    look without a lock, to refuse early (before an upload's file is stored); `admit` decides."""
    _refuse_beyond(session, model, owner, limit, counting_itself=False)


def _refuse_beyond(session: Session, model, owner: str, limit: int, *, counting_itself: bool):
    kind = _KINDS[model]
    active = session.scalar(
        select(func.count())
        .select_from(model)
        .where(getattr(model, kind.owner) == owner, model.status.in_((QUEUED, PROCESSING)))
    )
    others = active - 1 if counting_itself else active
    if others >= limit:
        raise RateLimited(
            f"you have {others} {kind.noun} waiting or running; {kind.verb} more when one finishes"
        )


def _lock_key(model, owner: str) -> int:
    """The advisory lock of (kind, owner): a signed 64-bit number, the same in every process."""
    digest = hashlib.blake2b(f"{model.__tablename__}:{owner}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def claiming(session: Session, model) -> None:
    """Wait for this kind's other fair claims to end, then hold them off until the session's
    transaction ends (its claim is committed, or it finds nothing): a claim counts the jobs
    running and starts one, and two at once would both count the same. On PostgreSQL a
    transaction-level advisory lock; on SQLite, the database's one write lock, taken by an
    UPDATE that changes nothing. A claim is a few milliseconds, so taking turns costs nothing
    a user sees."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(_lock_key(model, "fair claims"))))
    else:
        session.execute(update(model).where(false()).values(status=model.status))


def under_cap(model, cap: int) -> ColumnElement[bool]:
    """The job's owner runs fewer than `cap` jobs of its kind: a condition on `model`'s row."""
    kind, running = _KINDS[model], aliased(model)
    return (
        select(func.count())
        .where(getattr(running, kind.owner) == getattr(model, kind.owner))
        .where(running.status == PROCESSING)
        .scalar_subquery()
    ) < cap


def fairest(session: Session, model, cap: int, *, lock: bool = True) -> str | None:
    """The id of the waiting job of this kind a worker should take next (module docstring), or
    None when none may start now. With `lock`, on PostgreSQL its row is locked until the
    session's transaction ends, and a row another worker has locked so is passed over (SKIP
    LOCKED): claim it in the same transaction. The owners' history it weighs is that of the
    owners with a job waiting."""
    kind = _KINDS[model]
    started, waiting = aliased(model), aliased(model)
    owner = getattr(model, kind.owner)
    started_owner = getattr(started, kind.owner)
    waiting_owners = select(getattr(waiting, kind.owner)).where(waiting.status == QUEUED)
    served = (
        select(
            started_owner.label("owner"),
            func.sum(case((started.status == PROCESSING, 1), else_=0)).label("running"),
            func.max(started.started_at).label("last_started"),
        )
        .where(started.started_at.is_not(None))
        .where(started_owner.in_(waiting_owners))
        .group_by(started_owner)
        .subquery()
    )
    query = (
        select(model.id)
        .outerjoin(served, served.c.owner == owner)
        .where(model.status == QUEUED)
        .where(func.coalesce(served.c.running, 0) < cap)
        .order_by(
            func.coalesce(served.c.running, 0),
            served.c.last_started.nulls_first(),
            getattr(model, kind.since),
            model.id,
        )
        .limit(1)
    )
    if lock:
        query = query.with_for_update(of=model, skip_locked=True)
    return session.scalars(query).first()
