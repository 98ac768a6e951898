"""Effectuation's match, as SQL pieces shared by every query that needs it: an application's
reconciliation (core/production/reconciliation.py) and production's `withoutApplication` filter.

Everything is read at query time, so installing a carrier plugin, loading a client, ingesting a
report or moving an agent changes the answers at once:

- **Carrier.** The normalised names every installed plugin answers to (`naming.carrier_names`)
  go into each statement as a small union of literal rows (built once per set of plugins). They
  meet the distinct normalised carriers written on applications (`client.carrier_name_key`,
  listed by a loose index scan: one index probe per distinct name, not a scan of every client),
  giving `carrier_of`: each written name with the plugins it names (`named`), and the plugin's
  key and title when it names exactly one. An application reaches its plugin by one equality
  join on its stored name.
- **Person and year.** `person_matches`: the stored last-name keys, the date of birth and the
  state equal, within the policy's tenant, and the effective date in the plan year (or within
  366 days after the submission day, without a plan year). `ix_policy_person` serves it from an
  application, `ix_client_person` from a policy.
- **Choice.** `with_matched_policy`: among the matches, the client's agent's NPN first, then the
  latest effective date, then the smallest policy id (a LATERAL subquery on PostgreSQL,
  `chosen_policy` on SQLite).
"""

import functools
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import (
    CTE,
    ColumnElement,
    Select,
    String,
    and_,
    case,
    distinct,
    exists,
    extract,
    false,
    func,
    literal,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import aliased

from downline.core.book.hierarchy import descendants_of
from downline.core.carriers.parsers import CarrierParser
from downline.core.models import Agent, CarrierReport, Client, Policy
from downline.core.production.days import plus_days, utc_day
from downline.core.production.naming import CarrierName, carrier_names

# Without a plan year, a policy effective within this many days after the submission day.
DAYS_AFTER_SUBMISSION = 366

_client = Client.__table__


def carrier_of(parsers: Mapping[str, CarrierParser]) -> CTE:
    """(name, key, title, named): each normalised carrier name written on an application that
    names at least one installed plugin; `key` and `title` (the plugin's name) only when it names
    exactly one (`named` = 1). A name naming none has no row."""
    return _carrier_of(tuple(carrier_names(parsers)))


# Built once per set of installed names: an expression is immutable, so every statement may
# share it, and building it (a union of some fifty rows) costs more than the rest of a page.
@functools.lru_cache(maxsize=8)
def _carrier_of(plugin_names: tuple[CarrierName, ...]) -> CTE:
    names = _plugin_names(plugin_names)
    written = _written_names()
    starts_with = func.substr(written.c.name, 1, func.length(names.c.prefix)) == names.c.prefix
    named = func.count(distinct(names.c.key))
    return (
        select(
            written.c.name,
            case((named == 1, func.min(names.c.key))).label("key"),
            case((named == 1, func.min(names.c.title))).label("title"),
            named.label("named"),
        )
        .join_from(written, names, starts_with)
        .group_by(written.c.name)
        .cte("carrier_of")
    )


def _plugin_names(plugin_names: tuple[CarrierName, ...]) -> CTE:
    """The installed plugins' normalised names as rows (prefix, key, title)."""
    rows = [
        select(
            literal(n.prefix, String).label("prefix"),
            literal(n.key, String).label("key"),
            literal(n.title, String).label("title"),
        )
        for n in plugin_names
    ]
    if not rows:
        none = literal(None, String)
        rows = [select(none.label("prefix"), none.label("key"), none.label("title")).where(false())]
    return (union_all(*rows) if len(rows) > 1 else rows[0]).cte("plugin_name")


def _written_names() -> CTE:
    """The distinct `client.carrier_name_key`s, by a loose index scan: the smallest, then
    repeatedly the smallest above the last one (its last row is NULL)."""
    first = _client.alias("first_written")
    written = select(func.min(first.c.carrier_name_key).label("name")).cte(
        "written_name", recursive=True
    )
    later = _client.alias("later_written")
    following = (
        select(func.min(later.c.carrier_name_key))
        .where(later.c.carrier_name_key > written.c.name)
        .scalar_subquery()
    )
    return written.union_all(select(following).where(written.c.name.is_not(None)))


def in_plan_year(effective: ColumnElement, client) -> ColumnElement:
    """The policy's effective date falls in the client's plan year, or, without one, within
    DAYS_AFTER_SUBMISSION days after the submission day (UTC)."""
    submitted = utc_day(client.submitted_at)
    return or_(
        and_(client.plan_year.is_not(None), extract("year", effective) == client.plan_year),
        and_(
            client.plan_year.is_(None),
            effective >= submitted,
            effective <= plus_days(submitted, DAYS_AFTER_SUBMISSION),
        ),
    )


def person_matches(policy, client, carrier_key: ColumnElement, tenant_id: str) -> ColumnElement:
    """`policy` (a Policy alias) is one of `client`'s (a Client alias) policies, the client's
    carrier naming the plugin `carrier_key`: the match rule but the choice."""
    return and_(
        policy.tenant_id == tenant_id,
        policy.carrier == carrier_key,
        policy.last_name_key == client.last_name_key,
        policy.date_of_birth == client.date_of_birth,
        func.upper(policy.state) == client.state,
        in_plan_year(policy.effective_date, client),
    )


def with_matched_policy(
    query: Select,
    client,
    agent_npn,
    carrier_key,
    tenant_id: str,
    shown: Callable[[Any], ColumnElement],
    *,
    lateral: bool,
) -> tuple[Select, Any, ColumnElement]:
    """`query` (over `client`) outer-joined to the policy matched to each application; that
    policy (an alias of Policy, NULL where none matched); and `shown(policy)`, read once per
    application (NULL where none matched).

    `lateral` (PostgreSQL): a LATERAL subquery, the choice in its ORDER BY, `shown` one of its
    columns: PostgreSQL then reads each application's few candidates by `ix_policy_person` and
    nothing else, where a join on a computed id let it hash the whole policy table, and each
    cell that depends on `shown` does not work it out again. Otherwise (SQLite, which has no
    LATERAL): the chosen id by `chosen_policy`, joined on the primary key."""
    if not lateral:
        policy = aliased(Policy, name="matched_policy")
        chosen = chosen_policy(client, agent_npn, carrier_key, tenant_id)
        joined = query.outerjoin_from(client, policy, policy.id == chosen)
        return joined, policy, case((policy.id.is_not(None), shown(policy)))
    candidate = aliased(Policy, name="candidate")
    agents_own = case((candidate.agent_npn == agent_npn, 0), else_=1)
    best = (
        select(candidate, shown(candidate).label("shown"))
        .where(person_matches(candidate, client, carrier_key, tenant_id))
        .order_by(agents_own, candidate.effective_date.desc(), candidate.id)
        .limit(1)
        .lateral("matched_policy")
    )
    policy = aliased(Policy, best)
    return query.outerjoin_from(client, policy, true()), policy, best.c.shown


def chosen_policy(client, agent_npn, carrier_key, tenant_id: str) -> ColumnElement:
    """The id of the policy matched to `client` (correlated), or NULL: among its matches, one
    under `agent_npn` (the client's agent's) if any, then the latest effective date, then the
    smallest id. Two subqueries, the second read only when the first finds nothing: an ORDER BY
    naming the outer agent is not allowed in a SQLite subquery."""

    def latest(own: bool):
        candidate = aliased(Policy, name="candidate")
        npn = candidate.agent_npn == agent_npn if own else candidate.agent_npn != agent_npn
        return (
            select(candidate.id)
            .where(person_matches(candidate, client, carrier_key, tenant_id), npn)
            .order_by(candidate.effective_date.desc(), candidate.id)
            .limit(1)
            .scalar_subquery()
        )

    return func.coalesce(latest(own=True), latest(own=False))


def has_application(policy, carriers: CTE, tenant_id: str) -> ColumnElement:
    """Some application of the tenant (submitted, not archived) matches `policy`."""
    application = aliased(Client, name="application")
    named = select(carriers.c.key).where(carriers.c.name == application.carrier_name_key)
    in_tenant = select(Agent.id).where(Agent.agency_id.in_(descendants_of([tenant_id])))
    return exists().where(
        application.submitted_at.is_not(None),
        application.archived.is_(False),
        application.agent_id.in_(in_tenant),
        person_matches(policy, application, named.scalar_subquery(), tenant_id),
    )


def latest_reports(tenant_id: str) -> CTE:
    """(carrier, as_of): the newest as-of of each carrier's SUCCEEDED reports in the tenant:
    uploaded by a user of the tenant, or by the operator (whose ingest files each row into the
    tenant of its NPN's agent, so its report speaks for every tenant)."""
    report = CarrierReport
    uploaded_here = or_(
        report.uploader_agency_id.is_(None),
        report.uploader_agency_id.in_(descendants_of([tenant_id])),
    )
    return (
        select(report.carrier, func.max(report.as_of).label("as_of"))
        .where(report.status == "SUCCEEDED", report.carrier.is_not(None), uploaded_here)
        .group_by(report.carrier)
        .cte("reported")
    )
