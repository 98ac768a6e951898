"""aor_at_risk: clients whose Agent of Record is at risk, to prioritize outreach (exports.md).
The agent version leaves out internal transfers (the current agent of record is another agent of
the same agency as the client's agent); the agency version keeps them."""

from sqlalchemy import exists, select
from sqlalchemy.orm import aliased

from downline.plugins import (
    BOTH,
    CONTACT,
    WRITING_AGENT,
    ExportContext,
    cell,
    client_cells,
    export_type,
    models,
    provide,
    scoped_rows,
    writing_agent,
)

C = models.Client

# Another agent, under its own alias so the scope's subqueries over `agent` stay uncorrelated.
colleague = aliased(models.Agent, name="colleague")

CELLS = (
    *CONTACT,
    *client_cells("application_id", "carrier", "plan_name"),
    cell("at_risk_reason", "Why the Agent of Record is at risk.", C.aor_reason),
    cell("at_risk_since", "Since when it is at risk.", C.aor_since, kind="date"),
    cell(
        "current_agent_npn",
        "NPN of the agent now on record at the Marketplace.",
        C.aor_current_agent_npn,
    ),
    *WRITING_AGENT,
)

INTERNAL_TRANSFER = exists(
    select(colleague.id).where(
        colleague.npn == C.aor_current_agent_npn,
        colleague.agency_id == writing_agent.agency_id,
        colleague.id != C.agent_id,
    )
)


def rows(ctx: ExportContext):
    conditions = [C.aor_at_risk.is_(True)]
    if not ctx.principal.is_admin:
        conditions.append(~INTERNAL_TRANSFER)
    order = (C.aor_since.asc().nulls_last(), C.id)
    return scoped_rows(ctx, *conditions, order=order)


AOR_AT_RISK = export_type(
    key="aor_at_risk",
    title="AOR at risk",
    description="Clients whose Agent of Record is at risk, to prioritize outreach.",
    scopes=BOTH,
    cells=CELLS,
    rows=rows,
)


downline_export_types = provide(AOR_AT_RISK)
