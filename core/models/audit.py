"""The audit trail: one row per action that changed something or took data out, or was refused
(docs/domain.md, Audit). Never updated or deleted."""

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from downline.core.models.base import utcnow
from downline.core.models.production import new_id


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_order", "at", "id"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    at: datetime = Field(default_factory=utcnow)
    # The user, "operator" for the operator's commands, None when no user was identified.
    actor_email: str | None = Field(default=None, index=True)
    actor_agency_id: str | None = Field(default=None, index=True)  # the actor's agency then
    action: str  # export_requested, report_uploaded, exports_switched, book_loaded, ...
    outcome: str  # ok (with counts where there are some), or the reason refused or failed
    # What it was done to: ids kept as plain values (no foreign keys), so an event outlives
    # what it names and records ids that named nothing.
    export_id: str | None = None
    report_id: str | None = None
    target_agency_id: str | None = None  # an agency acted on: its exports switch
    detail: str | None = None  # the words that go with it: a file name, a message, on/off
