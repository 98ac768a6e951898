"""leads: the agent's Leads page, honoring every LeadFilter field (docs/domain.md)."""

from downline import plugins as kit

L = kit.models.Lead

CELLS = (
    kit.cell("lead_id", "downline's id of the lead.", L.id),
    kit.cell("first_name", "Lead's first name.", L.first_name),
    kit.cell("last_name", "Lead's last name.", L.last_name),
    kit.cell("email", "Lead's email.", L.email),
    kit.cell("phone", "Lead's phone.", L.phone),
    kit.cell("state", "Two-letter state.", L.state),
    kit.cell("zip", "ZIP code.", L.zip),
    kit.cell("source", "Where the lead came from.", L.source),
    kit.cell("status", "new, contacted, quoted, converted, lost.", L.status),
    kit.cell("created_at", "When the lead was created (UTC).", L.created_at, kind="datetime"),
    *kit.WRITING_AGENT,
)


def rows(ctx: kit.ExportContext):
    query = kit.leads_query(ctx.principal, kit.lead_filter(ctx.params))
    return kit.ordered(kit.with_agent(query, L.agent_id), kit.LEAD_ORDER)


LEADS = kit.export_type(
    key="leads",
    title="Leads",
    description="Leads on your Leads page.",
    scopes=kit.AGENT_ONLY,
    parameters=kit.LEAD_FILTER,
    cells=CELLS,
    rows=rows,
)


downline_export_types = kit.provide(LEADS)
