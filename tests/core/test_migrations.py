"""The migrations make exactly the schema the models describe, plus the keyset indexes that
only migrations spell (per dialect), on SQLite and PostgreSQL."""

from datetime import UTC, datetime

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


def test_exports_made_before_0006_take_their_requesters_standing_where_it_still_fits(
    database, load_book
):
    """An export of a requester whose role no longer matches the export's scope, or who is gone,
    gets no place (and so stays hidden); the others take the requester's standing now."""
    from alembic import command

    from downline.core import migrate
    from tests.conftest import BOOK

    assert not load_book(BOOK).rejections
    export = sa.table(
        "export",
        *(sa.column(name) for name in ("id", "type", "scope", "params", "requester_email")),
        *(sa.column(name) for name in ("status", "rows_written", "requested_at", "attempts")),
    )
    made_by = {
        "agent-export": ("AGENT", "eve@t.test"),
        "agency-export": ("AGENCY", "admin@east.test"),
        "agent-export-of-an-admin-now": ("AGENT", "admin@top.test"),
        "export-of-a-removed-user": ("AGENCY", "gone@t.test"),
    }
    config = migrate.alembic_config()
    command.downgrade(config, "0004")
    try:
        with db.get_engine().begin() as conn:
            conn.execute(
                export.insert(),
                [
                    {
                        "id": export_id,
                        "type": "clients",
                        "scope": scope,
                        "params": "{}",
                        "requester_email": email,
                        "status": "SUCCEEDED",
                        "rows_written": 0,
                        "requested_at": datetime(2026, 3, 1, tzinfo=UTC),
                        "attempts": 1,
                    }
                    for export_id, (scope, email) in made_by.items()
                ],
            )
    finally:
        command.upgrade(config, "head")

    with db.get_engine().connect() as conn:
        places = conn.execute(
            sa.text(
                "SELECT id, requester_agent_id, requester_agency_id, request_base_url FROM export"
            )
        )
        assert {row.id: tuple(row[1:]) for row in places} == {
            "agent-export": ("a-east", None, None),
            "agency-export": (None, "east", None),
            "agent-export-of-an-admin-now": (None, None, None),
            "export-of-a-removed-user": (None, None, None),
        }
