"""Tenants: each top agency (one with no parent) and everything below it.

Nothing crosses from one tenant to another. A policy lives in one tenant (`Policy.tenant_id`, the
top agency's id), so two tenants' reports never touch each other's rows, and its NPN matches only
an agent of that tenant. The rows the operator's ingest could not place (no agent held the NPN)
are held by the operator, visible to nobody, until an agent with that NPN is loaded.
"""

from sqlalchemy import ScalarSelect, and_, exists, select, update
from sqlalchemy.orm import aliased
from sqlmodel import Session

from downline.core.book.hierarchy import descendants_of
from downline.core.models import Agency, AgencyClosure, Agent, Policy
from downline.core.models.production import HELD_BY_OPERATOR

_policy = Policy.__table__


def top_of(agency_id) -> ScalarSelect:
    """The top agency above `agency_id` (a value or a column to correlate with), itself if it
    has no parent; as a scalar subquery."""
    up, top = aliased(AgencyClosure, name="up"), aliased(Agency, name="top")
    return (
        select(up.ancestor_id)
        .join(top, top.id == up.ancestor_id)
        .where(up.descendant_id == agency_id, top.parent_id.is_(None))
        .scalar_subquery()
    )


def holds_npn(agent, tenant_id, policy=Policy):
    """The join condition of a policy's agent: `agent` (an alias of Agent) holds the NPN of
    `policy` (Policy, or an alias of it) and belongs to `tenant_id`, so an NPN never matches an
    agent of another tenant."""
    return and_(agent.npn == policy.agent_npn, agent.agency_id.in_(descendants_of([tenant_id])))


def place_held_policies(session: Session) -> None:
    """Move the operator's held policies whose NPN an agent now holds into that agent's tenant
    (after a load of agents). One that the tenant already holds under the same key stays held:
    moving it would overwrite the tenant's own row."""
    # Two levels down from the UPDATE: correlated by name, or it would read every policy.
    holder = select(Agent.agency_id).where(Agent.npn == _policy.c.agent_npn).correlate(_policy)
    tenant = top_of(holder.scalar_subquery())
    own = _policy.alias("tenant_row")
    taken = exists().where(
        own.c.tenant_id == tenant,
        own.c.carrier == _policy.c.carrier,
        own.c.carrier_policy_id == _policy.c.carrier_policy_id,
    )
    session.execute(
        update(_policy)
        .where(_policy.c.tenant_id == HELD_BY_OPERATOR, tenant.is_not(None), ~taken)
        .values(tenant_id=tenant)
    )
