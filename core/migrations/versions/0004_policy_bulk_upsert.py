"""policy: no foreign key on report_id, no index of its own on carrier

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 18:40:00

A carrier report's upsert checked `policy.report_id` against `carrier_report` row by row, while
the report's own progress updates kept rewriting that row. The ingest's transaction keeps every
version alive, so each check walked them all: upserts grew slower the longer a report ran
(10 chunks of 100k rows: 1.6 s for the first, 5.3 s for the last). The ingest sets report_id to
the report it runs, which exists, and reports are never deleted. `ix_policy_carrier` is a
prefix of `uq_policy_natural_key (carrier, carrier_policy_id)`, which serves it, and was one
more index to write per upserted row.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite's foreign keys have no names: batch mode names them by this convention to drop one.
NAMING = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}


def _fk_name() -> str:
    if op.get_bind().dialect.name == "postgresql":
        return "policy_report_id_fkey"
    return "fk_policy_report_id_carrier_report"


def upgrade() -> None:
    with op.batch_alter_table("policy", naming_convention=NAMING) as batch_op:
        batch_op.drop_constraint(_fk_name(), type_="foreignkey")
        batch_op.drop_index("ix_policy_carrier")
    _keyset_index_again()


def downgrade() -> None:
    with op.batch_alter_table("policy", naming_convention=NAMING) as batch_op:
        batch_op.create_index("ix_policy_carrier", ["carrier"], unique=False)
        batch_op.create_foreign_key(_fk_name(), "carrier_report", ["report_id"], ["id"])
    _keyset_index_again()


def _keyset_index_again() -> None:
    """SQLite's batch mode rebuilds the table with its indexes as reflected, and reflection
    loses the DESC of production's keyset index (0002): spell it again."""
    if op.get_bind().dialect.name == "sqlite":
        op.drop_index("ix_policy_order", "policy")
        op.create_index("ix_policy_order", "policy", [sa.text("updated_at DESC"), "id"])
