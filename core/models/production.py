"""Carrier production: one row per policy (tenant, carrier, carrier policy id), and the carrier
reports that load them, with their rejected rows.

The writing agent's NPN is stored, never the agent: NPNs are matched to agents at read time, and
only among the agents of the policy's tenant, so a moved agent's production moves with it within
its tenant (docs/domain.md).
"""

import uuid
from datetime import date, datetime

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from downline.core.models.base import utcnow


def new_id() -> str:
    return str(uuid.uuid4())


# `Policy.tenant_id` of the rows the operator holds (an operator's ingest whose NPN matched no
# agent): visible to nobody. A value rather than NULL, so that the natural key is a plain unique
# constraint, which ON CONFLICT names alike on PostgreSQL and SQLite.
HELD_BY_OPERATOR = ""


class Policy(SQLModel, table=True):
    # The keyset-order index (tenant_id, updated_at DESC, id) is made by the migration.
    __table_args__ = (
        UniqueConstraint("tenant_id", "carrier", "carrier_policy_id", name="uq_policy_natural_key"),
        Index("ix_policy_npn_effective", "agent_npn", "effective_date"),
        # Effectuation finds an application's policies by person, within its tenant.
        Index("ix_policy_person", "tenant_id", "last_name_key", "date_of_birth"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    # The top agency whose tenant holds the policy, or HELD_BY_OPERATOR. No foreign key: the
    # operator's value is no agency.
    tenant_id: str = Field(max_length=64)
    carrier: str  # the carrier plugin's key
    carrier_policy_id: str
    agent_npn: str = Field(max_length=10)
    owner_agency_id: str | None = Field(default=None, foreign_key="agency.id", index=True)
    plan_id: str | None = None
    plan_name: str | None = None
    product_type: str = Field(index=True)
    client_name: str
    # The member's last name as effectuation matches it (core/production/naming.py), stored at
    # write time so that an application finds its policies by one indexed join.
    last_name_key: str | None = None
    member_id: str | None = None
    date_of_birth: date | None = None  # stored, never shown unmasked
    county: str | None = None
    state: str | None = Field(default=None, index=True)
    status: str = Field(index=True)
    term_reason: str | None = None
    source_status: str | None = None
    submitted_date: date | None = None
    effective_date: date | None = Field(default=None, index=True)
    term_date: date | None = None
    first_seen_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)  # last change of a tracked field
    # The as-of date of the newest report that listed it: a report that lists it unchanged still
    # moves it (the carrier still knows the policy), an older report never moves it back.
    last_seen_as_of: date
    # The report that last wrote it (changed it, or listed it as of a newer date). No foreign
    # key: see migration 0004.
    report_id: str | None = None


class CarrierReport(SQLModel, table=True):
    """One uploaded carrier file, moved forward by a worker (QUEUED -> PROCESSING -> done)."""

    __tablename__ = "carrier_report"
    __table_args__ = (Index("ix_carrier_report_history", "uploaded_at", "id"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    carrier: str | None = None  # as given, or as sniffed
    filename: str
    storage_key: str
    as_of: date
    status: str = Field(default="QUEUED", index=True)
    uploader_email: str | None = Field(default=None, index=True)  # None: the operator's CLI
    uploader_agency_id: str | None = Field(default=None, foreign_key="agency.id", index=True)
    rows_read: int = 0
    rows_inserted: int = 0
    rows_updated: int = 0
    rows_unchanged: int = 0
    rows_rejected: int = 0
    unmatched_npns: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    error: str | None = None
    uploaded_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    heartbeat_at: datetime | None = None
    # When the sweep last sent a message for the job (None: only the API's, sent as the row is
    # committed, so its request time stands for it). The sweep sends a waiting job again only
    # once that is older than DOWNLINE_JOB_STALE_SECONDS (core/sweeping.py).
    sent_at: datetime | None = None
    attempts: int = 0


class ReportRowError(SQLModel, table=True):
    __tablename__ = "carrier_report_error"
    id: int | None = Field(default=None, primary_key=True)
    report_id: str = Field(foreign_key="carrier_report.id", index=True, ondelete="CASCADE")
    line: int
    message: str
