"""payouts_program_report: bonus dollars paid to the agency under a payouts program for a date
range, from its direct downline agents only (docs/domain.md); earliest payment first."""

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from downline import plugins as kit

C = kit.models.Client

P = kit.models.Payout

PARAMETERS = (
    kit.ExportParameter("paidFrom", "Date", True, None, "Paid on or after this day (UTC)."),
    kit.ExportParameter("paidTo", "Date", True, None, "Paid on or before this day (UTC)."),
)

CELLS = (
    kit.cell("payout_id", "downline's id of the payout.", P.id),
    kit.cell("program", "The payouts program.", P.program),
    kit.cell("paid_at", "When the bonus was paid (UTC).", P.paid_at, kind="datetime"),
    kit.cell("amount", "The bonus paid.", P.amount, kind="money"),
    kit.cell("client_id", "The client the bonus is for, if any.", P.client_id),
    kit.cell("application_id", "That client's Marketplace application id.", C.application_id),
    *kit.WRITING_AGENT,
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


def rows(ctx: kit.ExportContext):
    start = select(P).outerjoin(C, C.id == P.client_id)
    paid = _paid(ctx.params["paidFrom"], ctx.params["paidTo"])
    direct = kit.writing_agent.agency_id == ctx.principal.agency_id
    conditions = (P.kind == "program", *paid, direct)
    order = (P.paid_at, P.id)
    return kit.scoped_rows(ctx, *conditions, start=start, agent_id=P.agent_id, order=order)


PAYOUTS_PROGRAM_REPORT = kit.export_type(
    key="payouts_program_report",
    title="Payouts program report",
    description="Bonus dollars paid to your agency under a payouts program for a date range, "
    "from its direct downline agents only.",
    scopes=kit.AGENCY_ONLY,
    parameters=PARAMETERS,
    cells=CELLS,
    rows=rows,
)


downline_export_types = kit.provide(PAYOUTS_PROGRAM_REPORT)
