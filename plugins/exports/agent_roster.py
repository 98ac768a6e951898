"""agent_roster: every account in the agency hierarchy, for outreach and operational checks
(exports.md), with the path of agencies from the requesting admin's agency down to each agent's,
its agency's export switch and its submission volume."""

from sqlalchemy import Text, bindparam, cast, func, literal, select
from sqlalchemy.orm import aliased

from downline.plugins import (
    AGENCY_ONLY,
    ExportContext,
    cell,
    export_type,
    models,
    provide,
    writing_agency,
)
from downline.plugins import writing_agent as A

C = models.Client

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
    top = aliased(models.Agency, name="path_top")
    child = aliased(models.Agency, name="path_child")
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
    cell("agent_id", "downline's id of the agent.", A.id),
    cell("agent_name", "The agent's name.", A.name),
    cell("agent_npn", "The agent's National Producer Number.", A.npn),
    cell("email", "The agent's email.", A.email),
    cell("phone", "The agent's phone.", A.phone),
    cell("agency_name", "The agent's agency.", writing_agency.name),
    cell("agency_path", "Agencies from yours down to the agent's, joined by ' > '.", PATHS.c.path),
    cell(
        "exports_allowed",
        "Whether the agent's agency allows its agents to export.",
        writing_agency.exports_allowed_for_agents,
        kind="bool",
    ),
    cell(
        "clients_submitted",
        "How many of the agent's clients were submitted.",
        func.coalesce(SUBMITTED.c.clients, 0),
        kind="number",
    ),
    cell(
        "last_submitted_at",
        "The agent's last submission (UTC).",
        SUBMITTED.c.last_at,
        kind="datetime",
    ),
    cell("created_at", "When the agent was added (UTC).", A.created_at, kind="datetime"),
)


def rows(ctx: ExportContext):
    return (
        select(A)
        .join(writing_agency, writing_agency.id == A.agency_id)
        .join(PATHS, PATHS.c.agency_id == A.agency_id)
        .outerjoin(SUBMITTED, SUBMITTED.c.agent_id == A.id)
        .where(A.id.in_(ctx.scope))
        .order_by(A.name, A.id)
    )


AGENT_ROSTER = export_type(
    key="agent_roster",
    title="Agent roster",
    description="Every account in your agency hierarchy, for outreach and operational checks.",
    scopes=AGENCY_ONLY,
    cells=CELLS,
    rows=rows,
    binds=lambda ctx: {"requesting_agency": ctx.principal.agency_id},
)


downline_export_types = provide(AGENT_ROSTER)
