"""Runs one carrier report: claim -> pick the parser (given, or sniffed) -> parse as a stream ->
check each row's NPN against the uploader's book -> stage in batches -> one upsert -> counts.

The upsert and everything staged happen in one transaction, so a failed or killed run leaves the
policies as they were; the report row is claimed and heart-beaten like every job (jobs.py), so a
re-delivered message is a no-op and a dead worker's report is taken over by another.
"""

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import BinaryIO

from sqlalchemy import delete, select, true
from sqlmodel import Session

from downline.core import db, jobs, scope
from downline.core.config import get_settings
from downline.core.errors import BadUserInput, NotFound
from downline.core.models import Agent, CarrierReport, ReportRowError, utcnow
from downline.core.plugins import (
    CarrierNotRecognized,
    CarrierParser,
    FileRejected,
    PolicyRecord,
    RowError,
    sniff_carrier,
)
from downline.core.scope import Principal, load_principal
from downline.core.staging import Staging
from downline.core.storage import LocalStorage

log = logging.getLogger(__name__)

BATCH = 5000
SNIFF_BYTES = 64 * 1024
MAX_STORED_ERRORS = 1000  # every rejection is counted; the first ones are kept with their line

Progress = Callable[[CarrierReport], None]


def create_report(
    session: Session,
    storage: LocalStorage,
    principal: Principal | None,
    *,
    filename: str,
    stream: BinaryIO,
    carrier: str | None,
    as_of: date | None,
    parsers: dict[str, CarrierParser],
) -> CarrierReport:
    """Store the raw file and insert its report row, QUEUED and committed (send the message
    only after this returns)."""
    if carrier is not None and carrier not in parsers:
        known = ", ".join(parsers)
        raise BadUserInput(
            f"unknown carrier {carrier!r} (known carriers: {known})", field="carrier"
        )
    report = CarrierReport(
        filename=filename,
        storage_key="",
        carrier=carrier,
        as_of=as_of or utcnow().date(),
        uploader_email=principal.email if principal else None,
        uploader_agency_id=principal.agency_id if principal else None,
    )
    report.storage_key = f"reports/{report.id}/raw"
    storage.put(report.storage_key, stream)
    session.add(report)
    session.commit()
    return report


def visible_reports(principal: Principal):
    """A report is visible to its uploader and to the admins of the uploader's agency and above."""
    query = select(CarrierReport)
    if principal.is_admin:
        return query.where(CarrierReport.uploader_agency_id.in_(scope.agency_ids(principal)))
    return query.where(CarrierReport.uploader_email == principal.email)


@dataclass
class _Tally:
    read: int = 0
    rejected: int = 0
    unmatched: set[str] | None = None


def run_report(
    report_id: str,
    storage: LocalStorage,
    parsers: dict[str, CarrierParser],
    progress: Progress | None = None,
) -> CarrierReport | None:
    """Claim the report and run it to SUCCEEDED or FAILED. None when it was not claimable
    (finished already, or running on a live worker)."""
    settings = get_settings()
    with db.session() as session:
        if not jobs.claim(session, CarrierReport, report_id, settings.job_stale_seconds):
            return None
        report = session.get(CarrierReport, report_id)
        session.execute(delete(ReportRowError).where(ReportRowError.report_id == report_id))
        session.commit()
    try:
        principal = _uploader(report)
        parser = _parser(report, storage, parsers)
        with (
            jobs.heartbeating(CarrierReport, report_id),
            storage.open(report.storage_key) as stream,
        ):
            counts, tally = _ingest(report, parser, principal, stream, progress)
    except (FileRejected, CarrierNotRecognized, NotFound) as exc:
        message = str(exc) if str(exc).startswith(report.filename) else f"{report.filename}: {exc}"
        return _finish(report_id, jobs.FAILED, error=message, progress=progress)
    except Exception:
        log.exception("carrier report %s failed", report_id)
        return _finish(
            report_id,
            jobs.FAILED,
            error="The report could not be processed because of an internal error; "
            "nothing was changed. Try again, or contact support if it keeps failing.",
            progress=progress,
        )
    return _finish(
        report_id,
        jobs.SUCCEEDED,
        carrier=parser.key,
        rows_read=tally.read,
        rows_rejected=tally.rejected,
        rows_inserted=counts.inserted,
        rows_updated=counts.updated,
        rows_unchanged=counts.unchanged,
        unmatched_npns=sorted(tally.unmatched, key=lambda n: (len(n), n)),
        progress=progress,
    )


def _uploader(report: CarrierReport) -> Principal | None:
    if report.uploader_email is None:
        return None  # the operator's CLI: no NPN restriction
    with db.session() as session:
        principal = load_principal(session, report.uploader_email)
    if principal is None:
        raise NotFound("the user who uploaded this report no longer exists")
    return principal


def _parser(
    report: CarrierReport, storage: LocalStorage, parsers: dict[str, CarrierParser]
) -> CarrierParser:
    if report.carrier is not None:
        if report.carrier not in parsers:
            raise CarrierNotRecognized(f"carrier {report.carrier!r} is no longer installed")
        return parsers[report.carrier]
    with storage.open(report.storage_key) as stream:
        head = stream.read(SNIFF_BYTES)
    return sniff_carrier(parsers, head, report.filename)


def _ingest(report, parser, principal, stream, progress):
    tally = _Tally(unmatched=set())
    errors: list[RowError] = []
    with db.get_engine().connect() as conn, conn.begin():
        staging = Staging(conn, parser.key, report.uploader_agency_id)
        for batch in _batches(parser.parse(stream, report.as_of), errors, tally):
            staging.add(_in_book(conn, batch, principal, errors, tally))
            _store_errors(report.id, errors, tally)
            errors.clear()
            _progress(report, tally, progress)
        counts = staging.apply(report.id, utcnow())
        staging.drop()
    _store_errors(report.id, errors, tally)
    return counts, tally


def _batches(items, errors: list[RowError], tally: _Tally) -> Iterator[list[PolicyRecord]]:
    batch: list[PolicyRecord] = []
    for item in items:
        tally.read += 1
        if isinstance(item, RowError):
            tally.rejected += 1
            errors.append(item)
            continue
        batch.append(item)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    yield batch


def _in_book(conn, batch, principal, errors, tally) -> list[PolicyRecord]:
    """Drop (as rejected) rows whose NPN belongs to an agent outside the uploader's book, and
    note the NPNs that match no agent: they load, and the report lists them."""
    npns = {r.agent_npn for r in batch}
    if not npns:
        return batch
    visible = Agent.id.in_(scope.agent_ids(principal)) if principal else true()
    known = dict(conn.execute(select(Agent.npn, visible).where(Agent.npn.in_(npns))).all())
    tally.unmatched |= npns - known.keys()
    kept = []
    for record in batch:
        if known.get(record.agent_npn, True):
            kept.append(record)
        else:
            tally.rejected += 1
            errors.append(
                RowError(
                    record.line, f"line {record.line}: NPN {record.agent_npn} is outside your book"
                )
            )
    return kept


def _store_errors(report_id: str, errors: list[RowError], tally: _Tally) -> None:
    room = MAX_STORED_ERRORS - (tally.rejected - len(errors))
    keep = sorted(errors, key=lambda e: e.line)[: max(room, 0)]
    if not keep:
        return
    with db.session() as session:
        session.add_all(
            ReportRowError(report_id=report_id, line=e.line, message=e.message) for e in keep
        )
        session.commit()


def _progress(report: CarrierReport, tally: _Tally, progress: Progress | None) -> None:
    with db.session() as session:
        jobs.heartbeat(
            session, CarrierReport, report.id, rows_read=tally.read, rows_rejected=tally.rejected
        )
        if progress:
            progress(session.get(CarrierReport, report.id))


def _finish(report_id: str, status: str, progress: Progress | None, **values) -> CarrierReport:
    with db.session() as session:
        report = session.get(CarrierReport, report_id)
        for name, value in values.items():
            setattr(report, name, value)
        report.status = status
        report.finished_at = utcnow()
        session.add(report)
        session.commit()
        session.refresh(report)
    if progress:
        progress(report)
    return report
