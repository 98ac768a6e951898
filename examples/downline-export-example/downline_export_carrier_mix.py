"""carrier_mix: how many submitted applications each carrier holds in the requester's book, by
plan year. The worked example of a third-party export type: data (columns paired with the SQL
that fills them) plus one small query, built only from `downline.plugins`."""

from sqlalchemy import func, select

from downline.plugins import (
    BOTH,
    ExportContext,
    ExportParameter,
    cell,
    export_type,
    models,
    provide,
)

C = models.Client

CELLS = (
    cell("carrier", "Carrier of the plan.", C.carrier),
    cell("plan_year", "Plan year.", C.plan_year, kind="number"),
    cell(
        "applications",
        "Submitted applications on that carrier's plans.",
        func.count(C.id),
        kind="number",
    ),
    cell("members", "People on those applications.", func.sum(C.members), kind="number"),
)

PLAN_YEAR = ExportParameter("planYear", "Int", description="Only this plan year.")


def rows(ctx: ExportContext):
    """Submitted applications of the requester's scope (`ctx.scope`: the agents it may see),
    grouped by carrier and plan year. The kit selects exactly CELLS' values from it."""
    query = select(C).where(C.agent_id.in_(ctx.scope), C.submitted_at.is_not(None))
    if ctx.params["planYear"] is not None:
        query = query.where(C.plan_year == ctx.params["planYear"])
    return query.group_by(C.carrier, C.plan_year).order_by(C.carrier, C.plan_year)


CARRIER_MIX = export_type(
    key="carrier_mix",
    title="Carrier mix",
    description="Submitted applications and members per carrier and plan year.",
    scopes=BOTH,
    parameters=(PLAN_YEAR,),
    cells=CELLS,
    rows=rows,
)

downline_export_types = provide(CARRIER_MIX)
