"""Alembic environment: migrates the database of the current settings (or the connection given)."""

from alembic import context
from sqlmodel import SQLModel

import downline.core.models  # noqa: F401  (registers every table on SQLModel.metadata)
from downline.core.db import get_engine

config = context.config


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _migrate(connection)
        return
    with get_engine().begin() as conn:
        _migrate(conn)


def _include(obj, name, type_, reflected, compare_to) -> bool:
    """Autogenerate leaves alone the indexes that only migrations make (per-dialect keyset
    indexes such as ix_client_order): a reflected index with no model counterpart is kept."""
    return not (type_ == "index" and reflected and compare_to is None)


def _migrate(connection) -> None:
    context.configure(
        include_object=_include,
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copy
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
