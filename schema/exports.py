"""Exports in the API: the catalogue with its legend, the request, the history, one export, its
live status, and the audit trail."""

from collections.abc import AsyncGenerator
from datetime import datetime
from enum import Enum
from functools import partial

import anyio.to_thread
import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from downline.core import audit, plugins
from downline.core import models as m
from downline.core.book.paging import Key
from downline.core.config import get_settings
from downline.core.exports import access as export_access
from downline.core.exports import links
from downline.core.exports import run as exporting
from downline.core.exports.types import ExportScope
from downline.schema.context import run
from downline.schema.follow import follow
from downline.schema.relay import Connection, Node, list_connection

ExportScopeEnum = strawberry.enum(ExportScope, name="ExportScope")
HISTORY_ORDER = (
    Key(m.Export.requested_at, descending=True, kind=datetime),
    Key(m.Export.id, descending=True),
)
AUDIT_ORDER = (
    Key(m.AuditEvent.at, descending=True, kind=datetime),
    Key(m.AuditEvent.id, descending=True),
)


@strawberry.enum
class ExportStatus(Enum):
    QUEUED = "QUEUED"
    PROCESSING = "PROCESSING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


@strawberry.type
class ExportParameter:
    name: str
    type: str
    required: bool
    default: JSON | None
    description: str


@strawberry.type
class ExportColumn:
    name: str
    description: str
    pii: bool


@strawberry.type
class ExportType:
    key: str = strawberry.field(description='e.g. "clients", "enrollments", "agent_roster".')
    title: str
    scopes: list[ExportScopeEnum]
    description: str
    parameters: list[ExportParameter]
    columns: list[ExportColumn] = strawberry.field(description="The export legend.")

    @classmethod
    def of(cls, t) -> "ExportType":
        return cls(
            key=t.key,
            title=t.title,
            scopes=list(t.scopes),
            description=t.description,
            parameters=[
                ExportParameter(
                    name=p.name,
                    type=p.type,
                    required=p.required,
                    default=p.default,
                    description=p.description,
                )
                for p in t.parameters
            ],
            columns=[
                ExportColumn(name=c.name, description=c.description, pii=c.pii is not None)
                for c in t.columns
            ],
        )


@strawberry.type
class Export(Node):
    id: strawberry.ID
    scope: ExportScopeEnum
    params: JSON
    status: ExportStatus
    rows_written: int
    rows_total: int | None = strawberry.field(description="When known.")
    row_count: int | None = strawberry.field(description="Set when SUCCEEDED.")
    byte_size: int | None
    error: str | None = strawberry.field(description="Set when FAILED, a message for the user.")
    requested_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    file_deleted_at: datetime | None = strawberry.field(
        description="Set when the file was deleted: by the retention sweep, or found missing."
    )
    type_key: strawberry.Private[str]
    requester: strawberry.Private[str]

    @classmethod
    def from_row(cls, row: m.Export) -> "Export":
        return cls(
            id=strawberry.ID(row.id),
            scope=ExportScope(row.scope),
            params=row.params,
            status=ExportStatus(row.status),
            rows_written=row.rows_written,
            rows_total=row.rows_total,
            row_count=row.row_count,
            byte_size=row.byte_size,
            error=row.error,
            requested_at=row.requested_at,
            started_at=row.started_at,
            finished_at=row.finished_at,
            file_deleted_at=row.file_deleted_at,
            type_key=row.type,
            requester=row.requester_email,
        )

    @strawberry.field
    def type(self) -> ExportType:
        return ExportType.of(plugins.installed_export_types()[self.type_key])

    async def _link(self, info: Info) -> links.Link | None:
        if self.status != ExportStatus.SUCCEEDED or self.file_deleted_at is not None:
            return None
        # Listed without a link while the requester's agency switches its exports off.
        if not await info.context.loaders.downloads_allowed.load(self.requester):
            return None
        return links.mint(get_settings(), self.id, self.requester, request_base_url(info))

    @strawberry.field(
        description="When SUCCEEDED and the file is kept: a fresh signed link. Null while the "
        "requester's agency switches its agents' exports off."
    )
    async def download_url(self, info: Info) -> str | None:
        link = await self._link(info)
        return link.url if link else None

    @strawberry.field
    async def link_expires_at(self, info: Info) -> datetime | None:
        link = await self._link(info)
        return link.expires_at if link else None


@strawberry.type
class AuditEvent(Node):
    id: strawberry.ID
    at: datetime
    actor_email: str | None = strawberry.field(
        description='Null when no user was identified; "operator" for the operator\'s commands.'
    )
    action: str
    export_id: strawberry.ID | None
    outcome: str = strawberry.field(
        description="ok (with counts where there are some), or the reason refused or failed."
    )
    report_id: strawberry.ID | None = strawberry.field(description="The carrier report.")
    target_agency_id: strawberry.ID | None = strawberry.field(
        description="The agency acted on: the one whose exports switch was flipped."
    )
    detail: str | None = strawberry.field(
        description="The words that go with it (a file name, a failure's message, on or off), "
        "as given: text, never markup."
    )

    @classmethod
    def from_row(cls, row: m.AuditEvent) -> "AuditEvent":
        return cls(
            id=strawberry.ID(row.id),
            at=row.at,
            actor_email=row.actor_email,
            action=row.action,
            export_id=_id(row.export_id),
            outcome=row.outcome,
            report_id=_id(row.report_id),
            target_agency_id=_id(row.target_agency_id),
            detail=row.detail,
        )


def _id(value: str | None) -> strawberry.ID | None:
    return strawberry.ID(value) if value is not None else None


def request_base_url(info: Info) -> str:
    """The address this operation's request came to, as its client saw it (scheme, host and
    port, the Host header's), so a link in the answer leads back to the server that answered;
    a WebSocket's ws/wss is http/https for a link."""
    url = info.context.request.base_url
    return str(url.replace(scheme={"ws": "http", "wss": "https"}.get(url.scheme, url.scheme)))


@strawberry.input
class RequestExportInput:
    type: str
    params: JSON | None = None


@strawberry.type
class ExportQuery:
    @strawberry.field(description="The types of this viewer's role, even while exports are off.")
    def export_types(self, info: Info) -> list[ExportType]:
        types = exporting.types_for(info.context.principal, plugins.installed_export_types())
        return [ExportType.of(t) for t in types]

    @strawberry.field(description="The viewer's history, newest first.")
    async def exports(
        self, info: Info, first: int | None = 50, after: str | None = None
    ) -> Connection[Export]:
        query = export_access.visible_to(info.context.principal)
        return await list_connection(info, query, HISTORY_ORDER, Export.from_row, first, after)

    @strawberry.field
    async def export(self, info: Info, id: strawberry.ID) -> Export | None:
        row = await run(export_access.visible, info.context.principal, id)
        return Export.from_row(row) if row else None

    @strawberry.field(
        description="Agency admins: events of users in their downline; agents: their own."
    )
    async def audit_events(
        self, info: Info, first: int | None = 50, after: str | None = None
    ) -> Connection[AuditEvent]:
        query = audit.visible_events(info.context.principal)
        return await list_connection(info, query, AUDIT_ORDER, AuditEvent.from_row, first, after)


@strawberry.type
class ExportMutation:
    @strawberry.mutation
    async def request_export(self, info: Info, input: RequestExportInput) -> Export:
        row = await run(
            partial(exporting.request_export, limit=get_settings().max_active_jobs_per_user),
            info.context.principal,
            input.type,
            input.params,
            plugins.installed_export_types(),
            request_base_url(info),
        )
        # A send can block on a sick broker: never on the event loop.
        await anyio.to_thread.run_sync(info.context.queue.send_export, row)
        return Export.from_row(row)


@strawberry.type
class ExportSubscription:
    @strawberry.subscription(
        description="The export's current state at once, then every change, ending after a "
        "terminal state."
    )
    async def export_updates(self, info: Info, id: strawberry.ID) -> AsyncGenerator[Export, None]:
        async for export in follow(
            m.Export, export_access.visible, info.context.principal, "export", id, Export.from_row
        ):
            yield export
