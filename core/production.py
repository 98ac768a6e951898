"""Carrier production as a principal sees it: the policy list and the summary, both over the
same scoped query. A policy is visible by the scope of the agent its NPN matches (matched at
read time, so a moved agent's production moves with it); a policy whose NPN matches no agent is
visible to the admins of the agency that owns the row and above (production.md)."""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Date, Select, and_, case, exists, func, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session

from downline.core import scope
from downline.core.hierarchy import descendants_of
from downline.core.models import Agent, Policy
from downline.core.paging import Key
from downline.core.scope import Principal

ORDER = (Key(Policy.updated_at, descending=True, kind=datetime), Key(Policy.id))

# What the agent should do about each termination reason (production.md).
GUIDANCE = {
    "DENIED": "Find the error in the application and re-enroll.",
    "PLAN_CHANGE": "Was the plan change intended? If not, reach out to the member.",
    "PLAN_EXIT": "Reach out to the member and review new plans.",
}


@dataclass(frozen=True)
class ProductionFilter:
    agent_ids: list[str] | None = None
    agency_ids: list[str] | None = None  # the whole downline of each
    carriers: list[str] | None = None
    product_types: list[str] | None = None
    statuses: list[str] | None = None
    states: list[str] | None = None
    effective_from: date | None = None
    effective_to: date | None = None


def policies_query(principal: Principal, f: ProductionFilter) -> Select:
    return select(Policy).where(_visible(principal, f), *_filters(f))


def _visible(principal: Principal, f: ProductionFilter):
    agents = scope.filter_agent_ids(principal, f.agent_ids, f.agency_ids)
    matched = Policy.agent_npn.in_(select(Agent.npn).where(Agent.id.in_(agents)))
    if not principal.is_admin or f.agent_ids is not None:
        return matched
    owners = scope.agency_ids(principal)
    if f.agency_ids is not None:
        owners = owners.where(scope.agency_column(owners).in_(descendants_of(f.agency_ids)))
    unmatched = and_(
        Policy.owner_agency_id.in_(owners),
        ~exists(select(Agent.id).where(Agent.npn == Policy.agent_npn)),
    )
    return or_(matched, unmatched)


def _filters(f: ProductionFilter) -> list:
    conditions = []
    if f.carriers is not None:
        conditions.append(Policy.carrier.in_([c.lower() for c in f.carriers]))
    if f.product_types is not None:
        conditions.append(Policy.product_type.in_(f.product_types))
    if f.statuses is not None:
        conditions.append(Policy.status.in_(f.statuses))
    if f.states is not None:
        conditions.append(Policy.state.in_([s.upper() for s in f.states]))
    if f.effective_from is not None:
        conditions.append(Policy.effective_date >= f.effective_from)
    if f.effective_to is not None:
        conditions.append(Policy.effective_date <= f.effective_to)
    return conditions


class month_start(FunctionElement):
    """The first day of a date's month, in each dialect's words."""

    type = Date()
    inherit_cache = True


@compiles(month_start)
def _month_start_postgresql(element, compiler, **kw):
    return f"CAST(date_trunc('month', {compiler.process(element.clauses, **kw)}) AS DATE)"


@compiles(month_start, "sqlite")
def _month_start_sqlite(element, compiler, **kw):
    return f"date({compiler.process(element.clauses, **kw)}, 'start of month')"


# The summary joins each policy to its agent under an alias, so that the scope's own subqueries
# over `agent` stay uncorrelated with it.
_matched = aliased(Agent, name="matched_agent")
DIMENSIONS = {
    "AGENT": _matched.id,
    "AGENCY": _matched.agency_id,
    "CARRIER": Policy.carrier,
    "PRODUCT_TYPE": Policy.product_type,
    "MONTH": month_start(Policy.effective_date),
    "STATUS": Policy.status,
    "STATE": Policy.state,
}


def _count(*statuses: str):
    return func.coalesce(func.sum(case((Policy.status.in_(statuses), 1), else_=0)), 0)


def summary(
    session: Session, principal: Principal, group_by: list[str], f: ProductionFilter
) -> list[dict]:
    """ONE GROUP BY over the scoped policies: a dict per group with the dimensions asked for
    (the others None) and the counts of production.md."""
    dims = list(dict.fromkeys(group_by))  # a dimension named twice groups once
    columns = [DIMENSIONS[d].label(d) for d in dims]
    query = (
        select(
            *columns,
            func.count().label("submitted"),
            _count("APPROVED").label("approved"),
            _count("ACTIVE").label("active"),
            _count("ATTRITED").label("attrited"),
            _count("POLICY_DISENROLLMENT", "DECEASED").label("disenrolled"),
        )
        .select_from(Policy)
        .outerjoin(_matched, _matched.npn == Policy.agent_npn)
        .where(_visible(principal, f), *_filters(f))
        .group_by(*(DIMENSIONS[d] for d in dims))
        .order_by(*(DIMENSIONS[d].asc().nulls_last() for d in dims))
    )
    rows = []
    for row in session.execute(query).mappings():
        bucket = {d: None for d in DIMENSIONS} | dict(row)
        bucket["net"] = bucket["approved"] + bucket["active"]
        rows.append(bucket)
    return rows
