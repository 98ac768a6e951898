"""Carrier production as a principal sees it: the policy list and the summary, both over the
same scoped query. A principal sees only policies of its own tenant. A policy is visible by the
scope of the agent its NPN matches among that tenant's agents (matched at read time, so a moved
agent's production moves with it); a policy whose NPN matches none of them is visible to the
admins of the agency that owns the row and above (docs/domain.md). An upload may write over an
existing policy only where its uploader sees it (`outside_book`)."""

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import (
    ColumnElement,
    Date,
    FromClause,
    Select,
    and_,
    case,
    false,
    func,
    not_,
    select,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session

from downline.core.book import scope, tenants
from downline.core.book.hierarchy import descendants_of
from downline.core.book.paging import Key
from downline.core.book.scope import Principal
from downline.core.errors import BadUserInput
from downline.core.models import Agent, Policy
from downline.core.plugins import installed_parsers
from downline.core.production import matching
from downline.core.production.filters import ProductionFilter
from downline.core.production.lines import Lines, root_of

ORDER = (Key(Policy.updated_at, descending=True, kind=datetime), Key(Policy.id))

# What the agent should do about each termination reason (docs/domain.md).
GUIDANCE = {
    "DENIED": "Find the error in the application and re-enroll.",
    "PLAN_CHANGE": "Was the plan change intended? If not, reach out to the member.",
    "PLAN_EXIT": "Reach out to the member and review new plans.",
}


def guidance_of(term_reason):
    """GUIDANCE in SQL over a term reason column, null for a reason without guidance (export
    plugins have it as `downline.plugins.term_reason_guidance`)."""
    return case(GUIDANCE, value=term_reason)


# Each policy is joined to the agent its NPN matches in the policy's tenant (an NPN is unique
# among agents), under an alias so that the scope's own subqueries over `agent` stay uncorrelated
# with it.
_matched = aliased(Agent, name="matched_agent")


def policies_query(principal: Principal, f: ProductionFilter) -> Select:
    return scoped(select(Policy), principal, f)


def scoped(query: Select, principal: Principal, f: ProductionFilter) -> Select:
    """`query` (over Policy) joined to the matched agent, limited to what `principal` may see."""
    in_tenant = _with_matched(query, principal).where(Policy.tenant_id == principal.tenant_id)
    return in_tenant.where(_visible(principal, f), *_filters(f, principal))


def sees(principal: Principal, policy) -> ColumnElement:
    """`principal` may see `policy` (an alias of Policy in the caller's query), by `seen`, the
    agent holding its NPN looked up per policy (a probe of the NPN's unique index) rather than
    joined: for queries where a policy is a column among many, seldom asked."""
    holder = aliased(Agent, name="policy_holder")
    held = select(holder.id).where(tenants.holds_npn(holder, principal.tenant_id, policy))
    columns = Holder(
        held.scalar_subquery(), held.with_only_columns(holder.agency_id).scalar_subquery()
    )
    return seen(principal, columns, policy.owner_agency_id)


@dataclass(frozen=True)
class Holder:
    """The agent holding a policy's NPN, as the two columns `seen` reads."""

    id: ColumnElement
    agency_id: ColumnElement


def _with_matched(query: Select, principal: Principal) -> Select:
    """`query` joined to the agent holding each policy's NPN in the principal's tenant: the only
    tenant whose policies it may see (or write)."""
    return query.outerjoin_from(Policy, _matched, tenants.holds_npn(_matched, principal.tenant_id))


def outside_book(principal: Principal, carrier: str, staged: FromClause) -> Select:
    """The `line`s of `staged` (carrier_policy_id, line) naming a policy that the uploader's
    tenant holds and the uploader may not see: writing over it would take another agent's
    policy. One statement for a whole batch of rows."""
    existing = and_(
        Policy.tenant_id == principal.tenant_id,
        Policy.carrier == carrier,
        Policy.carrier_policy_id == staged.c.carrier_policy_id,
    )
    query = select(staged.c.line).select_from(staged).join(Policy, existing)
    # Unseen includes NULL: an unmatched policy owned by no agency is nobody's to write over.
    seen = func.coalesce(_visible(principal, ProductionFilter()), false())
    return _with_matched(query, principal).where(not_(seen))


# The agency a policy belongs to: its matched agent's, else (unmatched) the agency owning the row.
_agency = case((_matched.id.is_(None), Policy.owner_agency_id), else_=_matched.agency_id)


def _visible(principal: Principal, f: ProductionFilter):
    return seen(principal, _matched, Policy.owner_agency_id, f)


def seen(principal: Principal, holder, owner_agency_id, f: ProductionFilter = ProductionFilter()):
    """Whether `principal` may see a policy whose NPN `holder` holds (an Agent alias or a
    `Holder`: its `id` and `agency_id`, NULL when no agent of the tenant does) and
    `owner_agency_id` owns: the one rule of production's visibility."""
    if not principal.is_admin:
        return holder.id.in_(scope.filter_agent_ids(principal, f.agent_ids, f.agency_ids))
    # An admin sees a matched policy by its agent's agency and an unmatched one by the agency
    # that owns the row: one column in one IN, which PostgreSQL hash-joins (an OR of two
    # subqueries it cannot).
    agency = case((holder.id.is_(None), owner_agency_id), else_=holder.agency_id)
    visible = agency.in_(scope.agency_ids(principal))
    if f.agency_ids is not None:
        visible = and_(visible, agency.in_(descendants_of(f.agency_ids)))
    if f.agent_ids is not None:
        visible = and_(visible, holder.id.in_(f.agent_ids))
    return visible


def _filters(f: ProductionFilter, principal: Principal) -> list:
    conditions = []
    if f.without_application is not None:
        carriers = matching.carrier_of(installed_parsers())
        matched = matching.has_application(Policy, carriers, principal.tenant_id)
        conditions.append(~matched if f.without_application else matched)
    if f.carriers is not None:
        conditions.append(Policy.carrier.in_([c.strip().lower() for c in f.carriers]))
    if f.product_types is not None:
        conditions.append(Policy.product_type.in_(f.product_types))
    if f.statuses is not None:
        conditions.append(Policy.status.in_(f.statuses))
    if f.states is not None:
        conditions.append(Policy.state.in_([s.strip().upper() for s in f.states]))
    if f.effective_from is not None:
        conditions.append(Policy.effective_date >= f.effective_from)
    if f.effective_to is not None:
        conditions.append(Policy.effective_date <= f.effective_to)
    if f.not_seen_since is not None:
        conditions.append(Policy.last_seen_as_of < f.not_seen_since)
    if f.updated_since is not None:
        conditions.append(Policy.updated_at >= _in_utc(f.updated_since, "updatedSince"))
    return conditions


def _in_utc(moment: datetime, name: str) -> datetime:
    """An instant in UTC; one without an offset is read as UTC, as every stored time is."""
    try:
        return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    except OverflowError:  # 0001-01-01T00:00:00+05:00 is before the first UTC day
        raise BadUserInput(f"{name} {moment.isoformat()} is out of range", field=name) from None


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
    session: Session,
    principal: Principal,
    group_by: list[str],
    f: ProductionFilter,
    downline_of: str | None = None,
) -> list[dict]:
    """ONE GROUP BY over the scoped policies: a dict per group with the dimensions asked for
    (the others None) and the counts (docs/domain.md). DOWNLINE groups by the lines under
    `downline_of` (default: the viewer's own agency; lines.py), each the pair (sub-agency id,
    agent id); naming `downline_of` keeps the summary to that agency's downline, grouped by lines
    or not. Naming an agency below the viewer's own costs one lookup first (NOT_FOUND when out
    of scope)."""
    dims = list(dict.fromkeys(group_by))  # a dimension named twice groups once
    lines = None
    if "DOWNLINE" in dims or downline_of is not None:
        lines = Lines(root_of(session, principal, downline_of), _matched, _agency)
    columns = [column for d in dims for column in _grouped(d, lines)]
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
        .group_by(*columns)
        .order_by(*(column.asc().nulls_last() for column in columns))
    )
    query = scoped(query, principal, f)
    if lines is not None:
        query = lines.joined(query)  # after the matched agent, which its joins read
    rows = []
    for row in session.execute(query).mappings():
        bucket = {d: None for d in (*DIMENSIONS, "DOWNLINE")} | dict(row)
        if "DOWNLINE" in dims:
            bucket["DOWNLINE"] = (bucket.pop("line_agency"), bucket.pop("line_agent"))
        bucket["net"] = bucket["approved"] + bucket["active"]
        rows.append(bucket)
    return rows


def _grouped(dimension: str, lines: Lines | None) -> tuple:
    """The labelled column(s) a dimension groups by: DOWNLINE's two, else its own."""
    if dimension == "DOWNLINE":
        return (lines.sub_agency.label("line_agency"), lines.agent.label("line_agent"))
    return (DIMENSIONS[dimension].label(dimension),)
