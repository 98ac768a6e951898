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


def _migrate(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copy
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
