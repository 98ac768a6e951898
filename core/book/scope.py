"""Who may see what: a Principal, and the one SQL subquery of the agents it may see.

Every list, lookup, count, export and summary filters through `agent_ids(principal)` (and
`agency_ids(principal)` for agencies), so the rule lives here once: an agent user sees itself; an
agency admin sees every agent of its agency and of every agency below it; nobody sees up or
sideways.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, Select, bindparam, func, literal, select
from sqlmodel import Session

from downline.core.book.hierarchy import descendants_of
from downline.core.book.tenants import top_of
from downline.core.models import Agency, Agent, Role, User


@dataclass(frozen=True)
class Principal:
    email: str
    role: Role
    agent_id: str | None = None  # set for agent users
    agency_id: str | None = None  # the admin's agency, or the agent user's own agency
    tenant_id: str | None = None  # the top agency above agency_id: all it may see lies below

    @property
    def is_admin(self) -> bool:
        return self.role == Role.AGENCY_ADMIN


def agent_ids(principal: Principal) -> Select:
    """The ids of the agents `principal` may see, as a subquery."""
    if not principal.is_admin:
        return select(Agent.id).where(Agent.id == principal.agent_id)
    return select(Agent.id).where(Agent.agency_id.in_(descendants_of([principal.agency_id])))


def agency_ids(principal: Principal) -> Select:
    """The agencies whose full record `principal` may see. An agent user sees none in full (only
    its own agency's name, npn and switch, which `Principal.agency_id` already names)."""
    if not principal.is_admin:
        return select(literal(None)).where(literal(False))
    return descendants_of([principal.agency_id])


def filter_agent_ids(
    principal: Principal, agent_ids_: list[str] | None, agency_ids_: list[str] | None
) -> Select:
    """The visible agents narrowed by a list filter's `agentIds` and `agencyIds` (the whole
    downline of each). Ids outside the scope simply match nothing."""
    query = agent_ids(principal)
    column = query.selected_columns[0]
    if agent_ids_ is not None:
        query = query.where(column.in_(agent_ids_))
    if agency_ids_ is not None:
        below = select(Agent.id).where(Agent.agency_id.in_(descendants_of(agency_ids_)))
        query = query.where(column.in_(below))
    return query


def _principal_statement() -> Select:
    """The user behind an email with what its principal needs, in one statement on primary keys
    and the closure's index: its agent's agency (an agent user), its own agency (an admin) and
    the top agency above either."""
    tenant = top_of(func.coalesce(Agent.agency_id, Agency.id))
    return (
        select(User.email, User.role, User.agent_id, Agent.agency_id, Agency.id, tenant)
        .outerjoin(Agent, Agent.id == User.agent_id)
        .outerjoin(Agency, Agency.id == User.agency_id)
        .where(User.email == bindparam("email"))
    )


# Built once: building the statement (aliases, subqueries) cost ten times what running it did.
PRINCIPAL = _principal_statement()


def load_principal(session: Session | Connection, email: str) -> Principal | None:
    """The principal behind a token's email, or None when the user, or the agent or agency it
    hangs on, is gone (access ends at once, whatever tokens it holds)."""
    connection = session if isinstance(session, Connection) else session.connection()
    return principal_of(connection.execute(PRINCIPAL, principal_parameters(email)).first())


def principal_parameters(email: str) -> dict[str, str]:
    """PRINCIPAL's parameters for the user behind `email`."""
    return {"email": email.strip().lower()}


def principal_of(row: Sequence | None) -> Principal | None:
    """The principal of PRINCIPAL's row (as SQLAlchemy or the driver gives it), or None when
    the user, or the agent or agency it hangs on, is gone."""
    if row is None:
        return None
    email, role, agent_id, agent_agency_id, admin_agency_id, tenant_id = row
    if not isinstance(role, Role):
        role = Role[role]  # the driver gives the name the column stores
    if role == Role.AGENT:
        if agent_agency_id is None:
            return None
        return Principal(
            email, Role.AGENT, agent_id=agent_id, agency_id=agent_agency_id, tenant_id=tenant_id
        )
    if admin_agency_id is None:
        return None
    return Principal(email, Role.AGENCY_ADMIN, agency_id=admin_agency_id, tenant_id=tenant_id)


def agency_column(query: Select):
    """The one column of an `agency_ids` subquery, to narrow it further."""
    return query.selected_columns[0]
