"""Exports: the request (checks, then a QUEUED row), and the run (claim -> stream rows ->
format each cell -> CSV in a temp file -> storage -> SUCCEEDED -> notify). Saleor's shape: the
row is the truth, the worker only moves it forward, the file is delivered by a link."""

import csv
import io
import logging
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from functools import partial
from pathlib import Path

from sqlalchemy import exc as sa_exc
from sqlalchemy import update
from sqlmodel import Session

from downline.core import audit, db, fairness, heartbeats, jobs, yielding
from downline.core.book import paging, roster, scope
from downline.core.book.scope import Principal, load_principal
from downline.core.config import get_settings
from downline.core.errors import BadUserInput, DownlineError, Forbidden
from downline.core.exports import access as export_access
from downline.core.exports import copy as export_copy
from downline.core.exports import links
from downline.core.exports.csvsafe import cell
from downline.core.exports.params import shown, validate
from downline.core.exports.sink import HashingSink
from downline.core.exports.types import ExportContext, ExportScope, ExportType
from downline.core.models import Export, utcnow
from downline.core.private import private_dir
from downline.core.storage import Storage

log = logging.getLogger(__name__)

BATCH = 2000
PROGRESS_SECONDS = 0.5
# Failures worth another try (the database or the file store hiccuped); anything else fails
# the export at once with a message for the user.
TRANSIENT = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError, OSError)

EXPORTS = jobs.Work(
    Export,
    refusals=(DownlineError,),
    internal_error="The export could not be built because of an internal error. Request it "
    "again; if it keeps failing, contact support.",
    too_long="The export ran past its time limit and was stopped. Narrow it with filters, or "
    "contact support.",
    transient=TRANSIENT,
    describe=lambda export, refusal: refusal.message,
)

Progress = Callable[[Export], None]
Notify = Callable[[Export, str, str], None]


def scope_of(principal: Principal) -> ExportScope:
    return ExportScope.AGENCY if principal.is_admin else ExportScope.AGENT


def types_for(principal: Principal, types: dict[str, ExportType]) -> list[ExportType]:
    """The types this viewer's role may request (whether or not its exports are switched off)."""
    return [t for t in types.values() if scope_of(principal) in t.scopes]


def request_export(
    session: Session,
    principal: Principal,
    type_key: str,
    params: object,
    types: dict[str, ExportType],
    request_base_url: str | None = None,
    *,
    limit: int | None = None,
) -> Export:
    """Check and record a request: the QUEUED row is committed when this returns (send the
    message after). A refusal is audited and raised. `request_base_url` is the address the
    request came to, kept for the emailed link (core/exports/links.py). `limit`: how many
    exports the requester may have waiting or running, this one included (the API's
    DOWNLINE_MAX_ACTIVE_JOBS_PER_USER; RATE_LIMITED beyond, fairness.py); None for the
    operator's `downline export`, which runs the export itself."""
    try:
        export_type = _allowed(session, principal, type_key, types)
        checked = validate(export_type, params)
        export = Export(
            type=export_type.key,
            scope=scope_of(principal).value,
            params=checked,
            requester_email=principal.email,
            request_base_url=request_base_url,
            **export_access.place_of(principal),
        )
        if limit is None:
            session.add(export)
        else:
            fairness.admit(session, export, limit)
    except DownlineError as refusal:
        session.rollback()
        detail = f"{type_key}: {refusal.message}"  # what was asked for, and why not
        audit.record(session, "export_refused", refusal.code, actor=principal, detail=detail)
        session.commit()
        raise
    audit.record(session, "export_requested", "ok", actor=principal, export_id=export.id)
    session.commit()
    return export


def _allowed(session, principal, type_key, types) -> ExportType:
    export_type = types.get(type_key)
    if export_type is None:
        known = ", ".join(t.key for t in types_for(principal, types))
        raise BadUserInput(f"no export type {shown(type_key)} (yours: {known})", field="type")
    if scope_of(principal) not in export_type.scopes:
        raise Forbidden(f"the {type_key} export is not available to your role")
    roster.check_exports_allowed(session, principal)
    return export_type


def file_name(export: Export) -> str:
    return f"{export.type}-{export.requested_at.date().isoformat()}-{export.id}.csv"


def export_query(session: Session, export_type: ExportType, principal: Principal, params: dict):
    return export_type.query(_context(session, principal, params))


def _counted_query(session: Session, export_type: ExportType, principal: Principal, query, params):
    """What `rowsTotal` counts: the type's cheaper count, if it has one, else `query` itself (the
    export's own, built once: a type's query runs once per export)."""
    if export_type.count is None:
        return query
    return export_type.count(_context(session, principal, params))


def _context(session: Session, principal: Principal, params: dict) -> ExportContext:
    return ExportContext(session, principal, scope.agent_ids(principal), params, utcnow().date())


def run_export(
    export_id: str,
    storage: Storage,
    types: dict[str, ExportType],
    notify: Notify,
    progress: Progress | None = None,
    *,
    claimed: Callable[[Export], None] | None = None,
    wake: Callable[[str], None] | None = None,
) -> Export | None:
    """Claim the export and build its file; None when it was not claimable (finished,
    running on a live worker, or given up: jobs.py). With `wake` (a worker's message), the
    export built is the fairest waiting one, `export_id` or another, `claimed(export)` hears
    which, and `wake(id)` is told of the export to start next when it ends (jobs.run). A transient
    failure hands the row back (QUEUED) and raises, for the broker to retry. `notify(export,
    link, recipient)` tells the requester the file is ready (the plugins'
    `downline_export_ready`, passed in by the caller that owns them)."""
    work = partial(_build, storage=storage, types=types, notify=notify, progress=progress)
    return jobs.run(EXPORTS, export_id, work, progress, claimed=claimed, wake=wake)


def _build(export: Export, storage: Storage, types, notify: Notify, progress) -> Export:
    principal, export_type = _requester(export, types)
    with db.session() as session, _counting(export, progress) as count:
        shared = yielding.sharing()
        if shared:
            db.one_process(session)
        query = export_query(session, export_type, principal, export.params)
        count(_counted_query(session, export_type, principal, query, export.params), shared)
        written, size, digest, path = _write(session, export, export_type, query, progress)
    try:
        # Asked again before the file is published: the requester may have moved, or its
        # agency switched its exports off, while the file was written. Then the file goes.
        _requester(export, types)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    # One key per attempt: a worker that lost its claim (frozen past the stale limit, then
    # thawed) never replaces the file of the attempt that finished the row.
    key = f"exports/{export.id}/{export.attempts}-{file_name(export)}"
    storage.move_file(key, path)
    done = jobs.finish(
        export,
        jobs.SUCCEEDED,
        progress,
        f"ok: {written:,} rows, {size:,} bytes",
        rows_written=written,
        row_count=written,
        byte_size=size,
        sha256=digest,
        storage_key=key,
    )
    if done.storage_key != key:
        # Another worker took the job over meanwhile and finished it: its file is the row's
        # and it tells the requester; this run's file goes.
        log.warning(
            "export %s was finished by another attempt: attempt %s dropped",
            export.id,
            export.attempts,
        )
        storage.delete(key)
        return done
    if done.status == jobs.SUCCEEDED:
        link = links.mint(get_settings(), done.id, done.requester_email, done.request_base_url)
        notify(done, link, done.requester_email)
    return done


def _requester(export: Export, types: dict[str, ExportType]) -> tuple[Principal, ExportType]:
    """The requester as it stands now, and the export's type, if it may still have the file."""
    with db.session() as session:
        principal = load_principal(session, export.requester_email)
        if principal is None:
            raise Forbidden("the user who requested this export no longer exists")
        # Built for where the requester stands now, the file would hold another agent's or
        # agency's book than the one asked for, under an export that belongs to the old place.
        if not export_access.visible(session, principal, export.id):
            raise Forbidden(
                "your account has moved (to another agent or agency, or another role) since "
                "this export was requested; request it again"
            )
        # The switch holds at every step, not only at the request (docs/domain.md).
        roster.check_exports_allowed(session, principal)
    if export.type not in types:
        raise BadUserInput(f"the {export.type} export is no longer installed", field="type")
    return principal, types[export.type]


@contextmanager
def _counting(export: Export, progress: Progress | None):
    """`count(query, shared)` counts the export's rows for `rowsTotal` on a connection of its
    own, in a thread, while the rows are written (in one database process when `shared`:
    db.one_process): the total arrives early without the export waiting for it. A count that
    fails leaves rowsTotal unknown, which the API allows; it never fails the export."""
    threads: list[threading.Thread] = []

    def run(query, shared: bool) -> None:
        try:
            with db.session() as session:
                if shared:
                    db.one_process(session)
                total = paging.count(session, query)
            _update(export, progress, rows_total=total)
        except Exception:  # noqa: BLE001 - the total is a nicety; the export goes on
            log.warning("export %s: rows could not be counted", export.id, exc_info=True)

    def count(query, shared: bool) -> None:
        threads.append(threading.Thread(target=run, args=(query, shared), daemon=True))
        threads[-1].start()

    try:
        yield count
    finally:
        for thread in threads:
            thread.join()


def _write(session, export, export_type, query, progress):
    """The export's CSV in a temp file: (rows, bytes, sha256, path)."""
    columns = export_type.columns
    tmp_dir = get_settings().var_dir / "tmp"
    private_dir(tmp_dir)
    for leftover in tmp_dir.glob(f"{export.id}-*.csv"):  # an earlier attempt's, killed mid-file
        leftover.unlink(missing_ok=True)
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115
        dir=tmp_dir, prefix=f"{export.id}-", suffix=".csv", delete=False
    )
    path = Path(handle.name)
    last = time.monotonic()

    def tick(written: int) -> None:
        nonlocal last
        yielding.give_way()
        if time.monotonic() - last >= PROGRESS_SECONDS:
            _update(export, progress, rows_written=written)
            last = time.monotonic()

    try:
        with handle, HashingSink(handle) as sink:
            sink.write(_header(columns))
            sql = export_copy.prepare(session, query, columns)
            if sql is not None:
                written = export_copy.write(session, query, columns, sink, tick, sql)
            else:
                written = write_rows(session, query, columns, sink, tick)
        digest = sink.sha256()
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return written, sink.size, digest, path


def _header(columns) -> bytes:
    line = io.StringIO()
    csv.writer(line, lineterminator="\r\n").writerow([c.name for c in columns])
    return line.getvalue().encode()


def write_rows(session, query, columns, out, tick) -> int:
    """The Python writer (SQLite, or a query export_copy cannot spell): stream the rows, format
    each cell (core/exports/csvsafe.py), write CSV; returns the row count."""
    text = io.TextIOWrapper(io.BufferedWriter(out), encoding="utf-8", newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    written = 0
    # yield_per streams (a server-side cursor on PostgreSQL): memory stays flat.
    for row in session.execute(query.execution_options(yield_per=BATCH)):
        writer.writerow([cell(v, c.kind, c.pii) for v, c in zip(row, columns, strict=True)])
        written += 1
        tick(written)
    text.flush()
    text.detach().detach()  # flushed; `out` itself is left open for the caller
    return written


def _update(export: Export, progress: Progress | None, **values) -> None:
    with db.session() as session:
        heartbeats.heartbeat(session, Export, export.id, **values)
        if progress:
            progress(session.get(Export, export.id))


def give_up(export_id: str, attempt: int | None = None) -> None:
    """The broker's retries ran out on transient failures: fail the export, saying so, unless
    it is no longer the failing run's (`attempt`, the claim that failed last): finished, or
    claimed again by another worker (a waiting job is taken by any worker's message)."""
    error = (
        "The export could not be built after several attempts (a temporary problem on our "
        "side). Request it again in a few minutes."
    )
    ours = Export.status == jobs.QUEUED
    if attempt is not None:
        ours = ours | ((Export.status == jobs.PROCESSING) & (Export.attempts == attempt))
    with db.session() as session:
        result = session.execute(
            update(Export)
            .where(Export.id == export_id, ours)
            .values(status=jobs.FAILED, finished_at=utcnow(), error=error)
        )
        if result.rowcount == 1:
            jobs.audited(session, session.get(Export, export_id), "failed", "UNAVAILABLE", error)
        session.commit()
