"""The claim-and-heartbeat rule every background job follows (DESIGN.md): the database row is
the truth, a message only wakes a worker up.

`claim` turns a QUEUED row, or a PROCESSING row whose heartbeat is older than the stale limit (a
dead worker's), into PROCESSING with attempt+1 in ONE conditional UPDATE; anything else (running
elsewhere, finished) is not claimed, so a re-delivered message is a no-op.
"""

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import or_, update
from sqlmodel import Session

from downline.core import db
from downline.core.models import utcnow

log = logging.getLogger(__name__)

QUEUED, PROCESSING, SUCCEEDED, FAILED = "QUEUED", "PROCESSING", "SUCCEEDED", "FAILED"
TERMINAL = (SUCCEEDED, FAILED)


def claim(session: Session, model, job_id: str, stale_seconds: int) -> bool:
    now = utcnow()
    stale = now - timedelta(seconds=stale_seconds)
    result = session.execute(
        update(model)
        .where(
            model.id == job_id,
            or_(
                model.status == QUEUED,
                (model.status == PROCESSING) & (model.heartbeat_at < stale),
            ),
        )
        .values(
            status=PROCESSING,
            attempts=model.attempts + 1,
            heartbeat_at=now,
            started_at=now,
        )
    )
    session.commit()
    return result.rowcount == 1


def heartbeat(session: Session, model, job_id: str, **values) -> None:
    """Renew the claim (and record progress) while the job runs."""
    session.execute(
        update(model)
        .where(model.id == job_id, model.status == PROCESSING)
        .values(heartbeat_at=utcnow(), **values)
    )
    session.commit()


HEARTBEAT_SECONDS = 10.0


@contextmanager
def heartbeating(model, job_id: str, every: float = HEARTBEAT_SECONDS) -> Iterator[None]:
    """Renew the job's claim every `every` seconds from a background thread while the body
    runs, so a long query (a count, a sort, an upsert) never looks like a dead worker."""
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(every):
            try:
                with db.session() as session:
                    heartbeat(session, model, job_id)
            except Exception:  # noqa: BLE001 - a missed beat is retried at the next tick
                log.warning("heartbeat of %s %s failed", model.__name__, job_id, exc_info=True)

    thread = threading.Thread(target=beat, name=f"heartbeat-{job_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
