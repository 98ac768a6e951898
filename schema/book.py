"""Clients and leads: their types, their filter inputs (derived from core's filters), and the
`clients` and `leads` lists of the Query root."""

from collections.abc import Callable, Sequence
from datetime import date, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Annotated

import strawberry
from sqlalchemy import Select
from strawberry.types import Info

from downline.core import models
from downline.core.book import clients, filters, leads, roster
from downline.core.book.filters import ClientFilter, LeadFilter
from downline.schema.filters import filter_input
from downline.schema.hierarchy import Agent, load_agent, page_agents
from downline.schema.plans import read_ahead
from downline.schema.relay import Connection, Node, asks_for, list_connection

if TYPE_CHECKING:
    from downline.schema.reconciliation import Reconciliation

Exchange = strawberry.enum(filters.Exchange, name="Exchange")
_EXCHANGES = {e.value: e for e in Exchange}  # a page's lookups: Exchange(value) costs 1 us a row

# The columns a page reads, in the order `from_columns` takes them (not the whole row: a client's
# has twice as many, and every column fetched costs each row).
_C, _L = models.Client, models.Lead
CLIENT_COLUMNS = (
    _C.id, _C.first_name, _C.last_name, _C.email, _C.phone, _C.state, _C.county, _C.zip,
    _C.exchange, _C.application_id, _C.plan_year, _C.plan_name, _C.plan_hios_id, _C.carrier,
    _C.submitted_at, _C.application_status, _C.effective_date, _C.archived, _C.ssn_last4,
    _C.date_of_birth, _C.agent_id,
)  # fmt: skip
LEAD_COLUMNS = (
    _L.id, _L.first_name, _L.last_name, _L.email, _L.phone, _L.state, _L.zip, _L.source,
    _L.status, _L.created_at, _L.agent_id,
)  # fmt: skip


@strawberry.type
class Client(Node):
    id: strawberry.ID
    first_name: str
    last_name: str
    email: str | None
    phone: str | None
    state: str
    county: str | None
    zip: str | None
    exchange: Exchange
    application_id: str | None
    plan_year: int | None
    plan_name: str | None
    plan_hios_id: str | None
    carrier: str | None
    submitted_at: datetime | None = strawberry.field(
        description="The last time the application was submitted; null = unsubmitted."
    )
    application_status: str
    effective_date: date | None
    archived: bool
    ssn_masked: str | None = strawberry.field(description="Never the full value.")
    date_of_birth_masked: str | None = strawberry.field(description="Never the full value.")
    agent_id: strawberry.Private[str]
    read_agent: strawberry.Private[Agent | None] = None

    @classmethod
    def from_row(cls, row: models.Client, agent: Agent | None = None) -> "Client":
        return cls(
            id=strawberry.ID(row.id),
            first_name=row.first_name,
            last_name=row.last_name,
            email=row.email,
            phone=row.phone,
            state=row.state,
            county=row.county,
            zip=row.zip,
            exchange=Exchange(row.exchange),
            application_id=row.application_id,
            plan_year=row.plan_year,
            plan_name=row.plan_name,
            plan_hios_id=row.plan_hios_id,
            carrier=row.carrier,
            submitted_at=row.submitted_at,
            application_status=row.application_status,
            effective_date=row.effective_date,
            archived=row.archived,
            ssn_masked=f"***-**-{row.ssn_last4}" if row.ssn_last4 else None,
            date_of_birth_masked="**/**/****" if row.date_of_birth else None,
            agent_id=row.agent_id,
            read_agent=agent,
        )

    @classmethod
    def from_columns(cls, row: Sequence, agent: Agent | None = None) -> "Client":
        """From a page's row of CLIENT_COLUMNS, by position (five times faster than by name)."""
        (
            id_, first_name, last_name, email, phone, state, county, zip_, exchange,
            application_id, plan_year, plan_name, plan_hios_id, carrier, submitted_at,
            application_status, effective_date, archived, ssn_last4, date_of_birth, agent_id,
        ) = row[: len(CLIENT_COLUMNS)]  # fmt: skip
        return cls(
            id=id_,
            first_name=first_name,
            last_name=last_name,
            email=email,
            phone=phone,
            state=state,
            county=county,
            zip=zip_,
            exchange=_EXCHANGES[exchange],
            application_id=application_id,
            plan_year=plan_year,
            plan_name=plan_name,
            plan_hios_id=plan_hios_id,
            carrier=carrier,
            submitted_at=submitted_at,
            application_status=application_status,
            effective_date=effective_date,
            archived=archived,
            ssn_masked=f"***-**-{ssn_last4}" if ssn_last4 else None,
            date_of_birth_masked="**/**/****" if date_of_birth else None,
            agent_id=agent_id,
            read_agent=agent,
        )

    @strawberry.field(metadata=read_ahead("read_agent"))
    def agent(self, info: Info) -> Agent:
        # Not called when the page read the agents with the rows (roster.with_agents), unless
        # graphql-core's own path runs it (schema/execution.py).
        if self.read_agent is not None:
            return self.read_agent
        return load_agent(info, self.agent_id)

    @strawberry.field(description="Null when unsubmitted or archived.")
    async def reconciliation(
        self, info: Info
    ) -> Annotated["Reconciliation", strawberry.lazy("downline.schema.reconciliation")] | None:
        if self.submitted_at is None or self.archived:
            return None
        # Imported here: schema/reconciliation.py builds on this module's Client.
        from downline.schema.reconciliation import client_reconciliation

        return await client_reconciliation(info, self)


@strawberry.type
class Lead(Node):
    id: strawberry.ID
    first_name: str
    last_name: str
    email: str | None
    phone: str | None
    state: str | None
    zip: str | None
    source: str | None
    status: str
    created_at: datetime
    agent_id: strawberry.Private[str]
    read_agent: strawberry.Private[Agent | None] = None

    @classmethod
    def from_row(cls, row: models.Lead, agent: Agent | None = None) -> "Lead":
        return cls(
            id=strawberry.ID(row.id),
            first_name=row.first_name,
            last_name=row.last_name,
            email=row.email,
            phone=row.phone,
            state=row.state,
            zip=row.zip,
            source=row.source,
            status=row.status,
            created_at=row.created_at,
            agent_id=row.agent_id,
            read_agent=agent,
        )

    @classmethod
    def from_columns(cls, row: Sequence, agent: Agent | None = None) -> "Lead":
        """From a page's row of LEAD_COLUMNS, by position."""
        (
            id_, first_name, last_name, email, phone, state, zip_, source, status, created_at,
            agent_id,
        ) = row[: len(LEAD_COLUMNS)]  # fmt: skip
        return cls(
            id=id_,
            first_name=first_name,
            last_name=last_name,
            email=email,
            phone=phone,
            state=state,
            zip=zip_,
            source=source,
            status=status,
            created_at=created_at,
            agent_id=agent_id,
            read_agent=agent,
        )

    @strawberry.field(metadata=read_ahead("read_agent"))
    def agent(self, info: Info) -> Agent:
        # Not called when the page read the agents with the rows (roster.with_agents), unless
        # graphql-core's own path runs it (schema/execution.py).
        if self.read_agent is not None:
            return self.read_agent
        return load_agent(info, self.agent_id)


ClientFilterInput = filter_input(ClientFilter)
LeadFilterInput = filter_input(LeadFilter)


@strawberry.type
class BookQuery:
    @strawberry.field
    async def clients(
        self,
        info: Info,
        filter: ClientFilterInput | None = None,
        first: int | None = 50,
        after: str | None = None,
    ) -> Connection[Client]:
        core_filter = (filter or ClientFilterInput()).to_core()
        query, convert = _page(info, clients.clients_query, core_filter, Client.from_columns)
        return await list_connection(info, query, clients.ORDER, convert, first, after)

    @strawberry.field
    async def leads(
        self,
        info: Info,
        filter: LeadFilterInput | None = None,
        first: int | None = 50,
        after: str | None = None,
    ) -> Connection[Lead]:
        core_filter = (filter or LeadFilterInput()).to_core()
        query, convert = _page(info, leads.leads_query, core_filter, Lead.from_columns)
        return await list_connection(info, query, leads.ORDER, convert, first, after)


def _page(info: Info, list_query: Callable, core_filter, from_columns: Callable):
    """The list's query for the caller and `core_filter`, reading its type's columns, with each
    row's agent and agency joined when the selection asks for the nodes' agent; and how a row
    becomes its node."""
    principal = info.context.principal
    with_agent = asks_for(info, "edges", "node", "agent")
    try:
        query = _page_query(list_query, principal, core_filter, with_agent)
    except TypeError:  # a filter holding lists cannot be a key: built each time
        query = _page_query.__wrapped__(list_query, principal, core_filter, with_agent)
    if not with_agent:
        return query, from_columns
    agent_of = page_agents(len(_COLUMNS[list_query]))
    return query, lambda row: from_columns(row, agent_of(row))


_COLUMNS = {clients.clients_query: CLIENT_COLUMNS, leads.leads_query: LEAD_COLUMNS}


@lru_cache(maxsize=1024)
def _page_query(list_query: Callable, principal, core_filter, with_agent: bool) -> Select:
    """Built once per caller, filter and shape: building the statement (the scope's subqueries,
    the filter's conditions, the join) cost a page as much as running it. A caller is its whole
    principal (role, agent, agency, tenant), so a user moved or given another role has another
    key; the scope itself is a subquery, read when the statement runs."""
    columns = _COLUMNS[list_query]
    query = list_query(principal, core_filter).with_only_columns(*columns)
    return roster.with_agents(query, columns[-1]) if with_agent else query
