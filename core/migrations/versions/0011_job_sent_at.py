"""jobs: when the sweep last sent a message for each

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-09 09:00:00

The sweep sent every job waiting longer than a minute again at every pass, so the duplicates on
the broker grew with the backlog. Each export and carrier report now records when the sweep last
sent a message for it (`sent_at`), and the sweep sends a waiting job again only once that, and its
request (whose message the API sent), are older than the stale limit. Jobs made before have none.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("export", "carrier_report")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            column = sa.Column("sent_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
            batch_op.add_column(column)


def downgrade() -> None:
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("sent_at")
