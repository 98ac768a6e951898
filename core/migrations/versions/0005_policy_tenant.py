"""policy: the tenant in the natural key

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 10:00:00

A policy's natural key was (carrier, carrier policy id) across every tenant, so one tenant's upload
naming another tenant's policy id took that policy over. Policies now live inside a tenant (the
top agency above them): `policy.tenant_id`, and the key (tenant_id, carrier, carrier_policy_id).
The operator's rows that no agent holds have the tenant '' (held by the operator, seen by
nobody): a value, not NULL, so that the key stays a plain unique constraint for ON CONFLICT on
both databases.

Each existing row moves into the tenant of the agent its NPN matches; else into the tenant of the
agency that owns it (the uploader's; the report's uploader if the row names none); else it is
held by the operator. Production's keyset index leads with the tenant, which every read names.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HELD_BY_OPERATOR = ""

# The top agency above the agency `{agency}` names (a correlated SQL expression).
_TOP_OF = """(SELECT up.ancestor_id FROM agency_closure up
    JOIN agency top ON top.id = up.ancestor_id AND top.parent_id IS NULL
    WHERE up.descendant_id = {agency})"""

_BY_AGENT = _TOP_OF.format(
    agency="(SELECT a.agency_id FROM agent a WHERE a.npn = policy.agent_npn)"
)
_BY_OWNER = _TOP_OF.format(
    agency="COALESCE(policy.owner_agency_id,"
    " (SELECT r.uploader_agency_id FROM carrier_report r WHERE r.id = policy.report_id))"
)


def upgrade() -> None:
    op.add_column(
        "policy",
        sa.Column("tenant_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    )
    op.execute(f"UPDATE policy SET tenant_id = {_BY_AGENT}")
    op.execute(f"UPDATE policy SET tenant_id = {_BY_OWNER} WHERE tenant_id IS NULL")
    op.execute(
        sa.text("UPDATE policy SET tenant_id = :held WHERE tenant_id IS NULL").bindparams(
            held=HELD_BY_OPERATOR
        )
    )
    # Dropped before the batch: SQLite's batch mode would rebuild it from reflection, which
    # loses its DESC.
    op.drop_index("ix_policy_order", "policy")
    with op.batch_alter_table("policy") as batch_op:
        batch_op.alter_column(
            "tenant_id", existing_type=sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False
        )
        batch_op.drop_constraint("uq_policy_natural_key", type_="unique")
        batch_op.create_unique_constraint(
            "uq_policy_natural_key", ["tenant_id", "carrier", "carrier_policy_id"]
        )
    op.create_index("ix_policy_order", "policy", ["tenant_id", sa.text("updated_at DESC"), "id"])


def downgrade() -> None:
    shared = (
        op.get_bind()
        .execute(
            sa.text(
                "SELECT carrier, carrier_policy_id FROM policy"
                " GROUP BY carrier, carrier_policy_id HAVING count(*) > 1"
            )
        )
        .first()
    )
    if shared is not None:
        raise RuntimeError(
            f"cannot downgrade below 0005: policy {shared[1]!r} of {shared[0]} is held by more"
            " than one tenant, and the old key (carrier, carrier_policy_id) would have to drop"
            " all but one"
        )
    op.drop_index("ix_policy_order", "policy")
    with op.batch_alter_table("policy") as batch_op:
        batch_op.drop_constraint("uq_policy_natural_key", type_="unique")
        batch_op.create_unique_constraint("uq_policy_natural_key", ["carrier", "carrier_policy_id"])
        batch_op.drop_column("tenant_id")
    op.create_index("ix_policy_order", "policy", [sa.text("updated_at DESC"), "id"])
