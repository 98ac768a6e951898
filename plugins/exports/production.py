"""production: merged carrier production, honoring every ProductionFilter field (exports.md).
The writing agent and its agency are matched by NPN at read time, among the agents of the
policy's tenant, so both are empty for a policy whose NPN matches none of them."""

from downline.plugins import (
    PRODUCTION_FILTER,
    PRODUCTION_ORDER,
    ExportContext,
    models,
    ordered,
    policies_query,
    production_filter,
    with_policy_agent,
    writing_agency,
    writing_agent,
)
from downline.plugins.exports.common import BOTH, cell, export_type, provide

P = models.Policy

CELLS = (
    cell("carrier", "The carrier's key, e.g. humana.", P.carrier),
    cell("carrier_policy_id", "The carrier's id of the policy.", P.carrier_policy_id),
    cell("agent_npn", "The writing agent's NPN as the carrier reports it.", P.agent_npn),
    cell("agent_name", "The agent holding that NPN; empty if none does.", writing_agent.name),
    cell(
        "agency_name", "That agent's agency; empty if no agent holds the NPN.", writing_agency.name
    ),
    cell("plan_id", "The carrier's plan id.", P.plan_id),
    cell("plan_name", "Plan name.", P.plan_name),
    cell("product_type", "MAPD, MA, PDP, DSNP, CSNP, MEDSUPP, ACA, ...", P.product_type),
    cell("client_name", "The member's name.", P.client_name),
    cell("member_id", "The carrier's member id.", P.member_id),
    cell("date_of_birth", "Date of birth: always masked.", P.date_of_birth, pii="dob"),
    cell("county", "County.", P.county),
    cell("state", "Two-letter state.", P.state),
    cell(
        "status", "APPROVED, ACTIVE, ATTRITED, DECEASED, POLICY_DISENROLLMENT, UNKNOWN.", P.status
    ),
    cell(
        "term_reason", "Why the policy ended (DENIED, PLAN_CHANGE, PLAN_EXIT, ...).", P.term_reason
    ),
    cell("source_status", "The carrier's own wording of the status.", P.source_status),
    cell("submitted_date", "When the application was submitted.", P.submitted_date, kind="date"),
    cell("effective_date", "Coverage start.", P.effective_date, kind="date"),
    cell("term_date", "Coverage end.", P.term_date, kind="date"),
    cell("updated_at", "Last change of a tracked field (UTC).", P.updated_at, kind="datetime"),
)


def rows(ctx: ExportContext):
    query = policies_query(ctx.principal, production_filter(ctx.params))
    return ordered(with_policy_agent(query, ctx.principal), PRODUCTION_ORDER)


PRODUCTION = export_type(
    key="production",
    title="Production",
    description="Merged carrier production.",
    scopes=BOTH,
    parameters=PRODUCTION_FILTER,
    cells=CELLS,
    rows=rows,
)


downline_export_types = provide(PRODUCTION)
