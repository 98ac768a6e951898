"""Exports: a row moved forward by a worker (QUEUED -> PROCESSING -> SUCCEEDED | FAILED)."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from downline.core.models.base import utcnow
from downline.core.models.production import new_id


class Export(SQLModel, table=True):
    __table_args__ = (Index("ix_export_history", "requester_email", "requested_at", "id"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    type: str  # the export type's key
    scope: str  # AGENT | AGENCY
    params: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    requester_email: str
    # Where the requester stood when asking: its agent (agent users) or its agency (admins). The
    # export is the requester's only while it still stands there (core/exports/access.py).
    requester_agent_id: str | None = None
    requester_agency_id: str | None = None
    # The address the request came to (scheme, host, port), for the emailed link when
    # DOWNLINE_PUBLIC_URL is unset; None when it came from no address (the CLI).
    request_base_url: str | None = None
    status: str = Field(default="QUEUED", index=True)
    rows_written: int = 0
    rows_total: int | None = None
    row_count: int | None = None
    byte_size: int | None = None
    sha256: str | None = None
    storage_key: str | None = None
    error: str | None = None
    requested_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    heartbeat_at: datetime | None = None
    # When the sweep last sent a message for the job (None: only the API's, sent as the row is
    # committed, so its request time stands for it). The sweep sends a waiting job again only
    # once that is older than DOWNLINE_JOB_STALE_SECONDS (core/sweeping.py).
    sent_at: datetime | None = None
    attempts: int = 0
    file_deleted_at: datetime | None = None
