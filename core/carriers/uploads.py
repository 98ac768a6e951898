"""A carrier report comes in (GraphQL upload, or `downline ingest`): its raw file stored and its
report row made QUEUED, audited; or the upload refused, audited too. The run is run.py's.

An uploader with as many reports waiting or running as it may have (`limit`) is refused before
its file is stored; two uploads racing for the last place are decided with the row's INSERT
(fairness.admit), and the loser's stored file is deleted again: a refused upload keeps nothing."""

from datetime import date
from typing import BinaryIO

from sqlmodel import Session

from downline.core import audit, fairness
from downline.core.book.scope import Principal
from downline.core.carriers.parsers import CarrierParser
from downline.core.errors import BadUserInput, DownlineError, RateLimited
from downline.core.models import CarrierReport, utcnow
from downline.core.storage import Storage


def create_report(
    session: Session,
    storage: Storage,
    principal: Principal | None,
    *,
    filename: str,
    stream: BinaryIO,
    carrier: str | None,
    as_of: date | None,
    parsers: dict[str, CarrierParser],
    limit: int | None = None,
) -> CarrierReport:
    """Store the raw file and insert its report row, QUEUED and committed (send the message
    only after this returns). `principal` None is the operator (`downline ingest` without
    --as). `limit`: how many reports the uploader may have waiting or running, this one
    included (the API's DOWNLINE_MAX_ACTIVE_JOBS_PER_USER; RATE_LIMITED beyond); None for
    `downline ingest`, which runs the report itself."""
    capped = principal is not None and limit is not None
    try:
        if carrier is not None and carrier not in parsers:
            known = ", ".join(parsers)
            raise BadUserInput(
                f"unknown carrier {carrier!r} (known carriers: {known})", field="carrier"
            )
        if capped:
            fairness.check(session, CarrierReport, principal.email, limit)
    except DownlineError as refusal:
        refuse_upload(session, principal, refusal, filename)
        raise
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
    try:
        if capped:
            fairness.admit(session, report, limit)
        else:
            session.add(report)
    except RateLimited as refusal:  # another upload took the last place meanwhile
        session.rollback()
        storage.delete(report.storage_key)
        refuse_upload(session, principal, refusal, filename)
        raise
    who = _uploader(principal)
    audit.record(session, "report_uploaded", "ok", **who, report_id=report.id, detail=filename)
    session.commit()
    return report


def refuse_upload(
    session: Session, principal: Principal | None, refusal: DownlineError, filename: str | None
) -> None:
    """Audit an upload refused before its report was made: the file name as given (if there
    was one) and why."""
    detail = f"{filename}: {refusal.message}" if filename is not None else refusal.message
    audit.record(session, "upload_refused", refusal.code, **_uploader(principal), detail=detail)
    session.commit()


def _uploader(principal: Principal | None) -> dict:
    return {"actor": principal} if principal else {"actor_email": audit.OPERATOR}
