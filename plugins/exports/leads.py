"""leads: the agent's Leads page, honoring every LeadFilter field (exports.md)."""

from downline.plugins import (
    AGENT_ONLY,
    LEAD_FILTER,
    LEAD_ORDER,
    WRITING_AGENT,
    ExportContext,
    cell,
    export_type,
    lead_filter,
    leads_query,
    models,
    ordered,
    provide,
    with_agent,
)

L = models.Lead

CELLS = (
    cell("lead_id", "downline's id of the lead.", L.id),
    cell("first_name", "Lead's first name.", L.first_name),
    cell("last_name", "Lead's last name.", L.last_name),
    cell("email", "Lead's email.", L.email),
    cell("phone", "Lead's phone.", L.phone),
    cell("state", "Two-letter state.", L.state),
    cell("zip", "ZIP code.", L.zip),
    cell("source", "Where the lead came from.", L.source),
    cell("status", "new, contacted, quoted, converted, lost.", L.status),
    cell("created_at", "When the lead was created (UTC).", L.created_at, kind="datetime"),
    *WRITING_AGENT,
)


def rows(ctx: ExportContext):
    query = leads_query(ctx.principal, lead_filter(ctx.params))
    return ordered(with_agent(query, L.agent_id), LEAD_ORDER)


LEADS = export_type(
    key="leads",
    title="Leads",
    description="Leads on your Leads page.",
    scopes=AGENT_ONLY,
    parameters=LEAD_FILTER,
    cells=CELLS,
    rows=rows,
)


downline_export_types = provide(LEADS)
