"""Agencies and agents as a principal sees them (docs/domain.md), in batches for the DataLoaders.

An agency admin sees its agency and everything below it in full. An agent user sees its own
agent, and of its own agency only the name, npn and switch: that agency's agent list holds just
the viewer's agent, its sub-agency list is empty and its parent is hidden.
"""

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import Select, func, literal, select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from downline.core import audit
from downline.core.book import scope
from downline.core.book.hierarchy import descendants_of
from downline.core.book.paging import Key, Page, count, fetch_page
from downline.core.book.scope import Principal
from downline.core.errors import DownlineError, ExportsDisabled, Forbidden, NotFound
from downline.core.models import Agency, AgencyClosure, Agent

AGENT_ORDER = (Key(Agent.name), Key(Agent.id))


@dataclass(frozen=True)
class AgentsPage:
    page: Page
    total: int


def agencies_by_id(session: Session, principal: Principal, ids: list[str]) -> dict[str, Agency]:
    query = select(Agency).where(Agency.id.in_(ids))
    if principal.is_admin:
        query = query.where(Agency.id.in_(scope.agency_ids(principal)))
    else:
        query = query.where(Agency.id == principal.agency_id)
    return {a.id: a for a in session.scalars(query)}


def _visible_agents(principal: Principal, ids: list[str]) -> Select:
    return select(Agent).where(Agent.id.in_(ids), Agent.id.in_(scope.agent_ids(principal)))


def agents_by_id(session: Session, principal: Principal, ids: list[str]) -> dict[str, Agent]:
    return {a.id: a for a in session.scalars(_visible_agents(principal, ids))}


def agents_with_agencies(
    session: Session, principal: Principal, ids: list[str]
) -> dict[str, tuple[Agent, Agency]]:
    """The visible agents among `ids`, each with its agency, as plain rows (for a page's nodes:
    read, never changed). A visible agent's agency is always visible to the same principal
    (docs/domain.md), so the agency needs no check of its own."""
    connection = session.connection()
    agents = list(connection.execute(_visible_agents(principal, ids)))
    wanted = list({a.agency_id for a in agents})
    agencies = {a.id: a for a in connection.execute(select(Agency).where(Agency.id.in_(wanted)))}
    return {a.id: (a, agencies[a.agency_id]) for a in agents}


# A page's agents and their agencies, joined to the page's own statement (`with_agents`): aliases,
# so that the scope's subqueries on Agent are not correlated with them.
_page_agent = Agent.__table__.alias("page_agent")
_page_agency = Agency.__table__.alias("page_agency")
PAGE_AGENT = tuple(
    _page_agent.c[name].label(f"agent__{name}")
    for name in ("id", "name", "npn", "email", "agency_id")
)
PAGE_AGENCY = tuple(
    _page_agency.c[name].label(f"agency__{name}")
    for name in ("id", "name", "npn", "exports_allowed_for_agents", "parent_id")
)


def with_agents(query: Select, agent_id) -> Select:
    """`query` (a scoped list: its rows' `agent_id` is filtered by `scope.agent_ids`) with each
    row's agent and that agent's agency, as columns `agent__<name>` and `agency__<name>`: a page
    of 50 then reads its agents in its own statement. A row's agent is visible, being in the
    scope, and so is the agent's agency to the same principal (docs/domain.md)."""
    return (
        query.join(_page_agent, _page_agent.c.id == agent_id)
        .join(_page_agency, _page_agency.c.id == _page_agent.c.agency_id)
        .add_columns(*PAGE_AGENT, *PAGE_AGENCY)
    )


def agents_by_npn(session: Session, principal: Principal, npns: list[str]) -> dict[str, Agent]:
    """The visible agents holding these NPNs (a policy's agent is matched at read time)."""
    query = select(Agent).where(Agent.npn.in_(npns), Agent.id.in_(scope.agent_ids(principal)))
    return {a.npn: a for a in session.scalars(query)}


def agent_by_npn(session: Session, principal: Principal, npn: str) -> Agent | None:
    digits = npn.strip().lstrip("0")
    query = select(Agent).where(Agent.npn == digits, Agent.id.in_(scope.agent_ids(principal)))
    return session.scalars(query).first()


def downline_query(principal: Principal, agency_id: str | None) -> Select:
    """Every visible agent at or below `agency_id` (default: the principal's own agency)."""
    query = select(Agent).where(Agent.id.in_(scope.agent_ids(principal)))
    if agency_id is None:
        return query
    if not principal.is_admin:  # an agent user's downline is itself, under its own agency only
        return query.where(literal(agency_id) == principal.agency_id)
    # An agency outside the scope matches nothing, like an unknown one.
    visible = scope.agency_ids(principal).where(AgencyClosure.descendant_id == agency_id)
    return query.where(Agent.agency_id.in_(descendants_of(visible)))


def agents_page(session: Session, query: Select, first: int, after: str | None) -> AgentsPage:
    return AgentsPage(fetch_page(session, query, AGENT_ORDER, first, after), count(session, query))


def direct_agents(
    session: Session, principal: Principal, agency_ids: list[str], first: int
) -> dict[str, AgentsPage]:
    """The first page of each agency's direct agents, for many agencies in two statements: a
    window function numbers each agency's agents in list order, and one GROUP BY counts them."""
    visible = select(Agent).where(
        Agent.agency_id.in_(agency_ids), Agent.id.in_(scope.agent_ids(principal))
    )
    position = func.row_number().over(partition_by=Agent.agency_id, order_by=(Agent.name, Agent.id))
    numbered = visible.add_columns(position.label("position")).subquery()
    ranked = aliased(Agent, numbered)
    query = select(ranked).where(numbered.c.position <= first + 1)
    rows: dict[str, list[Agent]] = defaultdict(list)
    for agent in session.scalars(query.order_by(ranked.name, ranked.id)):
        rows[agent.agency_id].append(agent)
    totals = dict(
        session.execute(
            select(Agent.agency_id, func.count())
            .where(Agent.id.in_(visible.with_only_columns(Agent.id)))
            .group_by(Agent.agency_id)
        ).all()
    )
    result = {}
    for agency_id in agency_ids:
        agents = rows.get(agency_id, [])
        page = Page(agents[:first], AGENT_ORDER, has_next=len(agents) > first)
        result[agency_id] = AgentsPage(page, totals.get(agency_id, 0))
    return result


def sub_agencies(session: Session, principal: Principal, ids: list[str]) -> dict[str, list[Agency]]:
    """The children of each agency, by name then id; none for an agent user."""
    children: dict[str, list[Agency]] = defaultdict(list)
    if principal.is_admin:
        query = select(Agency).where(
            Agency.parent_id.in_(ids), Agency.id.in_(scope.agency_ids(principal))
        )
        for agency in session.scalars(query.order_by(Agency.name, Agency.id)):
            children[agency.parent_id].append(agency)
    return children


def parent_visible(principal: Principal, agency: Agency) -> bool:
    """An admin sees every parent below its own agency; nobody sees above its own."""
    return principal.is_admin and agency.parent_id is not None and agency.id != principal.agency_id


EXPORTS_DISABLED = (
    "Exports are switched off for your agency's agents: ask your agency administrator to allow "
    "them."
)


def exports_allowed(session: Session, principal: Principal) -> bool:
    """Whether the agency's switch lets this principal export: admins always may; an agent
    user as the switch of its agent's own agency says (a parent agency's switch is not its)."""
    if principal.is_admin:
        return True
    return bool(
        session.scalar(
            select(Agency.exports_allowed_for_agents).where(Agency.id == principal.agency_id)
        )
    )


def check_exports_allowed(session: Session, principal: Principal) -> None:
    """Raise EXPORTS_DISABLED unless the principal may export now: asked at the request, when a
    worker claims the export, before its file is published, and at every download."""
    if not exports_allowed(session, principal):
        raise ExportsDisabled(EXPORTS_DISABLED)


def set_agent_exports_allowed(
    session: Session, principal: Principal, agency_id: str, allowed: bool
) -> Agency:
    """Only an admin of that agency or of one above it may flip its switch. Audited, refusals
    too (who, which agency, on or off)."""
    flip = {"target_agency_id": agency_id, "detail": "on" if allowed else "off"}
    try:
        if not principal.is_admin:
            raise Forbidden("only an agency administrator can change who may export")
        agency = agencies_by_id(session, principal, [agency_id]).get(agency_id)
        if agency is None:
            raise NotFound(f"no agency {agency_id!r}", field="agencyId")
    except DownlineError as refusal:
        audit.record(session, "exports_switch_refused", refusal.code, actor=principal, **flip)
        session.commit()
        raise
    agency.exports_allowed_for_agents = allowed
    session.add(agency)
    audit.record(session, "exports_switched", "ok", actor=principal, **flip)
    session.commit()
    return agency
