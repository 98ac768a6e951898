"""client, policy: the keys effectuation matches on

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 19:00:00

An application is matched to carrier policies by the normalised last name, the date of birth and
the state, and its free-text carrier to a carrier plugin (docs/domain.md, "Effectuation"). The
normalisation (accents folded, case and everything but letters and digits left out) is Python's
(core/production/naming.py), so it is stored at write time rather than spelled in two SQL
dialects: `client.last_name_key`, `client.carrier_name_key`, `policy.last_name_key`, with the
indexes that make the match one join (`ix_policy_person` from an application, `ix_client_person`
from a policy) and the one that lists the distinct carrier names (`ix_client_carrier_name_key`).

Existing rows are filled here, in batches, by the same functions. A policy stored before knew its
member only as "First Last": its last name is taken as everything after the first space (a
compound last name keeps its words); the next report of its carrier stores the exact key.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from downline.core.production.naming import last_name_key, last_name_of, normalised

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 10_000

client = sa.table(
    "client",
    sa.column("id", sa.String),
    sa.column("last_name", sa.String),
    sa.column("carrier", sa.String),
    sa.column("last_name_key", sa.String),
    sa.column("carrier_name_key", sa.String),
)
policy = sa.table(
    "policy",
    sa.column("id", sa.String),
    sa.column("client_name", sa.String),
    sa.column("last_name_key", sa.String),
)


def upgrade() -> None:
    with op.batch_alter_table("client", schema=None) as batch_op:
        for name in ("last_name_key", "carrier_name_key"):
            batch_op.add_column(sa.Column(name, sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    with op.batch_alter_table("policy", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("last_name_key", sqlmodel.sql.sqltypes.AutoString(), nullable=True)
        )
    _fill(
        client,
        (client.c.last_name, client.c.carrier),
        lambda last, carrier: {"k1": last_name_key(last), "k2": normalised(carrier)},
        {"last_name_key": "k1", "carrier_name_key": "k2"},
    )
    _fill(
        policy,
        (policy.c.client_name,),
        lambda name: {"k1": last_name_key(last_name_of(name))},
        {"last_name_key": "k1"},
    )
    op.create_index("ix_client_person", "client", ["last_name_key", "date_of_birth"])
    op.create_index("ix_client_carrier_name_key", "client", ["carrier_name_key"])
    op.create_index("ix_policy_person", "policy", ["tenant_id", "last_name_key", "date_of_birth"])


def _fill(table, sources, keys, columns: dict[str, str]) -> None:
    """Set `columns` (column: bind name) of every row from `keys(*sources)`, BATCH rows at a
    time in id order (keyset, so each batch is one index range)."""
    conn = op.get_bind()
    update = (
        table.update()
        .where(table.c.id == sa.bindparam("row_id"))
        .values({column: sa.bindparam(bind) for column, bind in columns.items()})
    )
    last = ""
    while True:
        rows = conn.execute(
            sa.select(table.c.id, *sources)
            .where(table.c.id > last)
            .order_by(table.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        conn.execute(update, [{"row_id": row[0], **keys(*row[1:])} for row in rows])
        last = rows[-1][0]


def downgrade() -> None:
    op.drop_index("ix_policy_person", "policy")
    op.drop_index("ix_client_carrier_name_key", "client")
    op.drop_index("ix_client_person", "client")
    with op.batch_alter_table("policy", schema=None) as batch_op:
        batch_op.drop_column("last_name_key")
    with op.batch_alter_table("client", schema=None) as batch_op:
        batch_op.drop_column("carrier_name_key")
        batch_op.drop_column("last_name_key")
