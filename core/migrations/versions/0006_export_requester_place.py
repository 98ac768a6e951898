"""export: where its requester stood, and the address its request came to

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 09:00:00

An export is its requester's only while the requester still stands where it stood when asking:
its agent (agent users) or its agency (admins), now recorded on the row. Exports made before
this migration take the requester's standing as it is now, the best still known, but only when
its role still matches the export's scope: an agent export whose requester is an admin today
(or the other way round) was made from a place that user has left, and stays hidden. Exports of
removed users get no place, and stay hidden too.

`request_base_url` keeps the address a request came to, for the emailed link when
DOWNLINE_PUBLIC_URL is unset; older exports have none and fall back to the default address.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("requester_agent_id", "requester_agency_id", "request_base_url")

export = sa.table(
    "export",
    sa.column("requester_email", sa.String),
    sa.column("scope", sa.String),
    sa.column("requester_agent_id", sa.String),
    sa.column("requester_agency_id", sa.String),
)
user = sa.table(
    "user",
    sa.column("email", sa.String),
    sa.column("role", sa.Enum("AGENT", "AGENCY_ADMIN", name="role")),
    sa.column("agent_id", sa.String),
    sa.column("agency_id", sa.String),
)


def upgrade() -> None:
    with op.batch_alter_table("export", schema=None) as batch_op:
        for name in COLUMNS:
            batch_op.add_column(sa.Column(name, sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    _fill("AGENT", "AGENT", export.c.requester_agent_id, user.c.agent_id)
    _fill("AGENCY", "AGENCY_ADMIN", export.c.requester_agency_id, user.c.agency_id)


def _fill(scope: str, role: str, column: sa.Column, standing: sa.Column) -> None:
    """Record the current standing of each `scope` export's requester, if it still has `role`."""
    current = (
        sa.select(standing)
        .where(user.c.email == export.c.requester_email, user.c.role == role)
        .scalar_subquery()
    )
    op.execute(export.update().where(export.c.scope == scope).values({column.name: current}))


def downgrade() -> None:
    with op.batch_alter_table("export", schema=None) as batch_op:
        for name in reversed(COLUMNS):
            batch_op.drop_column(name)
