"""The sweep: the database is the truth and a message only a wake-up, so every so often the
jobs whose wake-up was lost are found and sent again, and export files past their retention
are deleted (the history row keeps saying when).

- QUEUED, with neither its request nor the last message the sweep sent for it (`sent_at`)
  within DOWNLINE_JOB_STALE_SECONDS: its message was lost (or the broker was down).
- PROCESSING without a heartbeat for DOWNLINE_JOB_STALE_SECONDS: its worker died. Sent again
  unless the sweep sent it since that attempt started, less than the stale limit ago.
Each job found has its `sent_at` moved to now by the same UPDATE that finds it, so a job waiting
in a long backlog is sent again once per stale limit, not at every sweep (the duplicates on the
broker do not grow with the backlog), and two API processes sweeping at once send it once.
Sending a job twice is harmless: the claim lets one run through.
A job whose worker died on it DOWNLINE_JOB_MAX_ATTEMPTS times is not sent: it is given up
(FAILED, saying so).
"""

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlmodel import Session

from downline.core import jobs
from downline.core.config import Settings
from downline.core.models import CarrierReport, Export, utcnow
from downline.core.storage import Storage


@dataclass
class Swept:
    exports: list[str] = field(default_factory=list)  # to send again
    reports: list[str] = field(default_factory=list)  # to send again
    files_deleted: int = 0
    exports_given_up: list[str] = field(default_factory=list)  # FAILED now, never sent again
    reports_given_up: list[str] = field(default_factory=list)


def _given_up(session: Session, model, settings: Settings) -> list[str]:
    return jobs.give_up(session, model, settings.job_stale_seconds, settings.job_max_attempts)


def _to_send(session: Session, model, since_column, settings: Settings) -> list[str]:
    """The jobs of `model` to send again, marked sent now (module docstring)."""
    now = utcnow()
    stale = now - timedelta(seconds=settings.job_stale_seconds)
    lost = (model.status == jobs.QUEUED) & (func.coalesce(model.sent_at, since_column) < stale)
    not_resent = (
        model.sent_at.is_(None) | (model.sent_at <= model.started_at) | (model.sent_at < stale)
    )
    dead = jobs.retakeable(model, stale, settings.job_max_attempts) & not_resent
    # A row another transaction holds is passed over (SKIP LOCKED, PostgreSQL): its holder is
    # alive or will be cut off by the server, and the sweep must never wait on it.
    free = select(model.id).where(lost | dead).with_for_update(skip_locked=True)
    found = session.execute(
        update(model)
        .where(model.id.in_(free))
        .values(sent_at=now)
        .returning(model.id)
        .execution_options(synchronize_session=False)
    )
    return list(found.scalars())


def sweep(session: Session, settings: Settings, storage: Storage) -> Swept:
    swept = Swept(
        exports_given_up=_given_up(session, Export, settings),
        reports_given_up=_given_up(session, CarrierReport, settings),
    )
    swept.exports = _to_send(session, Export, Export.requested_at, settings)
    swept.reports = _to_send(session, CarrierReport, CarrierReport.uploaded_at, settings)
    expired = utcnow() - timedelta(days=settings.export_retention_days)
    old = select(Export).where(
        Export.status == jobs.SUCCEEDED,
        Export.finished_at < expired,
        Export.file_deleted_at.is_(None),
    )
    for export in session.scalars(old):
        if export.storage_key:
            storage.delete(export.storage_key)
        export.file_deleted_at = utcnow()
        swept.files_deleted += 1
    session.commit()
    return swept
