"""policy: the as-of date of the newest report that listed it

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 10:00:00

`policy.last_seen_as_of` tells how fresh a policy's row is from the carrier's side: a carrier that
stops listing a policy leaves it behind. Existing rows take the as-of date of the report that last
wrote them (`report_id`), the best still known; a row no report wrote (or whose report is gone)
takes the UTC date it last changed. Then the column is NOT NULL.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# One pass over the table (each UPDATE rewrites every row it touches on PostgreSQL).
_FILL = """UPDATE policy SET last_seen_as_of = COALESCE(
    (SELECT r.as_of FROM carrier_report r WHERE r.id = policy.report_id), {changed})"""
_CHANGED_ON = {
    "postgresql": "CAST(policy.updated_at AT TIME ZONE 'UTC' AS DATE)",
    "sqlite": "date(policy.updated_at)",
}


def upgrade() -> None:
    op.add_column("policy", sa.Column("last_seen_as_of", sa.Date(), nullable=True))
    op.execute(_FILL.format(changed=_CHANGED_ON[op.get_bind().dialect.name]))
    with _keyset_index_kept(), op.batch_alter_table("policy") as batch_op:
        batch_op.alter_column("last_seen_as_of", existing_type=sa.Date(), nullable=False)


def downgrade() -> None:
    with _keyset_index_kept(), op.batch_alter_table("policy") as batch_op:
        batch_op.drop_column("last_seen_as_of")


@contextmanager
def _keyset_index_kept() -> Iterator[None]:
    """SQLite's batch mode rebuilds the table with its indexes as reflected, and reflection loses
    the DESC of production's keyset index: dropped before, spelt again after. (PostgreSQL alters
    the table in place and keeps it.)"""
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.drop_index("ix_policy_order", "policy")
    yield
    if sqlite:
        op.create_index(
            "ix_policy_order", "policy", ["tenant_id", sa.text("updated_at DESC"), "id"]
        )
