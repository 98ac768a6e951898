"""Agencies, their closure table, and agents (docs/domain.md)."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from downline.core.models.base import utcnow


class Agency(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=64)
    name: str
    npn: str | None = Field(default=None, max_length=10)
    parent_id: str | None = Field(default=None, foreign_key="agency.id", index=True)
    exports_allowed_for_agents: bool = True
    created_at: datetime = Field(default_factory=utcnow)


class AgencyClosure(SQLModel, table=True):
    """One row per (ancestor, descendant) pair, including each agency with itself at depth 0,
    so "everything below X" is one indexed join whatever the depth."""

    __tablename__ = "agency_closure"
    ancestor_id: str = Field(foreign_key="agency.id", primary_key=True)
    descendant_id: str = Field(foreign_key="agency.id", primary_key=True, index=True)
    depth: int


class Agent(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(index=True)
    npn: str = Field(unique=True, max_length=10)
    email: str | None = None
    phone: str | None = None
    agency_id: str = Field(foreign_key="agency.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
