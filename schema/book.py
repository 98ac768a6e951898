"""Clients and leads: their types, their filter inputs (derived from core's filters), and the
`clients` and `leads` lists of the Query root."""

from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from sqlalchemy import Select
from strawberry.types import Info

from downline.core import models
from downline.core.book import clients, filters, leads, roster
from downline.core.book.filters import ClientFilter, LeadFilter
from downline.schema.filters import filter_input
from downline.schema.hierarchy import Agent, load_agent, page_agents
from downline.schema.relay import Connection, Node, asks_for, list_connection

if TYPE_CHECKING:
    from downline.schema.reconciliation import Reconciliation

Exchange = strawberry.enum(filters.Exchange, name="Exchange")


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

    @strawberry.field
    def agent(self, info: Info) -> Agent:
        # Synchronous when the page read the agents with the rows (roster.with_agents).
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

    @strawberry.field
    def agent(self, info: Info) -> Agent:
        # Synchronous when the page read the agents with the rows (roster.with_agents).
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
        query = clients.clients_query(info.context.principal, core_filter)
        query, convert = _page(info, query, CLIENT_COLUMNS, Client.from_row)
        return await list_connection(query, clients.ORDER, convert, first, after)

    @strawberry.field
    async def leads(
        self,
        info: Info,
        filter: LeadFilterInput | None = None,
        first: int | None = 50,
        after: str | None = None,
    ) -> Connection[Lead]:
        query = leads.leads_query(info.context.principal, (filter or LeadFilterInput()).to_core())
        query, convert = _page(info, query, LEAD_COLUMNS, Lead.from_row)
        return await list_connection(query, leads.ORDER, convert, first, after)


# The columns the types are built from (a page reads these, not the whole row: a Client row has
# twice as many, and every column fetched costs each row).
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


def _page(info: Info, query: Select, columns: tuple, from_row: Callable) -> tuple[Select, Callable]:
    """The list's query narrowed to `columns`, with each row's agent and agency joined when the
    selection asks for the nodes' agent; and how a row becomes its node."""
    query = query.with_only_columns(*columns)
    if not asks_for(info, "edges", "node", "agent"):
        return query, from_row
    agent_of = page_agents()
    query = roster.with_agents(query, columns[-1])
    return query, lambda row: from_row(row, agent_of(row))
