"""Users: an agent user (linked to one agent) or an agency admin (linked to one agency)."""

import enum

from sqlmodel import Field, SQLModel


class Role(enum.StrEnum):
    AGENT = "agent"
    AGENCY_ADMIN = "agency_admin"


class User(SQLModel, table=True):
    email: str = Field(primary_key=True)  # lower-cased
    role: Role
    agent_id: str | None = Field(default=None, foreign_key="agent.id", index=True)
    agency_id: str | None = Field(default=None, foreign_key="agency.id", index=True)
