"""`downline export`: one export, synchronously, as a user, through the worker's own code."""

import json
import shutil
import sys
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from downline.core import db, plugins
from downline.core.book.scope import load_principal
from downline.core.config import get_settings
from downline.core.errors import DownlineError
from downline.core.exports import run as exporting
from downline.core.storage import get_storage


def parse_params(pairs: list[str]) -> dict:
    """NAME=VALUE pairs; a VALUE that parses as JSON is that JSON, else a string."""
    params = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise typer.BadParameter(f"{pair!r} is not NAME=VALUE", param_hint="--param")
        try:
            params[name] = json.loads(value)
        except ValueError:
            params[name] = value
    return params


def run_export_now(type_key: str, email: str, pairs: list[str], output: str | None) -> None:
    types = plugins.installed_export_types()
    with db.session() as session:
        principal = load_principal(session, email)
        if principal is None:
            _fail(f"--as: no user with email {email!r}")
        try:
            export = exporting.request_export(
                session, principal, type_key, parse_params(pairs), types
            )
        except DownlineError as exc:
            where = f" ({exc.field})" if exc.field else ""
            _fail(f"{exc.code}{where}: {exc.message}")
    storage = get_storage(get_settings())
    bar = Progress(
        TextColumn(type_key),
        BarColumn(),
        MofNCompleteColumn(),
        transient=True,
        disable=not sys.stderr.isatty(),
    )
    with bar:
        task = bar.add_task(type_key, total=None)
        done = exporting.run_export(
            export.id,
            storage,
            types,
            plugins.notify_export_ready,
            progress=lambda e: bar.update(task, completed=e.rows_written, total=e.rows_total),
        )
    if done is None or done.status != "SUCCEEDED":
        _fail(f"the export failed: {done.error if done else 'it was already running'}")
    with storage.open(done.storage_key) as stream:
        if output == "-":
            shutil.copyfileobj(stream, sys.stdout.buffer)
            return
        target = Path(output or exporting.file_name(done))
        with open(target, "wb") as out:
            shutil.copyfileobj(stream, out)
    typer.echo(f"{done.row_count:,} rows written to {target}", err=True)


def _fail(message: str) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(1)
