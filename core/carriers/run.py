"""Runs one carrier report: claim -> pick the parser (given, or sniffed) -> parse as a stream ->
check each row's NPN against the uploader's book -> stage in batches -> refuse the rows naming a
policy of the uploader's tenant outside its book, and upsert (in chunks on PostgreSQL,
overlapping the parse; staging.py) -> counts.

Every row goes into a tenant: the uploader's; for the operator (no uploader), the tenant of the
agent holding the row's NPN, or none (held by the operator) when no agent does.

The upserts and everything staged happen in one transaction, so a failed or killed run leaves the
policies as they were; the report row is claimed and heart-beaten like every job (jobs.py), so a
re-delivered message is a no-op and a dead worker's report is taken over by another. The report's
SUCCEEDED commits in the upsert's transaction, and only while the claim is still the run's: a
worker frozen past the stale limit whose report was taken over applies nothing when it thaws.
"""

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields
from functools import partial

from sqlalchemy import delete, insert, select, true, update

from downline.core import db, heartbeats, jobs, yielding
from downline.core.book import scope, tenants
from downline.core.book.scope import Principal, load_principal
from downline.core.carriers.parsers import (
    CarrierNotRecognized,
    CarrierParser,
    FileRejected,
    sniff_carrier,
)
from downline.core.carriers.staging import RepeatedPolicy, Staging
from downline.core.config import get_settings
from downline.core.errors import NotFound
from downline.core.models import Agent, CarrierReport, Policy, ReportRowError, utcnow
from downline.core.models.production import HELD_BY_OPERATOR
from downline.core.production.vocabulary import PolicyRecord, RowError
from downline.core.storage import Storage

log = logging.getLogger(__name__)

BATCH = 5000
GIVE_WAY_ROWS = 500  # a long report pauses between so many rows while others are active
SNIFF_BYTES = 64 * 1024
MAX_STORED_ERRORS = 1000  # every rejection is counted; the first ones are kept with their line


def _refusal(report: CarrierReport, refusal: Exception) -> str:
    """What was wrong with the file, named by the file."""
    message = str(refusal)
    return _shown(
        message if message.startswith(report.filename) else f"{report.filename}: {refusal}"
    )


REPORTS = jobs.Work(
    CarrierReport,
    refusals=(FileRejected, CarrierNotRecognized, NotFound),
    internal_error="The report could not be processed because of an internal error; nothing "
    "was changed. Try again, or contact support if it keeps failing.",
    too_long="The report ran past its time limit and was stopped; nothing was changed. Split "
    "the file into smaller ones, or contact support.",
    describe=_refusal,
)

Progress = Callable[[CarrierReport], None]


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
    storage: Storage,
    parsers: dict[str, CarrierParser],
    progress: Progress | None = None,
    *,
    claimed: Callable[[CarrierReport], None] | None = None,
    wake: Callable[[str], None] | None = None,
) -> CarrierReport | None:
    """Claim the report and run it to SUCCEEDED or FAILED. None when it was not claimable
    (finished already, running on a live worker, or given up: jobs.py). With `wake` (a worker's
    message), the report run is the fairest waiting one, `report_id` or another,
    `claimed(report)` hears which, and `wake(id)` is told of the report to start next when it
    ends (jobs.run)."""
    work = partial(_run, storage=storage, parsers=parsers, progress=progress)
    return jobs.run(REPORTS, report_id, work, progress, claimed=claimed, wake=wake)


def _run(report: CarrierReport, storage: Storage, parsers, progress) -> CarrierReport:
    _forget_errors(report.id)
    chunk_rows = get_settings().ingest_chunk_rows or None
    principal = _uploader(report)
    parser = _parser(report, storage, parsers)
    try:
        with storage.open(report.storage_key) as stream:
            _ingest(report, parser, principal, stream, progress, chunk_rows)
    except RepeatedPolicy:
        # A policy id sits in two chunks of the file, and upserting by chunks would not keep
        # "the last row wins" exact; nothing of that run was committed. Once more, as one upsert.
        _forget_errors(report.id)
        with storage.open(report.storage_key) as stream:
            _ingest(report, parser, principal, stream, progress, chunk_rows=None)
    with db.session() as session:
        done = session.get(CarrierReport, report.id)  # SUCCEEDED, with the upsert (_ingest)
        if (done.rows_inserted or 0) + (done.rows_updated or 0) >= db.ANALYZE_ROWS:
            db.analyze(session, [Policy.__tablename__])  # a large report: fresh statistics
            session.commit()
    if progress:
        progress(done)
    return done


def _forget_errors(report_id: str) -> None:
    with db.session() as session:
        session.execute(delete(ReportRowError).where(ReportRowError.report_id == report_id))
        session.commit()


def _uploader(report: CarrierReport) -> Principal | None:
    if report.uploader_email is None:
        return None  # the operator's CLI: no NPN restriction
    with db.session() as session:
        principal = load_principal(session, report.uploader_email)
    if principal is None:
        raise NotFound("the user who uploaded this report no longer exists")
    return principal


def _parser(
    report: CarrierReport, storage: Storage, parsers: dict[str, CarrierParser]
) -> CarrierParser:
    if report.carrier is not None:
        if report.carrier not in parsers:
            raise CarrierNotRecognized(f"carrier {report.carrier!r} is no longer installed")
        return parsers[report.carrier]
    with storage.open(report.storage_key) as stream:
        head = stream.read(SNIFF_BYTES)
    return sniff_carrier(parsers, head, report.filename)


def _ingest(report, parser, principal, stream, progress, chunk_rows: int | None):
    tally = _Tally(unmatched=set())
    errors: list[RowError] = []
    npns = _Npns(principal)
    with (
        db.get_engine().connect() as conn,
        conn.begin(),
        Staging(
            conn,
            parser.key,
            report.uploader_agency_id,
            report.id,
            utcnow(),
            chunk_rows,
            as_of=report.as_of,
            tenant_of=npns.tenant_of,
            uploader=principal,
        ) as staging,
    ):
        size = min(BATCH, chunk_rows or BATCH)  # a chunk is whole batches
        for batch in _batches(parser.parse(stream, report.as_of), errors, tally, size):
            staging.add(_in_book(npns, batch, errors, tally))
            _progress(report, tally, progress)
            _store_errors(report.id, errors, tally)
            errors.clear()
        _store_errors(report.id, errors, tally)
        # The upsert and the report's SUCCEEDED commit together, and only while the claim is
        # still this run's: renewing it here locks the report's row, so nobody can take the
        # report over until this commits (and then it is finished).
        staging.wait()
        _renew_claim(conn, report)
        counts = staging.apply()
        staging.drop()
        # In the upsert's transaction: the report's row is locked by the renewed claim.
        _store_errors(report.id, _outside_book(staging.refused, tally), tally, conn)
        conn.execute(
            update(CarrierReport)
            .where(CarrierReport.id == report.id)
            .values(
                status=jobs.SUCCEEDED,
                finished_at=utcnow(),
                carrier=parser.key,
                rows_read=tally.read,
                rows_rejected=tally.rejected,
                rows_inserted=counts.inserted,
                rows_updated=counts.updated,
                rows_unchanged=counts.unchanged,
                unmatched_npns=sorted(tally.unmatched, key=lambda n: (len(n), n)),
            )
        )
        outcome = (
            f"ok: rows read {tally.read:,}, inserted {counts.inserted:,}, updated "
            f"{counts.updated:,}, unchanged {counts.unchanged:,}, rejected {tally.rejected:,}"
        )
        jobs.audited(conn, report, "finished", outcome)


def _renew_claim(conn, report: CarrierReport) -> None:
    renewed = conn.execute(
        update(CarrierReport)
        .where(CarrierReport.id == report.id, CarrierReport.status == jobs.PROCESSING)
        .where(CarrierReport.attempts == report.attempts)
        .values(heartbeat_at=utcnow())
    )
    if renewed.rowcount != 1:
        raise jobs.ClaimLost


def _batches(
    items, errors: list[RowError], tally: _Tally, size: int
) -> Iterator[list[PolicyRecord]]:
    batch: list[PolicyRecord] = []
    for item in items:
        tally.read += 1
        if not tally.read % GIVE_WAY_ROWS:
            yielding.give_way()
        if isinstance(item, PolicyRecord):
            item = _storable(item)
        if isinstance(item, RowError):
            tally.rejected += 1
            errors.append(item)
            continue
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    yield batch


def _shown(message: str) -> str:
    """A message as stored and shown: a NUL it quotes from the file (PostgreSQL cannot store
    one) is spelled out as \\x00."""
    return message.replace("\x00", "\\x00")


def _storable(record: PolicyRecord) -> PolicyRecord | RowError:
    """The record, or its rejection when a text holds NUL (a stray byte in a damaged file):
    PostgreSQL cannot store one, and the whole report would fail on it (whatever the parser)."""
    for name in _RECORD_FIELDS:
        value = getattr(record, name)
        if isinstance(value, str) and "\x00" in value:
            problem = f"{name} contains a NUL character, which cannot be stored"
            return RowError(record.line, f"line {record.line}: {problem}")
    return record


_RECORD_FIELDS = tuple(f.name for f in fields(PolicyRecord))


class _Npns:
    """Which NPNs are in the uploader's book (True), outside it (False) or match no agent
    (absent), and the tenant of the agent holding each, looked up once each on a session of its
    own: the ingest's connection may be busy upserting a chunk."""

    def __init__(self, principal: Principal | None) -> None:
        self.principal = principal
        self.known: dict[str, bool] = {}
        self.tenants: dict[str, str] = {}
        self.looked_up: set[str] = set()

    def look_up(self, npns: set[str]) -> None:
        new = npns - self.looked_up
        if not new:
            return
        visible = Agent.id.in_(scope.agent_ids(self.principal)) if self.principal else true()
        query = select(Agent.npn, visible, tenants.top_of(Agent.agency_id))
        with db.session() as session:
            for npn, in_book, tenant in session.execute(query.where(Agent.npn.in_(new))):
                self.known[npn] = in_book
                self.tenants[npn] = tenant
        self.looked_up |= new

    def tenant_of(self, npn: str) -> str:
        """The tenant a row with this NPN goes into (its NPN looked up already)."""
        if self.principal is not None:
            return self.principal.tenant_id
        return self.tenants.get(npn, HELD_BY_OPERATOR)


def _in_book(npns: _Npns, batch, errors, tally) -> list[PolicyRecord]:
    """Drop (as rejected) rows whose NPN belongs to an agent outside the uploader's book, and
    note the NPNs that match no agent: they load, and the report lists them."""
    wanted = {r.agent_npn for r in batch}
    if not wanted:
        return batch
    npns.look_up(wanted)
    tally.unmatched |= wanted - npns.known.keys()
    kept = []
    for record in batch:
        if npns.known.get(record.agent_npn, True):
            kept.append(record)
        else:
            tally.rejected += 1
            errors.append(
                RowError(
                    record.line, f"line {record.line}: NPN {record.agent_npn} is outside your book"
                )
            )
    return kept


def _outside_book(refused: list[tuple[int, str]], tally: _Tally) -> list[RowError]:
    """The rows the upsert refused, rejected in the words of an NPN outside the book: the
    report never tells whether someone else in the tenant holds the policy or what it says."""
    tally.rejected += len(refused)
    return [
        RowError(line, f"line {line}: policy {policy_id} is outside your book")
        for line, policy_id in sorted(refused)
    ]


def _store_errors(report_id: str, errors: list[RowError], tally: _Tally, conn=None) -> None:
    """Store the first of `errors` (counted in `tally` already), on `conn` if given, else in a
    session of their own."""
    room = MAX_STORED_ERRORS - (tally.rejected - len(errors))
    keep = sorted(errors, key=lambda e: e.line)[: max(room, 0)]
    if not keep:
        return
    rows = [{"report_id": report_id, "line": e.line, "message": _shown(e.message)} for e in keep]
    if conn is not None:
        conn.execute(insert(ReportRowError), rows)
        return
    with db.session() as session:
        session.execute(insert(ReportRowError), rows)
        session.commit()


def _progress(report: CarrierReport, tally: _Tally, progress: Progress | None) -> None:
    """Record progress (renewing the claim); stop at once if the claim is no longer this run's."""
    with db.session() as session:
        heartbeats.heartbeat(
            session, CarrierReport, report.id, rows_read=tally.read, rows_rejected=tally.rejected
        )
        current = session.get(CarrierReport, report.id)
        if current.attempts != report.attempts or current.status != jobs.PROCESSING:
            raise jobs.ClaimLost
        if progress:
            progress(current)
