"""Clients (one application/enrollment: a row of the Clients page) and their follow-up lists.

Only the last four SSN digits are kept: nothing downline shows ever needs more (the API shows
"***-**-1234", exports mask the whole value), so the rest is never stored at all.
AOR-at-risk and Invalid Action are flattened into columns because lists and exports filter on them;
follow-ups, DMIs and SVIs are child tables because exports list one row per item.
"""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Column, Index, Numeric
from sqlmodel import Field, SQLModel

from downline.core.models.base import utcnow

MONEY = Numeric(12, 2)


class Client(SQLModel, table=True):
    # The keyset-order indexes (submitted_at DESC NULLS LAST, id) are made by the migration, which
    # spells them per dialect.
    __table_args__ = (
        # Effectuation: a policy finds the applications of its person (withoutApplication).
        Index("ix_client_person", "last_name_key", "date_of_birth"),
    )

    id: str = Field(primary_key=True, max_length=64)
    agent_id: str = Field(foreign_key="agent.id")
    first_name: str
    last_name: str
    # What effectuation matches on (core/production/naming.py), stored at write time: the last
    # name's key, and the carrier as written, normalised (matched to carrier plugins at read
    # time, so installing one changes the answers at once).
    last_name_key: str | None = None
    carrier_name_key: str | None = Field(default=None, index=True)
    email: str | None = None
    phone: str | None = None
    phone_digits: str | None = None  # phone reduced to digits, for search
    ssn_last4: str | None = Field(default=None, max_length=4)
    date_of_birth: date | None = None
    household_income: Decimal | None = Field(default=None, sa_column=Column(MONEY))
    state: str = Field(index=True, max_length=2)
    county: str | None = None
    zip: str | None = None
    exchange: str = Field(index=True)  # on_ex | off_ex
    application_id: str | None = Field(default=None, index=True)
    plan_year: int | None = None
    carrier: str | None = None
    plan_name: str | None = None
    plan_hios_id: str | None = None
    metal_level: str | None = None
    premium: Decimal | None = Field(default=None, sa_column=Column(MONEY))
    aptc: Decimal | None = Field(default=None, sa_column=Column(MONEY))
    members: int | None = None
    application_status: str
    submitted_at: datetime | None = None
    effective_date: date | None = None
    archived: bool = False
    ede_permission_lost_at: datetime | None = Field(default=None, index=True)
    last_synced_at: datetime | None = None
    aor_reason: str | None = None
    aor_since: date | None = None
    aor_current_agent_npn: str | None = None
    aor_at_risk: bool = Field(default=False, index=True)
    ia_error_at: datetime | None = None
    ia_resume_link: str | None = None
    ia_resumed: bool | None = None
    ia_three_way_call_completed: bool = False
    invalid_action: bool = Field(default=False, index=True)
    intake_link: str | None = None
    created_at: datetime = Field(default_factory=utcnow)


class ClientFollowUp(SQLModel, table=True):
    __tablename__ = "client_follow_up"
    id: int | None = Field(default=None, primary_key=True)
    client_id: str = Field(foreign_key="client.id", index=True, ondelete="CASCADE")
    type: str
    due_date: date | None = None
    note: str | None = None
    done: bool = False


class ClientVerification(SQLModel, table=True):
    """A Data Matching Issue (kind "dmi") or SEP Verification Issue (kind "svi")."""

    __tablename__ = "client_verification"
    id: int | None = Field(default=None, primary_key=True)
    client_id: str = Field(foreign_key="client.id", index=True, ondelete="CASCADE")
    kind: str  # dmi | svi
    type: str
    due_date: date | None = Field(default=None, index=True)
    status: str | None = None
