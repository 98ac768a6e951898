"""book of business

Revision ID: 0001
Revises:
Create Date: 2026-11-27 11:17:01.244510
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "agency",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("npn", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
        sa.Column("parent_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("exports_allowed_for_agents", sa.Boolean(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["agency.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("agency", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agency_parent_id"), ["parent_id"], unique=False)

    op.create_table(
        "agency_closure",
        sa.Column("ancestor_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("descendant_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("depth", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ancestor_id"],
            ["agency.id"],
        ),
        sa.ForeignKeyConstraint(
            ["descendant_id"],
            ["agency.id"],
        ),
        sa.PrimaryKeyConstraint("ancestor_id", "descendant_id"),
    )
    with op.batch_alter_table("agency_closure", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_agency_closure_descendant_id"), ["descendant_id"], unique=False
        )

    op.create_table(
        "agent",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("npn", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("phone", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("agency_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agency.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("npn"),
    )
    with op.batch_alter_table("agent", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agent_agency_id"), ["agency_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_agent_name"), ["name"], unique=False)

    op.create_table(
        "client",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("agent_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("first_name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("last_name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("phone", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("phone_digits", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("ssn_last4", sqlmodel.sql.sqltypes.AutoString(length=4), nullable=True),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("household_income", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
        sa.Column("county", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("zip", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("exchange", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("application_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("plan_year", sa.Integer(), nullable=True),
        sa.Column("carrier", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("plan_name", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("plan_hios_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("metal_level", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("premium", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("aptc", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("members", sa.Integer(), nullable=True),
        sa.Column("application_status", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("submitted_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("effective_date", sa.Date(), nullable=True),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("ede_permission_lost_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("last_synced_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("aor_reason", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("aor_since", sa.Date(), nullable=True),
        sa.Column("aor_current_agent_npn", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("aor_at_risk", sa.Boolean(), nullable=False),
        sa.Column("ia_error_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("ia_resume_link", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("ia_resumed", sa.Boolean(), nullable=True),
        sa.Column("ia_three_way_call_completed", sa.Boolean(), nullable=False),
        sa.Column("invalid_action", sa.Boolean(), nullable=False),
        sa.Column("intake_link", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["agent.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("client", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_client_aor_at_risk"), ["aor_at_risk"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_client_application_id"), ["application_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_client_ede_permission_lost_at"), ["ede_permission_lost_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_client_exchange"), ["exchange"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_client_invalid_action"), ["invalid_action"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_client_state"), ["state"], unique=False)

    op.create_table(
        "lead",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("agent_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("first_name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("last_name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("phone", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("phone_digits", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("zip", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("notes", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["agent.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("lead", schema=None) as batch_op:
        batch_op.create_index("ix_lead_agent_order", ["agent_id", "created_at", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_lead_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_lead_status"), ["status"], unique=False)

    op.create_table(
        "user",
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("role", sa.Enum("AGENT", "AGENCY_ADMIN", name="role"), nullable=False),
        sa.Column("agent_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("agency_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agency.id"],
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["agent.id"],
        ),
        sa.PrimaryKeyConstraint("email"),
    )
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_agency_id"), ["agency_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_user_agent_id"), ["agent_id"], unique=False)

    # Keyset order of the Clients page: last submission first (nulls last), then id. SQLite
    # puts NULLs last in a DESC order by itself and refuses NULLS LAST in an index.
    nulls_last = "" if op.get_context().dialect.name == "sqlite" else " NULLS LAST"
    submitted_desc = sa.text(f"submitted_at DESC{nulls_last}")
    op.create_index("ix_client_order", "client", [submitted_desc, "id"])
    op.create_index("ix_client_agent_order", "client", ["agent_id", submitted_desc, "id"])

    op.create_table(
        "client_follow_up",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("type", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("client_follow_up", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_client_follow_up_client_id"), ["client_id"], unique=False
        )

    op.create_table(
        "client_verification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("type", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("client_verification", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_client_verification_client_id"), ["client_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_client_verification_due_date"), ["due_date"], unique=False
        )

    op.create_table(
        "payout",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("agent_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("client_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("consent_uploaded", sa.Boolean(), nullable=True),
        sa.Column("submitted_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("program", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("paid_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["agent.id"],
        ),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["client.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("payout", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payout_agent_id"), ["agent_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_payout_client_id"), ["client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_payout_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_payout_paid_at"), ["paid_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("payout", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payout_paid_at"))
        batch_op.drop_index(batch_op.f("ix_payout_kind"))
        batch_op.drop_index(batch_op.f("ix_payout_client_id"))
        batch_op.drop_index(batch_op.f("ix_payout_agent_id"))

    op.drop_table("payout")
    with op.batch_alter_table("client_verification", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_client_verification_due_date"))
        batch_op.drop_index(batch_op.f("ix_client_verification_client_id"))

    op.drop_table("client_verification")
    with op.batch_alter_table("client_follow_up", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_client_follow_up_client_id"))

    op.drop_table("client_follow_up")
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_agent_id"))
        batch_op.drop_index(batch_op.f("ix_user_agency_id"))

    op.drop_table("user")
    with op.batch_alter_table("lead", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lead_status"))
        batch_op.drop_index(batch_op.f("ix_lead_created_at"))
        batch_op.drop_index("ix_lead_agent_order")

    op.drop_table("lead")
    with op.batch_alter_table("client", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_client_state"))
        batch_op.drop_index(batch_op.f("ix_client_invalid_action"))
        batch_op.drop_index(batch_op.f("ix_client_exchange"))
        batch_op.drop_index(batch_op.f("ix_client_ede_permission_lost_at"))
        batch_op.drop_index(batch_op.f("ix_client_application_id"))
        batch_op.drop_index(batch_op.f("ix_client_aor_at_risk"))

    op.drop_table("client")
    with op.batch_alter_table("agent", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agent_name"))
        batch_op.drop_index(batch_op.f("ix_agent_agency_id"))

    op.drop_table("agent")
    with op.batch_alter_table("agency_closure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agency_closure_descendant_id"))

    op.drop_table("agency_closure")
    with op.batch_alter_table("agency", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agency_parent_id"))

    op.drop_table("agency")
