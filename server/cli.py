"""The `downline` command. Each command is a thin edge over core."""

import sys
from pathlib import Path

import typer

from downline.core import db
from downline.core import migrate as migrations
from downline.core.config import get_settings
from downline.core.private import restrict_umask

app = typer.Typer(
    no_args_is_help=True, add_completion=False, help="downline: the agency back office."
)


def fail(message: str) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(1)


@app.command()
def migrate() -> None:
    """Upgrade the database to the newest schema (Alembic)."""
    migrations.upgrade()
    typer.echo("database is at the newest schema")


@app.command()
def token(email: str, ttl: int = typer.Option(None, help="seconds the token lives")) -> None:
    """Print a bearer token for the user with EMAIL."""
    from downline.core import tokens
    from downline.core.book.scope import load_principal

    with db.session() as session:
        if load_principal(session, email) is None:
            fail(f"no user with email {email!r} (or its agent/agency is gone)")
    typer.echo(tokens.mint(get_settings(), email, ttl))


@app.command("export-schema")
def export_schema() -> None:
    """Print the GraphQL SDL."""
    from downline.schema import schema

    typer.echo(schema.as_str())


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = typer.Option(1, help="API processes"),
    workers_in_process: bool = typer.Option(
        None,
        "--workers-in-process/--no-workers-in-process",
        help="run the export/ingest workers inside this process (default: when no broker)",
    ),
) -> None:
    """Serve the API (GraphiQL at /graphql outside production)."""
    import os

    import uvicorn

    settings = get_settings()
    if workers > 1 and not (settings.broker_url and settings.redis_url):
        fail(
            "--workers above 1 needs DOWNLINE_BROKER_URL and DOWNLINE_REDIS_URL: in-process "
            "jobs and events cannot cross processes"
        )
    if workers_in_process is not None:
        os.environ["DOWNLINE_WORKERS_IN_PROCESS"] = "true" if workers_in_process else "false"
    if db.get_engine().dialect.name == "sqlite":
        migrations.upgrade()
    uvicorn.run(
        "downline.server.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        ws="auto",
        log_level="info",
    )


@app.command()
def worker(
    processes: int = typer.Option(2, help="worker processes"),
    threads: int = typer.Option(4, help="threads per process"),
) -> None:
    """Run Dramatiq workers on the configured broker (production)."""
    import os

    if not get_settings().broker_url:
        fail("DOWNLINE_BROKER_URL is not set: `downline serve` runs the workers in-process")
    # A process takes no more messages than it has threads (Dramatiq's default is twice as
    # many): a message waits for a thread of its own process, and a message is a token for any
    # waiting job (core/fairness.py), so it must not wait in a busy process beside an idle one.
    os.environ.setdefault("dramatiq_queue_prefetch", str(threads))
    # An idle process looks for messages ever more seldom, up to this (Dramatiq's Redis broker;
    # 1 s by default): a small export waited up to a second for an idle worker to notice it.
    os.environ.setdefault("dramatiq_worker_timeout", "100")
    args = ["dramatiq", "downline.server.actors", "--processes", str(processes)]
    os.execvp(sys.executable, [sys.executable, "-m", *args, "--threads", str(threads)])


@app.command()
def demo(
    agencies: int = typer.Option(12, min=1, help="agencies, in a tree 1 to 4 levels deep"),
    agents: int = typer.Option(60, min=1, help="agents, each with an agent user"),
    clients: int = typer.Option(3000, min=0, help="clients, with follow-ups, DMIs, SVIs, EAP"),
    leads: int = typer.Option(1500, min=0, help="leads"),
    policies: int = typer.Option(5000, min=0, help="carrier policies on the agents' NPNs"),
    seed: int = typer.Option(1, help="the same seed gives the same book"),
    if_empty: bool = typer.Option(False, "--if-empty", help="do nothing if a book exists"),
) -> None:
    """Generate a realistic demo book (agencies, agents, users, clients, leads, carrier policies,
    payouts) into an empty database. Deterministic for a seed; dates are relative to today.
    Prints a token for the demo admin, sub-agency admin and agent."""
    from downline.core import demo as book
    from downline.core import tokens
    from downline.core.demo.console import describe, progress_bar

    if db.get_engine().dialect.name == "sqlite":
        migrations.upgrade()  # as `serve` does: a fresh SQLite file works at once
    try:
        with progress_bar(sys.stderr.isatty()) as progress:
            summary = book.generate(
                db.get_engine(),
                agencies=agencies,
                agents=agents,
                clients=clients,
                leads=leads,
                policies=policies,
                seed=seed,
                progress=progress,
            )
    except book.BookNotEmpty as exc:
        if if_empty:
            typer.echo("the database already holds a book: no demo written (--if-empty)")
            _print_demo_tokens()
            return
        fail(exc.message)
    typer.echo(describe(summary, lambda email: tokens.mint(get_settings(), email)))


def _print_demo_tokens() -> None:
    """`make run` on an existing database: tokens for whichever demo users it holds."""
    from downline.core import tokens
    from downline.core.book.scope import load_principal
    from downline.core.demo import names

    with db.session() as session:
        for email in (names.ADMIN_EMAIL, names.SUBADMIN_EMAIL, names.AGENT_EMAIL):
            if load_principal(session, email) is not None:
                typer.echo(
                    f"  {email}\n    Authorization: Bearer {tokens.mint(get_settings(), email)}"
                )


@app.command()
def load(directory: str = typer.Argument(..., metavar="DIR")) -> None:
    """Load the JSON Lines book of business in DIR (upsert on id); print the counts and every
    rejected record as file:line: reason. Exit 1 if any record was rejected."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    from downline.core.errors import DownlineError
    from downline.core.loading import load_directory

    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn())
    # The bar is for a person watching; piped or captured output stays plain lines.
    bar = Progress(*columns, TimeRemainingColumn(), transient=True, disable=not sys.stdout.isatty())
    try:
        with bar:
            report = load_directory(directory, progress=bar)
    except DownlineError as exc:
        fail(exc.message)
    for name in report.ignored:
        typer.echo(f"note: ignored {name} (not a book file)")
    for line in [*report.files, *report.rejections]:
        typer.echo(str(line))
    if not report.ok:
        fail(f"{len(report.rejections)} record(s) rejected")


@app.command("export")
def export_command(
    type_key: str = typer.Argument(..., metavar="TYPE"),
    as_user: str = typer.Option(..., "--as", help="run as this user (its scope and rules)"),
    param: list[str] = typer.Option(None, "--param", help="NAME=VALUE (VALUE as JSON or text)"),
    output: str = typer.Option(None, "-o", "--output", help="file to write (- for stdout)"),
) -> None:
    """Run one export now as a user and write the CSV."""
    from downline.server.export_cli import run_export_now

    run_export_now(type_key, as_user, param or [], output)


@app.command()
def sweep() -> None:
    """Send lost or stalled jobs again and delete expired export files (API processes also do
    this every DOWNLINE_SWEEP_SECONDS)."""
    from downline.server.sweeper import sweep_once

    swept = sweep_once()
    typer.echo(
        f"sent {len(swept.exports)} export(s) and {len(swept.reports)} report(s) again; "
        f"deleted {swept.files_deleted} expired export file(s)"
    )
    if swept.exports_given_up or swept.reports_given_up:
        typer.echo(
            f"gave up {len(swept.exports_given_up)} export(s) and "
            f"{len(swept.reports_given_up)} report(s) that kept stopping the worker: "
            "FAILED, never sent again"
        )


@app.command()
def carriers() -> None:
    """List the carrier plugins: each one's key, name, products and source ("built-in", or the
    package and version that installed it), then any plugin that is broken."""
    from downline.core import plugins

    pm = plugins.installed()
    try:
        parsers = plugins.carrier_parsers(pm)  # which also notes each key's plugin in pm
    except plugins.PluginConflict as exc:
        fail(str(exc))
    for parser in parsers.values():
        products = ", ".join(parser.product_types)
        source = pm.carrier_source(parser.key)
        typer.echo(f"{parser.key:<22} {parser.name:<34} {products:<32} {source}".rstrip())
    for broken in plugins.broken_plugins(plugins.installed()):
        typer.echo(f"BROKEN {broken.name}: {broken.reason}")


@app.command()
def ingest(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True),
    carrier: str = typer.Option(None, help="the carrier's key (default: recognise the file)"),
    as_of: str = typer.Option(None, "--as-of", help="YYYY-MM-DD statuses are inferred for"),
    as_user: str = typer.Option(None, "--as", help="apply this user's rules (its book only)"),
) -> None:
    """Ingest one carrier report now, with a progress bar; print what it did.
    Exit 1 when the file is rejected as a whole."""
    from downline.server.ingest_cli import run_ingest

    report = run_ingest(file, carrier, as_of, as_user)
    if report.status != "SUCCEEDED":
        fail("the file was rejected as a whole: nothing was loaded")


def main() -> None:
    # Every process downline starts (serve, worker, the commands) creates files for its user only,
    # beyond the explicit modes: whatever a library writes under DOWNLINE_VAR_DIR holds client data.
    restrict_umask()
    app(prog_name="downline")


if __name__ == "__main__":
    sys.exit(main())
