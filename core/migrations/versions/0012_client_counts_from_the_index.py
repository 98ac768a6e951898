"""clients: the Clients list's counts answered from its agent index alone

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 15:00:00

Counting an agency's clients (the Clients page's totalCount, an export's rowsTotal) read one heap
page per client: a book's clients are spread over the whole table, so a sub-agency's 109,000
clients on a 1M-client table took 160,000 page reads and 1.2 s of a database CPU, the same
again as the export's own rows. `ix_client_agent_order` now carries the columns the list filters
on by default (archived, three-way call, exchange, state), so that such a count is an index-only
scan (73 ms). PostgreSQL takes them as INCLUDE columns; SQLite, which has no INCLUDE, as trailing
key columns, which leave the order as it was (id is unique).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_client_agent_order"
FILTERED = ["archived", "ia_three_way_call_completed", "exchange", "state"]


def upgrade() -> None:
    op.drop_index(INDEX, table_name="client")
    if _sqlite():
        op.create_index(INDEX, "client", ["agent_id", _submitted_desc(), "id", *FILTERED])
    else:
        order = ["agent_id", _submitted_desc(), "id"]
        op.create_index(INDEX, "client", order, postgresql_include=FILTERED)


def downgrade() -> None:
    op.drop_index(INDEX, table_name="client")
    op.create_index(INDEX, "client", ["agent_id", _submitted_desc(), "id"])


def _sqlite() -> bool:
    return op.get_context().dialect.name == "sqlite"


def _submitted_desc() -> sa.TextClause:
    # SQLite puts NULLs last in a DESC order by itself and refuses NULLS LAST in an index.
    return sa.text("submitted_at DESC" if _sqlite() else "submitted_at DESC NULLS LAST")
