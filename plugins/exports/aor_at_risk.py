"""aor_at_risk: clients whose Agent of Record is at risk, to prioritize outreach (docs/domain.md).
The agent version leaves out internal transfers (the current agent of record is another agent of
the same agency as the client's agent); the agency version keeps them."""

from sqlalchemy import exists, select
from sqlalchemy.orm import aliased

from downline import plugins as kit

C = kit.models.Client

# Another agent, under its own alias so the scope's subqueries over `agent` stay uncorrelated.
colleague = aliased(kit.models.Agent, name="colleague")

CELLS = (
    *kit.CONTACT,
    *kit.client_cells("application_id", "carrier", "plan_name"),
    kit.cell("at_risk_reason", "Why the Agent of Record is at risk.", C.aor_reason),
    kit.cell("at_risk_since", "Since when it is at risk.", C.aor_since, kind="date"),
    kit.cell(
        "current_agent_npn",
        "NPN of the agent now on record at the Marketplace.",
        C.aor_current_agent_npn,
    ),
    *kit.WRITING_AGENT,
)

INTERNAL_TRANSFER = exists(
    select(colleague.id).where(
        colleague.npn == C.aor_current_agent_npn,
        colleague.agency_id == kit.writing_agent.agency_id,
        colleague.id != C.agent_id,
    )
)


def rows(ctx: kit.ExportContext):
    conditions = [C.aor_at_risk.is_(True)]
    if not ctx.principal.is_admin:
        conditions.append(~INTERNAL_TRANSFER)
    order = (C.aor_since.asc().nulls_last(), C.id)
    return kit.scoped_rows(ctx, *conditions, order=order)


AOR_AT_RISK = kit.export_type(
    key="aor_at_risk",
    title="AOR at risk",
    description="Clients whose Agent of Record is at risk, to prioritize outreach.",
    scopes=kit.BOTH,
    cells=CELLS,
    rows=rows,
)


downline_export_types = kit.provide(AOR_AT_RISK)
