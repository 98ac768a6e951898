"""carrier production

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 11:37:42.583183
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "carrier_report",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("carrier", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("filename", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("storage_key", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("uploader_email", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("uploader_agency_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("rows_inserted", sa.Integer(), nullable=False),
        sa.Column("rows_updated", sa.Integer(), nullable=False),
        sa.Column("rows_unchanged", sa.Integer(), nullable=False),
        sa.Column("rows_rejected", sa.Integer(), nullable=False),
        sa.Column("unmatched_npns", sa.JSON(), nullable=False),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("uploaded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("started_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("finished_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("heartbeat_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["uploader_agency_id"],
            ["agency.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("carrier_report", schema=None) as batch_op:
        batch_op.create_index("ix_carrier_report_history", ["uploaded_at", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_carrier_report_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_carrier_report_uploader_agency_id"), ["uploader_agency_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_carrier_report_uploader_email"), ["uploader_email"], unique=False
        )

    op.create_table(
        "carrier_report_error",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("message", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(["report_id"], ["carrier_report.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("carrier_report_error", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_carrier_report_error_report_id"), ["report_id"], unique=False
        )

    op.create_table(
        "policy",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("carrier", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("carrier_policy_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("agent_npn", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("owner_agency_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("plan_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("plan_name", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("product_type", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("client_name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("member_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("county", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("term_reason", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("source_status", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("submitted_date", sa.Date(), nullable=True),
        sa.Column("effective_date", sa.Date(), nullable=True),
        sa.Column("term_date", sa.Date(), nullable=True),
        sa.Column("first_seen_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("report_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_agency_id"],
            ["agency.id"],
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["carrier_report.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("carrier", "carrier_policy_id", name="uq_policy_natural_key"),
    )
    with op.batch_alter_table("policy", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_policy_carrier"), ["carrier"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_policy_effective_date"), ["effective_date"], unique=False
        )
        batch_op.create_index(
            "ix_policy_npn_effective", ["agent_npn", "effective_date"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_policy_owner_agency_id"), ["owner_agency_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_policy_product_type"), ["product_type"], unique=False)
        batch_op.create_index(batch_op.f("ix_policy_state"), ["state"], unique=False)
        batch_op.create_index(batch_op.f("ix_policy_status"), ["status"], unique=False)

    # Production's keyset order: last tracked change first, then id.
    op.create_index("ix_policy_order", "policy", [sa.text("updated_at DESC"), "id"])


def downgrade() -> None:
    with op.batch_alter_table("policy", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_policy_status"))
        batch_op.drop_index(batch_op.f("ix_policy_state"))
        batch_op.drop_index(batch_op.f("ix_policy_product_type"))
        batch_op.drop_index(batch_op.f("ix_policy_owner_agency_id"))
        batch_op.drop_index("ix_policy_order")
        batch_op.drop_index("ix_policy_npn_effective")
        batch_op.drop_index(batch_op.f("ix_policy_effective_date"))
        batch_op.drop_index(batch_op.f("ix_policy_carrier"))

    op.drop_table("policy")
    with op.batch_alter_table("carrier_report_error", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_carrier_report_error_report_id"))

    op.drop_table("carrier_report_error")
    with op.batch_alter_table("carrier_report", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_carrier_report_uploader_email"))
        batch_op.drop_index(batch_op.f("ix_carrier_report_uploader_agency_id"))
        batch_op.drop_index(batch_op.f("ix_carrier_report_status"))
        batch_op.drop_index("ix_carrier_report_history")

    op.drop_table("carrier_report")
