"""Reconciliation: each submitted application against its tenant's carrier policies, with a
status and a reason (docs/domain.md, "Effectuation"). One function builds the SELECT behind the
list, `Client.reconciliation`, the summary and the `effectuation` export, so they answer alike.

The applications are the Clients list's own (its scope, filters and order), submitted only; each
is matched at read time (core/production/matching.py) and its status decided by one CASE in the
order of precedence. The matched policy is shown only where the viewer may see it; its status
stands either way.
"""

from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, literal, null, or_, select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from downline.core import db
from downline.core.book import clients
from downline.core.book.lines import with_lines
from downline.core.book.scope import Principal, agency_ids
from downline.core.config import get_settings
from downline.core.errors import NotFound
from downline.core.models import Agent, Client, Policy
from downline.core.plugins import installed_parsers
from downline.core.production import matching, reasons
from downline.core.production import queries as production
from downline.core.production.days import plus_days, utc_day
from downline.core.production.filters import ProductionFilter, ReconciliationFilter
from downline.core.production.vocabulary import ReconciliationStatus as S

ORDER = clients.ORDER  # the Clients list's
ENDED = ("ATTRITED", "POLICY_DISENROLLMENT", "DECEASED")
# Not counted in the effectuation rate: nothing to effectuate against, or nothing reported yet.
UNRATED = (S.NO_CARRIER_FEED, S.AWAITING_CARRIER)
GUIDANCE = production.GUIDANCE


@dataclass(frozen=True)
class Reconciled:
    """The applications' SELECT (joined, scoped, filtered; it selects Client) and the expressions
    of each one's reconciliation, to select from it."""

    query: Select
    status: ColumnElement
    reason: ColumnElement
    carrier_key: ColumnElement  # the plugin its carrier names, NULL for NO_CARRIER_FEED
    agent: Any  # the client's agent (an alias of Agent)
    policy: Any  # the matched policy (an alias of Policy; NULL where none matched)
    policy_shown: ColumnElement  # a policy matched and the viewer may see it

    def shown(self, column) -> ColumnElement:
        """A column of the matched policy, NULL where the viewer may not see it."""
        return case((self.policy_shown, column), else_=null())

    def select(self, *cells: ColumnElement) -> Select:
        """`cells` (expressions over this reconciliation) of every application, in the list's
        order: an export's query. They are selected through a subquery, so that whoever
        re-selects this query's columns (the COPY writer formats each cell) finds one FROM,
        not the joins it would have to untangle again."""
        order = [key.column.label(f"order_{i}") for i, key in enumerate(ORDER)]
        named = [cell.label(f"cell_{i}") for i, cell in enumerate(cells)]
        inner = self.query.with_only_columns(*named, *order).subquery("application")
        keys = [replace(key, column=inner.c[f"order_{i}"]) for i, key in enumerate(ORDER)]
        picked = [inner.c[f"cell_{i}"] for i in range(len(cells))]
        return select(*picked).order_by(*(key.order() for key in keys))

    def guidance(self) -> ColumnElement:
        reason = self.policy.term_reason
        return self.shown(case(*((reason == k, v) for k, v in GUIDANCE.items()), else_=null()))


def reconciled(principal: Principal, f: ReconciliationFilter) -> Reconciled:
    """The reconciliation of the applications `principal` sees under `f`, matched against the
    carrier plugins installed now."""
    tenant = principal.tenant_id
    agent = aliased(Agent, name="client_agent")
    carriers = matching.carrier_of(installed_parsers())
    reported = matching.latest_reports(tenant)
    # Each join names its left side: an export re-selects only its cells from this query, and
    # SQLAlchemy then cannot tell which FROM a join without one hangs on.
    query = (
        clients.clients_query(principal, f.client_filter())
        .join_from(Client, agent, agent.id == Client.agent_id)
        .outerjoin_from(Client, carriers, carriers.c.name == Client.carrier_name_key)
    )
    lateral = db.get_engine().dialect.name == "postgresql"
    query, policy, visible = matching.with_matched_policy(
        query,
        Client,
        agent.npn,
        carriers.c.key,
        tenant,
        partial(_shown, principal, agent),
        lateral=lateral,
    )
    query = query.outerjoin_from(Client, reported, reported.c.carrier == carriers.c.key)
    submitted = utc_day(Client.submitted_at)
    awaited = plus_days(submitted, get_settings().reconcile_grace_days)
    matched = policy.id.is_not(None)
    # Each status but the last with its condition, in the order of precedence.
    when = {
        S.NO_CARRIER_FEED: carriers.c.key.is_(None),
        S.AGENT_OF_RECORD_ELSEWHERE: matched & (policy.agent_npn != agent.npn),
        S.EFFECTUATED: policy.status == "ACTIVE",
        S.PENDING: policy.status == "APPROVED",
        S.ENDED: policy.status.in_(ENDED),
        S.UNKNOWN: matched,
        S.NOT_IN_CARRIER_REPORTS: reported.c.as_of >= awaited,
    }
    status = case(
        *((condition, s.value) for s, condition in when.items()), else_=S.AWAITING_CARRIER.value
    )
    shown = func.coalesce(visible, False)
    facts = reasons.Facts(
        carrier_written=Client.carrier,
        carrier_named=carriers.c.named,
        carrier_title=carriers.c.title,
        agent_name=agent.name,
        agent_npn=agent.npn,
        policy_shown=shown,
        policy_npn=policy.agent_npn,
        policy_status=policy.status,
        effective=policy.effective_date,
        term=policy.term_date,
        term_reason=policy.term_reason,
        reported_as_of=reported.c.as_of,
        submitted=submitted,
        awaited=awaited,
    )
    if f.carriers is not None:
        query = query.where(carriers.c.key.in_(f.carriers))
    if f.statuses is not None:
        query = query.where(status.in_([s.value for s in f.statuses]))
    reason = reasons.reason(when, facts)
    return Reconciled(query, status, reason, carriers.c.key, agent, policy, shown)


def _shown(principal: Principal, agent, policy) -> ColumnElement:
    """The viewer may see `policy`. One under the client's agent's NPN is that agent's, whom the
    viewer sees with the client: only another NPN needs its holder looked up."""
    return or_(policy.agent_npn == agent.npn, production.sees(principal, policy))


def counted(principal: Principal, f: ReconciliationFilter) -> Select:
    """A SELECT with as many rows as `reconciled(principal, f).query`, cheap to count: without
    statuses or carriers to filter on, the Clients list's own (matching never adds or drops an
    application), so no application is matched only to be counted."""
    if f.statuses is not None or f.carriers is not None:
        return reconciled(principal, f).query
    return clients.clients_query(principal, f.client_filter())


def listed(r: Reconciled, ids: list[str] | None = None) -> Select:
    """Each application's client columns, status, reason and `policy_id` (the matched policy's,
    NULL where the viewer may not see it): the rows of the list and of `Client.reconciliation`
    (those of `ids`)."""
    query = r.query.add_columns(
        r.status.label("status"), r.reason.label("reason"), r.shown(r.policy.id).label("policy_id")
    )
    return query if ids is None else query.where(Client.id.in_(ids))


def by_client(session: Session, principal: Principal, ids: list[str]) -> dict[str, Any]:
    """The reconciliation rows of the clients `ids` that are applications the viewer sees
    (submitted, not archived), by client id: one statement for a whole page."""
    query = listed(reconciled(principal, ReconciliationFilter()), ids)
    return {row.id: row for row in session.connection().execute(query)}


DIMENSIONS = ("AGENT", "DOWNLINE", "CARRIER", "STATUS", "MONTH")


def summary(
    session: Session,
    principal: Principal,
    group_by: list[str],
    f: ReconciliationFilter,
    downline_of: str | None = None,
) -> list[dict]:
    """ONE GROUP BY over the reconciled applications: a dict per group with the dimensions asked
    for (the others None; DOWNLINE as LINE_AGENCY and LINE_AGENT), `count`, `effectuated` and
    `rated` (the applications the effectuation rate is over)."""
    r = reconciled(principal, f)
    dims = list(dict.fromkeys(group_by))
    query, line = r.query, (null(), null())
    if "DOWNLINE" in dims or downline_of is not None:
        lines = with_lines(r.query, principal, downline_of, r.agent)
        query, line = lines.query, (lines.agency, lines.agent)
        if downline_of is not None:
            query = query.where(lines.within, _in_scope(principal, downline_of))
    month = production.month_start(utc_day(Client.submitted_at))
    columns = {
        "AGENT": [Client.agent_id.label("AGENT")],
        "DOWNLINE": [line[0].label("LINE_AGENCY"), line[1].label("LINE_AGENT")],
        "CARRIER": [r.carrier_key.label("CARRIER")],
        "STATUS": [r.status.label("STATUS")],
        "MONTH": [month.label("MONTH")],
    }
    per_application = query.with_only_columns(
        *(c for d in DIMENSIONS for c in columns[d]), r.status.label("reconciled")
    ).subquery("application")
    grouped = [per_application.c[c.name] for d in dims for c in columns[d]]
    status = per_application.c.reconciled
    counts = [
        func.count().label("count"),
        func.coalesce(func.sum(case((status == S.EFFECTUATED.value, 1), else_=0)), 0).label(
            "effectuated"
        ),
        func.coalesce(func.sum(case((status.in_(UNRATED), 0), else_=1)), 0).label("rated"),
    ]
    ordered = [c.asc().nulls_last() for c in grouped]
    statement = (
        per_application.select()
        .with_only_columns(*grouped, *counts)
        .group_by(*grouped)
        .order_by(*ordered)
    )
    rows = [_bucket(row) for row in session.execute(statement).mappings()]
    # Out of scope, `downline_of` selects nothing; only then is it worth a second statement.
    if downline_of is not None and not any(row["count"] for row in rows):
        _check_scope(session, principal, downline_of)
    return rows


def _bucket(row) -> dict:
    names = ("AGENT", "LINE_AGENCY", "LINE_AGENT", "CARRIER", "STATUS", "MONTH")
    bucket = {name: None for name in names} | dict(row)
    bucket["DOWNLINE"] = "LINE_AGENCY" in row
    return bucket


def _in_scope(principal: Principal, downline_of: str) -> ColumnElement:
    """`downline_of` is an agency the viewer sees (an agent user: its own agency)."""
    if not principal.is_admin:
        return literal(principal.agency_id == downline_of)
    return literal(downline_of).in_(agency_ids(principal))


def _check_scope(session: Session, principal: Principal, downline_of: str) -> None:
    """An empty summary for `downline_of`: NOT_FOUND when it is out of scope (or unknown)."""
    if not session.execute(select(_in_scope(principal, downline_of))).scalar():
        raise NotFound("no such agency in your downline", field="downlineOf")


def shown_policies(session: Session, principal: Principal, ids: list[str]) -> dict[str, Any]:
    """The policies `ids` that `principal` may see (production's scope, checked again), by id,
    as plain rows: a page's matched policies in one statement."""
    query = production.policies_query(principal, ProductionFilter()).where(Policy.id.in_(ids))
    return {row.id: row for row in session.connection().execute(query)}
