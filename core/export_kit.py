"""What export plugins share (re-exported by `downline.plugins`): the list filters as export
parameters, the same filter objects the list queries take, and the writing agent's columns.

"Export what the list shows": a list-backed export turns its params into the list's filter and
calls the list's own query function, so its rows are the list's rows, in the list's order.
"""

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Select
from sqlalchemy.orm import aliased

from downline.core import tenants
from downline.core.clients import ClientFilter
from downline.core.export_plugins import ExportColumn, ExportParameter
from downline.core.leads import LeadFilter
from downline.core.models import Agency, Agent, Policy
from downline.core.paging import Key
from downline.core.production import ProductionFilter
from downline.core.scope import Principal


def _p(name: str, type_: str, description: str, default: Any = None) -> ExportParameter:
    return ExportParameter(name, type_, False, default, description)


CLIENT_FILTER = (
    _p("agentIds", "[ID!]", "Only these agents' clients."),
    _p("agencyIds", "[ID!]", "Only the clients of these agencies' whole downline."),
    _p("submittedFrom", "Date", "Last submitted on or after this day (UTC)."),
    _p("submittedTo", "Date", "Last submitted on or before this day (UTC)."),
    _p("includeUnsubmitted", "Boolean", "Also applications never submitted from here.", False),
    _p("includeArchived", "Boolean", "Also archived clients.", False),
    _p(
        "includeThreeWayCallResolved",
        "Boolean",
        "Also enrollments finished on a 3-way call after an Invalid Action error.",
        False,
    ),
    _p("exchange", "Exchange", "ON_EX or OFF_EX."),
    _p("states", "[String!]", "Two-letter states."),
    _p("search", "String", "Name, email, phone or application id contains this."),
)

LEAD_FILTER = (
    _p("agentIds", "[ID!]", "Only these agents' leads."),
    _p("agencyIds", "[ID!]", "Only the leads of these agencies' whole downline."),
    _p("statuses", "[String!]", "new, contacted, quoted, converted, lost."),
    _p("createdFrom", "Date", "Created on or after this day (UTC)."),
    _p("createdTo", "Date", "Created on or before this day (UTC)."),
    _p("search", "String", "Name, email or phone contains this."),
)

PRODUCTION_FILTER = (
    _p("agentIds", "[ID!]", "Only these agents' policies."),
    _p("agencyIds", "[ID!]", "Only the policies of these agencies' whole downline."),
    _p("carriers", "[String!]", "Carrier keys, e.g. humana."),
    _p("productTypes", "[ProductType!]", "MAPD, MA, PDP, ..."),
    _p("statuses", "[PolicyStatus!]", "APPROVED, ACTIVE, ..."),
    _p("states", "[String!]", "Two-letter states."),
    _p("effectiveFrom", "Date", "Effective on or after this day."),
    _p("effectiveTo", "Date", "Effective on or before this day."),
)


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def client_filter(params: Mapping[str, Any]) -> ClientFilter:
    exchange = params.get("exchange")
    return ClientFilter(
        agent_ids=params.get("agentIds"),
        agency_ids=params.get("agencyIds"),
        submitted_from=_day(params.get("submittedFrom")),
        submitted_to=_day(params.get("submittedTo")),
        include_unsubmitted=bool(params.get("includeUnsubmitted")),
        include_archived=bool(params.get("includeArchived")),
        include_three_way_call_resolved=bool(params.get("includeThreeWayCallResolved")),
        exchange=exchange.lower() if exchange else None,
        states=params.get("states"),
        search=params.get("search"),
    )


def lead_filter(params: Mapping[str, Any]) -> LeadFilter:
    return LeadFilter(
        agent_ids=params.get("agentIds"),
        agency_ids=params.get("agencyIds"),
        statuses=params.get("statuses"),
        created_from=_day(params.get("createdFrom")),
        created_to=_day(params.get("createdTo")),
        search=params.get("search"),
    )


def production_filter(params: Mapping[str, Any]) -> ProductionFilter:
    return ProductionFilter(
        agent_ids=params.get("agentIds"),
        agency_ids=params.get("agencyIds"),
        carriers=params.get("carriers"),
        product_types=params.get("productTypes"),
        statuses=params.get("statuses"),
        states=params.get("states"),
        effective_from=_day(params.get("effectiveFrom")),
        effective_to=_day(params.get("effectiveTo")),
    )


# The writing agent (and its agency) joined under aliases, so the scope's own subqueries over
# `agent` and `agency` stay uncorrelated with them.
writing_agent = aliased(Agent, name="writing_agent")
writing_agency = aliased(Agency, name="writing_agency")

AGENT_COLUMNS = (
    ExportColumn("agent_name", "The writing agent's name."),
    ExportColumn("agent_npn", "The writing agent's National Producer Number."),
)
AGENT_CELLS = (writing_agent.name.label("agent_name"), writing_agent.npn.label("agent_npn"))


def with_agent(query: Select, agent_id_column, *, agency: bool = False) -> Select:
    """Join the writing agent (and, if asked, its agency) onto `query`."""
    query = query.join(writing_agent, writing_agent.id == agent_id_column)
    if agency:
        query = query.join(writing_agency, writing_agency.id == writing_agent.agency_id)
    return query


def with_policy_agent(query: Select, principal: Principal) -> Select:
    """Join a production query's writing agent and its agency, as the list matches them: the
    agent holding each policy's NPN in the principal's tenant (never another tenant's), if any."""
    holder = tenants.holds_npn(writing_agent, principal.tenant_id)
    # From Policy by name: the condition's subquery leaves SQLAlchemy unable to tell which FROM
    # it joins, once an export's cells re-select the query's FROMs.
    query = query.outerjoin_from(Policy, writing_agent, holder)
    return query.outerjoin(writing_agency, writing_agency.id == writing_agent.agency_id)


def ordered(query: Select, keys: Sequence[Key]) -> Select:
    """Order an export as its list is ordered."""
    return query.order_by(*(k.order() for k in keys))
