"""payouts_program_report: bonus dollars paid to the agency under a payouts program for a date
range, from its direct downline agents only (exports.md); earliest payment first."""

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from downline.plugins import (
    AGENCY_ONLY,
    WRITING_AGENT,
    ExportContext,
    ExportParameter,
    cell,
    export_type,
    models,
    provide,
    scoped_rows,
    writing_agent,
)

C = models.Client

P = models.Payout

PARAMETERS = (
    ExportParameter("paidFrom", "Date", True, None, "Paid on or after this day (UTC)."),
    ExportParameter("paidTo", "Date", True, None, "Paid on or before this day (UTC)."),
)

CELLS = (
    cell("payout_id", "downline's id of the payout.", P.id),
    cell("program", "The payouts program.", P.program),
    cell("paid_at", "When the bonus was paid (UTC).", P.paid_at, kind="datetime"),
    cell("amount", "The bonus paid.", P.amount, kind="money"),
    cell("client_id", "The client the bonus is for, if any.", P.client_id),
    cell("application_id", "That client's Marketplace application id.", C.application_id),
    *WRITING_AGENT,
)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _paid(first: str, last: str) -> tuple:
    """Paid from the start of day `first` to the end of day `last` (UTC); the last day a date can
    name (9999-12-31) has no next day: it bounds nothing."""
    last_day = date.fromisoformat(last)
    bounds = (P.paid_at >= _day_start(date.fromisoformat(first)),)
    if last_day < date.max:
        bounds += (P.paid_at < _day_start(last_day + timedelta(days=1)),)
    return bounds


def rows(ctx: ExportContext):
    start = select(P).outerjoin(C, C.id == P.client_id)
    paid = _paid(ctx.params["paidFrom"], ctx.params["paidTo"])
    direct = writing_agent.agency_id == ctx.principal.agency_id
    conditions = (P.kind == "program", *paid, direct)
    order = (P.paid_at, P.id)
    return scoped_rows(ctx, *conditions, start=start, agent_id=P.agent_id, order=order)


PAYOUTS_PROGRAM_REPORT = export_type(
    key="payouts_program_report",
    title="Payouts program report",
    description="Bonus dollars paid to your agency under a payouts program for a date range, "
    "from its direct downline agents only.",
    scopes=AGENCY_ONLY,
    parameters=PARAMETERS,
    cells=CELLS,
    rows=rows,
)


downline_export_types = provide(PAYOUTS_PROGRAM_REPORT)
