"""`downline ingest`: one carrier report, synchronously, through the same code as the worker."""

import sys
from datetime import date
from pathlib import Path

import typer
from rich.progress import BarColumn, Progress, TextColumn
from sqlalchemy import select

from downline.core import db, plugins
from downline.core.book.scope import load_principal
from downline.core.carriers import run as ingesting
from downline.core.carriers import uploads
from downline.core.config import get_settings
from downline.core.errors import DownlineError
from downline.core.models import CarrierReport, ReportRowError
from downline.core.storage import get_storage


def run_ingest(file: Path, carrier: str | None, as_of: str | None, as_user: str | None):
    parsers = plugins.installed_parsers()
    storage = get_storage(get_settings())
    try:
        day = date.fromisoformat(as_of) if as_of else None
    except ValueError:
        _fail(f"--as-of {as_of!r} is not a date (YYYY-MM-DD)")
    with db.session() as session:
        principal = None
        if as_user:
            principal = load_principal(session, as_user)
            if principal is None:
                _fail(f"--as: no user with email {as_user!r}")
        try:
            with open(file, "rb") as stream:
                report = uploads.create_report(
                    session,
                    storage,
                    principal,
                    filename=file.name,
                    stream=stream,
                    carrier=carrier,
                    as_of=day,
                    parsers=parsers,
                )
        except DownlineError as exc:
            _fail(exc.message)
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[rows]:,} rows"),
        transient=True,
        disable=not sys.stderr.isatty(),
    )
    with bar:
        task = bar.add_task(file.name, total=None, rows=0)
        done = ingesting.run_report(
            report.id, storage, parsers, progress=lambda r: bar.update(task, rows=r.rows_read)
        )
    _print(done)
    return done


def _print(report: CarrierReport) -> None:
    typer.echo(
        f"{report.filename}: {report.status} (carrier: {report.carrier or 'not recognised'})"
    )
    if report.error:
        typer.echo(f"  {report.error}")
        return
    typer.echo(
        f"  rows read {report.rows_read:,}, inserted {report.rows_inserted:,}, "
        f"updated {report.rows_updated:,}, unchanged {report.rows_unchanged:,}, "
        f"rejected {report.rows_rejected:,}"
    )
    with db.session() as session:
        query = select(ReportRowError).where(ReportRowError.report_id == report.id)
        for error in session.scalars(query.order_by(ReportRowError.line)):
            typer.echo(f"  {error.message}")
    if report.rows_rejected > ingesting.MAX_STORED_ERRORS:
        typer.echo(
            f"  … and {report.rows_rejected - ingesting.MAX_STORED_ERRORS:,} more rejected rows"
        )
    if report.unmatched_npns:
        typer.echo(f"  NPNs matching no agent: {', '.join(report.unmatched_npns)}")


def _fail(message: str) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(1)
