"""The `downline` command (operations.md). Each command is a thin edge over core."""

import sys

import typer
from downline.core import db
from downline.core import migrate as migrations
from downline.core.config import get_settings

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
    from downline.core.scope import load_principal

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
) -> None:
    """Serve the API (GraphiQL at /graphql outside production)."""
    import uvicorn

    if db.get_engine().dialect.name == "sqlite":
        migrations.upgrade()
    uvicorn.run(
        "downline.server.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        ws="websockets",
        log_level="info",
    )


def main() -> None:
    app(prog_name="downline")


if __name__ == "__main__":
    sys.exit(main())
