"""agent_roster: every account in the agency hierarchy, for outreach and operational checks,
with the path of agencies from the requesting admin's agency down to each agent's,
its agency's export switch and its submission volume."""

from sqlalchemy import Text, bindparam, cast, func, literal, select
from sqlalchemy.orm import aliased

from downline import plugins as kit

A = kit.writing_agent

C = kit.models.Client

# Submitted clients per agent.
SUBMITTED = (
    select(C.agent_id, func.count().label("clients"), func.max(C.submitted_at).label("last_at"))
    .where(C.submitted_at.is_not(None))
    .group_by(C.agent_id)
    .subquery("submitted")
)


def _agency_paths():
    """(agency_id, path) for the requesting agency (bound at run time) and every agency below
    it, the path naming the agencies from it down, joined by " > ": a recursive CTE, top-down."""
    top = aliased(kit.models.Agency, name="path_top")
    child = aliased(kit.models.Agency, name="path_child")
    # Text on both sides, or PostgreSQL finds the recursive part's type unlike the anchor's.
    tree = (
        select(top.id.label("agency_id"), cast(top.name, Text).label("path"))
        .where(top.id == bindparam("requesting_agency"))
        .cte("agency_path", recursive=True)
    )
    step = select(child.id, tree.c.path + literal(" > ") + cast(child.name, Text)).join(
        tree, child.parent_id == tree.c.agency_id
    )
    return tree.union_all(step)


PATHS = _agency_paths()

CELLS = (
    kit.cell("agent_id", "downline's id of the agent.", A.id),
    kit.cell("agent_name", "The agent's name.", A.name),
    kit.cell("agent_npn", "The agent's National Producer Number.", A.npn),
    kit.cell("email", "The agent's email.", A.email),
    kit.cell("phone", "The agent's phone.", A.phone),
    kit.cell("agency_name", "The agent's agency.", kit.writing_agency.name),
    kit.cell(
        "agency_path", "Agencies from yours down to the agent's, joined by ' > '.", PATHS.c.path
    ),
    kit.cell(
        "exports_allowed",
        "Whether the agent's agency allows its agents to export.",
        kit.writing_agency.exports_allowed_for_agents,
        kind="bool",
    ),
    kit.cell(
        "clients_submitted",
        "How many of the agent's clients were submitted.",
        func.coalesce(SUBMITTED.c.clients, 0),
        kind="number",
    ),
    kit.cell(
        "last_submitted_at",
        "The agent's last submission (UTC).",
        SUBMITTED.c.last_at,
        kind="datetime",
    ),
    kit.cell("created_at", "When the agent was added (UTC).", A.created_at, kind="datetime"),
)


def rows(ctx: kit.ExportContext):
    return (
        select(A)
        .join(kit.writing_agency, kit.writing_agency.id == A.agency_id)
        .join(PATHS, PATHS.c.agency_id == A.agency_id)
        .outerjoin(SUBMITTED, SUBMITTED.c.agent_id == A.id)
        .where(A.id.in_(ctx.scope))
        .order_by(A.name, A.id)
    )


AGENT_ROSTER = kit.export_type(
    key="agent_roster",
    title="Agent roster",
    description="Every account in your agency hierarchy, for outreach and operational checks.",
    scopes=kit.AGENCY_ONLY,
    cells=CELLS,
    rows=rows,
    binds=lambda ctx: {"requesting_agency": ctx.principal.agency_id},
)


downline_export_types = kit.provide(AGENT_ROSTER)
