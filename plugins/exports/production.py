"""production: merged carrier production, honoring every ProductionFilter field (docs/domain.md).
The writing agent and its agency are matched by NPN at read time, among the agents of the
policy's tenant, so both are empty for a policy whose NPN matches none of them."""

from downline import plugins as kit

P = kit.models.Policy

CELLS = (
    kit.cell("carrier", "The carrier's key, e.g. humana.", P.carrier),
    kit.cell("carrier_policy_id", "The carrier's id of the policy.", P.carrier_policy_id),
    kit.cell("agent_npn", "The writing agent's NPN as the carrier reports it.", P.agent_npn),
    kit.cell(
        "agent_name", "The agent holding that NPN; empty if none does.", kit.writing_agent.name
    ),
    kit.cell(
        "agency_name",
        "That agent's agency; empty if no agent holds the NPN.",
        kit.writing_agency.name,
    ),
    kit.cell("plan_id", "The carrier's plan id.", P.plan_id),
    kit.cell("plan_name", "Plan name.", P.plan_name),
    kit.cell("product_type", "MAPD, MA, PDP, DSNP, CSNP, MEDSUPP, ACA, ...", P.product_type),
    kit.cell("client_name", "The member's name.", P.client_name),
    kit.cell("member_id", "The carrier's member id.", P.member_id),
    kit.cell("date_of_birth", "Date of birth: always masked.", P.date_of_birth, pii="dob"),
    kit.cell("county", "County.", P.county),
    kit.cell("state", "Two-letter state.", P.state),
    kit.cell(
        "status", "APPROVED, ACTIVE, ATTRITED, DECEASED, POLICY_DISENROLLMENT, UNKNOWN.", P.status
    ),
    kit.cell(
        "term_reason", "Why the policy ended (DENIED, PLAN_CHANGE, PLAN_EXIT, ...).", P.term_reason
    ),
    kit.cell("source_status", "The carrier's own wording of the status.", P.source_status),
    kit.cell(
        "submitted_date", "When the application was submitted.", P.submitted_date, kind="date"
    ),
    kit.cell("effective_date", "Coverage start.", P.effective_date, kind="date"),
    kit.cell("term_date", "Coverage end.", P.term_date, kind="date"),
    kit.cell("updated_at", "Last change of a tracked field (UTC).", P.updated_at, kind="datetime"),
    kit.cell(
        "last_seen_as_of",
        "As-of date of the newest carrier report that listed the policy; older than the"
        " carrier's last report when that report left it out.",
        P.last_seen_as_of,
        kind="date",
    ),
    kit.cell(
        "term_reason_guidance",
        "What the agent should do about the term reason; empty when nothing.",
        kit.term_reason_guidance(P.term_reason),
    ),
)


def rows(ctx: kit.ExportContext):
    query = kit.policies_query(ctx.principal, kit.production_filter(ctx.params))
    return kit.ordered(kit.with_policy_agent(query, ctx.principal), kit.PRODUCTION_ORDER)


PRODUCTION = kit.export_type(
    key="production",
    title="Production",
    description="Merged carrier production.",
    scopes=kit.BOTH,
    parameters=kit.PRODUCTION_FILTER,
    cells=CELLS,
    rows=rows,
)


downline_export_types = kit.provide(PRODUCTION)
