"""The lines of a downline roll-up: under one agency (`downlineOf`), each direct sub-agency with
its whole downline, at any depth, is one line, and each agent directly in that agency is a line of
its own (docs/domain.md). Lines are the hierarchy at read time: a re-parented sub-agency or a
moved agent takes its rows along at once.

One helper for every roll-up: a row's agent's agency is mapped through the agency closure to the
direct child of `downlineOf` above it.
"""

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, case, literal, null, select
from sqlalchemy.orm import aliased

from downline.core.book.hierarchy import descendants_of
from downline.core.book.scope import Principal
from downline.core.models import Agency, AgencyClosure


@dataclass(frozen=True)
class Lines:
    """A query joined to its rows' lines: `agency` (a direct sub-agency's id) or `agent` (a
    direct agent's id) for each row; `within` keeps the rows at or below `downlineOf`."""

    query: Select
    agency: ColumnElement
    agent: ColumnElement
    within: ColumnElement


def with_lines(query: Select, principal: Principal, downline_of: str | None, agent) -> Lines:
    """`query`, whose rows each have an agent (`agent`, an Agent alias it joins), joined to the
    lines under `downline_of` (default: the viewer's own agency). For an agent user the only
    line is its own agent."""
    agent_id, agency_id = agent.id, agent.agency_id
    if not principal.is_admin:
        none = literal(None, agent_id.type)
        return Lines(query, none, agent_id, literal(True))
    top = downline_of or principal.agency_id
    child = aliased(Agency, name="line_agency")
    below = aliased(AgencyClosure, name="line_closure")
    line = (
        select(below.descendant_id.label("agency_id"), below.ancestor_id.label("line_id"))
        .join(child, child.id == below.ancestor_id)
        .where(child.parent_id == top)
        .subquery("line")
    )
    joined = query.outerjoin_from(agent, line, line.c.agency_id == agency_id)
    direct = case((agency_id == top, agent_id), else_=null())
    return Lines(joined, line.c.line_id, direct, agency_id.in_(descendants_of([top])))
