"""The migrations make exactly the schema the models describe, plus the keyset indexes that
only migrations spell (per dialect), on SQLite and PostgreSQL."""

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from downline.core import db

KEYSET_INDEXES = {
    "client": {"ix_client_order", "ix_client_agent_order"},
    "policy": {"ix_policy_order"},
}


def include(obj, name, type_, reflected, compare_to) -> bool:
    return not (type_ == "index" and reflected and compare_to is None)


def test_migrated_schema_matches_the_models(database):
    with db.get_engine().connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"include_object": include, "compare_type": True}
        )
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def test_keyset_indexes_exist(database):
    inspector = sa.inspect(db.get_engine())
    for table, names in KEYSET_INDEXES.items():
        assert names <= {i["name"] for i in inspector.get_indexes(table)}, table
