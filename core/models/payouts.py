"""Payouts: Enrollee Assistance Program (eap) submissions and program bonuses."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Column, Numeric
from sqlmodel import Field, SQLModel


class Payout(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=64)
    kind: str = Field(index=True)  # eap | program
    agent_id: str = Field(foreign_key="agent.id", index=True)
    client_id: str | None = Field(default=None, foreign_key="client.id", index=True)
    amount: Decimal = Field(sa_column=Column(Numeric(12, 2), nullable=False))
    consent_uploaded: bool | None = None
    submitted_at: datetime | None = None
    program: str | None = None
    paid_at: datetime | None = Field(default=None, index=True)
