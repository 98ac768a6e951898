"""What export plugins share (re-exported by `downline.plugins`): the list filters as export
parameters, the same filter objects the list queries take, and the writing agent's columns.

"Export what the list shows": a list-backed export turns its params into the list's filter and
calls the list's own query function, so its rows are the list's rows, in the list's order.
"""

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import Select
from sqlalchemy.orm import aliased

from downline.core.book import tenants
from downline.core.book.filters import ClientFilter, FilterField, LeadFilter, fields
from downline.core.book.paging import Key
from downline.core.book.scope import Principal
from downline.core.exports import paramtypes
from downline.core.exports.types import ExportColumn, ExportParameter
from downline.core.models import Agency, Agent, Policy
from downline.core.production.filters import ProductionFilter, ReconciliationFilter

F = TypeVar("F")


def parameters(declaration: type) -> tuple[ExportParameter, ...]:
    """A list filter's declared fields as export parameters: named, typed and defaulted as in
    the API, described by their meaning."""
    return tuple(_parameter(f) for f in fields(declaration))


def _parameter(f: FilterField) -> ExportParameter:
    kind = paramtypes.of(f.type)
    default = None if f.default is None else kind.write(f.default)
    return ExportParameter(f.api_name, kind.spelling, False, default, f.meaning)


def from_params(declaration: type[F], params: Mapping[str, Any]) -> F:
    """The list filter that validated export params describe; a param left out or null takes
    the field's declared default, as in the API."""
    values = {}
    for f in fields(declaration):
        value = params.get(f.api_name)
        values[f.name] = f.default if value is None else paramtypes.of(f.type).read(value)
    return declaration(**values)


CLIENT_FILTER = parameters(ClientFilter)
LEAD_FILTER = parameters(LeadFilter)
PRODUCTION_FILTER = parameters(ProductionFilter)
RECONCILIATION_FILTER = parameters(ReconciliationFilter)


def client_filter(params: Mapping[str, Any]) -> ClientFilter:
    return from_params(ClientFilter, params)


def lead_filter(params: Mapping[str, Any]) -> LeadFilter:
    return from_params(LeadFilter, params)


def production_filter(params: Mapping[str, Any]) -> ProductionFilter:
    return from_params(ProductionFilter, params)


def reconciliation_filter(params: Mapping[str, Any]) -> ReconciliationFilter:
    return from_params(ReconciliationFilter, params)


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


def ordered(query: Select, keys: Sequence[Key]) -> Select:
    """Order an export as its list is ordered."""
    return query.order_by(*(k.order() for k in keys))


def with_policy_agent(query: Select, principal: Principal) -> Select:
    """Join a production query's writing agent and its agency, as the list matches them: the
    agent holding each policy's NPN in the principal's tenant (never another tenant's), if any."""
    holder = tenants.holds_npn(writing_agent, principal.tenant_id)
    # From Policy by name: the condition's subquery leaves SQLAlchemy unable to tell which FROM
    # it joins, once an export's cells re-select the query's FROMs.
    query = query.outerjoin_from(Policy, writing_agent, holder)
    return query.outerjoin(writing_agency, writing_agency.id == writing_agent.agency_id)
