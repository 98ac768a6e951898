"""The claim-and-heartbeat rule every background job follows (DESIGN.md): the database row is
the truth, a message only wakes a worker up.

`claim` turns a QUEUED row, or a PROCESSING row whose heartbeat is older than the stale limit (a
dead worker's), into PROCESSING with attempt+1 in ONE conditional UPDATE; anything else (running
elsewhere, finished) is not claimed, so a re-delivered message is a no-op.
"""

from datetime import timedelta

from sqlalchemy import or_, update
from sqlmodel import Session

from downline.core.models import utcnow

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
