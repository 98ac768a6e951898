"""Carrier reports in the API: carriers, the upload, the history and the live status."""

from collections.abc import AsyncGenerator
from datetime import date, datetime
from enum import Enum
from typing import BinaryIO

import anyio.to_thread
import strawberry
from sqlalchemy import select
from strawberry.file_uploads import Upload
from strawberry.types import Info

from downline.core import models, plugins
from downline.core.book.paging import Key
from downline.core.carriers import run as ingesting
from downline.core.carriers import uploads
from downline.core.carriers.parsers import CarrierParser
from downline.core.config import get_settings
from downline.core.errors import BadUserInput
from downline.core.models import CarrierReport as ReportRow
from downline.core.models import ReportRowError
from downline.core.production import freshness
from downline.core.production.vocabulary import ProductType
from downline.core.storage import get_storage
from downline.schema.context import run
from downline.schema.follow import follow
from downline.schema.production import ProductTypeEnum
from downline.schema.relay import Connection, Node, list_connection

HISTORY_ORDER = (
    Key(ReportRow.uploaded_at, descending=True, kind=datetime),
    Key(ReportRow.id, descending=True),
)


@strawberry.enum
class ReportStatus(Enum):
    QUEUED = "QUEUED"
    PROCESSING = "PROCESSING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


@strawberry.type
class Carrier:
    key: str
    name: str
    product_types: list[ProductTypeEnum]
    aliases: list[str] = strawberry.field(
        description="Other names the carrier goes by on applications."
    )

    @classmethod
    def from_parser(cls, parser: CarrierParser) -> "Carrier":
        return cls(
            key=parser.key,
            name=parser.name,
            product_types=[ProductType(t) for t in parser.product_types],
            aliases=list(parser.aliases),
        )


@strawberry.type
class CarrierFreshness:
    carrier: Carrier
    last_report_as_of: date | None = strawberry.field(
        description="Newest as-of of a SUCCEEDED report the viewer may see."
    )
    last_uploaded_at: datetime | None = strawberry.field(
        description="When the latest of those reports was uploaded."
    )
    policies: int = strawberry.field(description="In the viewer's scope.")
    not_seen_in_last_report: int = strawberry.field(
        description="In scope, lastSeenAsOf before lastReportAsOf."
    )
    stale: bool = strawberry.field(
        description="No report as of within DOWNLINE_CARRIER_STALE_DAYS before today."
    )


@strawberry.type(name="RowError")
class ReportError:
    line: int
    message: str


@strawberry.type
class CarrierReport(Node):
    id: strawberry.ID
    carrier: str | None
    filename: str
    status: ReportStatus
    rows_read: int
    rows_inserted: int
    rows_updated: int
    rows_unchanged: int
    rows_rejected: int
    unmatched_npns: list[str]
    error: str | None
    uploaded_at: datetime
    finished_at: datetime | None

    @classmethod
    def from_row(cls, row: ReportRow) -> "CarrierReport":
        return cls(
            id=strawberry.ID(row.id),
            carrier=row.carrier,
            filename=row.filename,
            status=ReportStatus(row.status),
            rows_read=row.rows_read,
            rows_inserted=row.rows_inserted,
            rows_updated=row.rows_updated,
            rows_unchanged=row.rows_unchanged,
            rows_rejected=row.rows_rejected,
            unmatched_npns=list(row.unmatched_npns),
            error=row.error,
            uploaded_at=row.uploaded_at,
            finished_at=row.finished_at,
        )

    @strawberry.field(description="The rejected rows, by line (the first 1000 are kept).")
    async def errors(self, first: int | None = 100) -> list[ReportError]:
        rows = await run(_errors, self.id, min(max(first or 0, 0), ingesting.MAX_STORED_ERRORS))
        return [ReportError(line=r.line, message=r.message) for r in rows]


def _errors(session, report_id: str, first: int) -> list[ReportRowError]:
    query = select(ReportRowError).where(ReportRowError.report_id == report_id)
    return list(
        session.scalars(query.order_by(ReportRowError.line, ReportRowError.id).limit(first))
    )


def visible_report(session, principal, report_id: str) -> ReportRow | None:
    query = ingesting.visible_reports(principal).where(ReportRow.id == report_id)
    return session.scalars(query).first()


@strawberry.type
class ReportQuery:
    @strawberry.field
    def carriers(self) -> list[Carrier]:
        return [Carrier.from_parser(p) for p in plugins.installed_parsers().values()]

    @strawberry.field(description="One per installed carrier, for the viewer's scope.")
    async def carrier_freshness(self, info: Info) -> list[CarrierFreshness]:
        parsers = plugins.installed_parsers()
        rows = await run(freshness.carrier_freshness, info.context.principal, list(parsers))
        return [
            CarrierFreshness(
                carrier=Carrier.from_parser(parsers[row.carrier]),
                last_report_as_of=row.last_report_as_of,
                last_uploaded_at=row.last_uploaded_at,
                policies=row.policies,
                not_seen_in_last_report=row.not_seen_in_last_report,
                stale=row.stale,
            )
            for row in rows
        ]

    @strawberry.field
    async def carrier_reports(
        self, info: Info, first: int | None = 50, after: str | None = None
    ) -> Connection[CarrierReport]:
        query = ingesting.visible_reports(info.context.principal)
        return await list_connection(
            info, query, HISTORY_ORDER, CarrierReport.from_row, first, after
        )


@strawberry.type
class ReportMutation:
    @strawberry.mutation(
        description="asOf: the day statuses are inferred for (default today, UTC)."
    )
    async def upload_carrier_report(
        self, info: Info, file: Upload, carrier: str | None = None, as_of: date | None = None
    ) -> CarrierReport:
        try:
            filename, stream = _uploaded(file)
        except BadUserInput as refusal:
            name = getattr(file, "filename", None)
            await run(uploads.refuse_upload, info.context.principal, refusal, name)
            raise
        row = await run(_create, info.context.principal, filename, stream, carrier, as_of)
        # A send can block on a sick broker: never on the event loop.
        await anyio.to_thread.run_sync(info.context.queue.send_report, row)
        return CarrierReport.from_row(row)


def _uploaded(file: object) -> tuple[str, BinaryIO]:
    """The upload's file name and stream. Anything else given as `file` (a JSON value, or a
    multipart part without a file name, which arrives as text), or a file name holding NUL, is
    the caller's mistake."""
    stream = getattr(file, "file", None)
    if not callable(getattr(stream, "read", None)):
        raise BadUserInput(
            "file must be a file part of a multipart request, with a file name "
            "(the GraphQL multipart request spec)",
            field="file",
        )
    filename = getattr(file, "filename", None) or "report"
    if "\x00" in filename:  # no stored text holds one (PostgreSQL cannot)
        raise BadUserInput("the file name may not contain the NUL character (U+0000)", field="file")
    return filename, stream


def _create(session, principal, filename, stream, carrier, as_of) -> models.CarrierReport:
    return uploads.create_report(
        session,
        get_storage(get_settings()),
        principal,
        filename=filename,
        stream=stream,
        carrier=carrier,
        as_of=as_of,
        parsers=plugins.installed_parsers(),
        limit=get_settings().max_active_jobs_per_user,
    )


@strawberry.type
class ReportSubscription:
    @strawberry.subscription(description="The report's state at once, then every change.")
    async def carrier_report_updates(
        self, info: Info, id: strawberry.ID
    ) -> AsyncGenerator[CarrierReport, None]:
        async for report in follow(
            ReportRow, visible_report, info.context.principal, "report", id, CarrierReport.from_row
        ):
            yield report
