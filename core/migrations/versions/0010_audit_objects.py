"""audit: the report and the agency an event concerns, and its words

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-02 09:00:00

The audit trail grows beyond exports: carrier reports uploaded and ingested, an agency's exports
switch flipped, a book loaded. An event names the report (`report_id`) or the agency
(`target_agency_id`) it acted on, beside the export it already could, and carries the words
that go with it (`detail`: a file name, the message of a failure, on or off). Older events have
none of these.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0010"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("report_id", "target_agency_id", "detail")


def upgrade() -> None:
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        for name in COLUMNS:
            batch_op.add_column(sa.Column(name, sqlmodel.sql.sqltypes.AutoString(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        for name in reversed(COLUMNS):
            batch_op.drop_column(name)
