"""Leads (a row of the Leads page)."""

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel


class Lead(SQLModel, table=True):
    __table_args__ = (Index("ix_lead_agent_order", "agent_id", "created_at", "id"),)

    id: str = Field(primary_key=True, max_length=64)
    agent_id: str = Field(foreign_key="agent.id")
    first_name: str
    last_name: str
    email: str | None = None
    phone: str | None = None
    phone_digits: str | None = None  # phone reduced to digits, for search
    state: str | None = None
    zip: str | None = None
    source: str | None = None
    status: str = Field(index=True)
    created_at: datetime = Field(index=True)
    notes: str | None = None
