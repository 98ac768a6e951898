"""Clients and leads: their types, their filter inputs, the mapping to core's filters, and the
`clients` and `leads` lists of the Query root."""

from datetime import date, datetime
from enum import Enum

import strawberry
from strawberry.types import Info

from downline.core import models
from downline.core.book import clients, leads
from downline.core.book.clients import ClientFilter
from downline.core.book.leads import LeadFilter
from downline.schema.hierarchy import Agent, agents_read_with, load_agent
from downline.schema.relay import Connection, Node, list_connection


@strawberry.enum
class Exchange(Enum):
    ON_EX = "on_ex"
    OFF_EX = "off_ex"


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
    def from_row(cls, row: models.Client, agents: dict[str, Agent] | None = None) -> "Client":
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
            read_agent=agents.get(row.agent_id) if agents else None,
        )

    @strawberry.field
    def agent(self, info: Info) -> Agent:
        # Synchronous when the page read the agents with the rows (agents_read_with).
        if self.read_agent is not None:
            return self.read_agent
        return load_agent(info, self.agent_id)


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
    def from_row(cls, row: models.Lead, agents: dict[str, Agent] | None = None) -> "Lead":
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
            read_agent=agents.get(row.agent_id) if agents else None,
        )

    @strawberry.field
    def agent(self, info: Info) -> Agent:
        # Synchronous when the page read the agents with the rows (agents_read_with).
        if self.read_agent is not None:
            return self.read_agent
        return load_agent(info, self.agent_id)


@strawberry.input(name="ClientFilter")
class ClientFilterInput:
    agent_ids: list[strawberry.ID] | None = None
    agency_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="The whole downline of each."
    )
    submitted_from: date | None = None
    submitted_to: date | None = None
    include_unsubmitted: bool | None = False
    include_archived: bool | None = False
    include_three_way_call_resolved: bool | None = strawberry.field(
        default=False, description="Resolved on a 3-way call after an Invalid Action error."
    )
    exchange: Exchange | None = None
    states: list[str] | None = None
    search: str | None = strawberry.field(
        default=None, description="Name, email, phone, application id."
    )

    def to_core(self) -> ClientFilter:
        return ClientFilter(
            agent_ids=self.agent_ids,
            agency_ids=self.agency_ids,
            submitted_from=self.submitted_from,
            submitted_to=self.submitted_to,
            include_unsubmitted=bool(self.include_unsubmitted),
            include_archived=bool(self.include_archived),
            include_three_way_call_resolved=bool(self.include_three_way_call_resolved),
            exchange=self.exchange.value if self.exchange else None,
            states=self.states,
            search=self.search,
        )


@strawberry.input(name="LeadFilter")
class LeadFilterInput:
    agent_ids: list[strawberry.ID] | None = None
    agency_ids: list[strawberry.ID] | None = None
    statuses: list[str] | None = None
    created_from: date | None = None
    created_to: date | None = None
    search: str | None = None

    def to_core(self) -> LeadFilter:
        return LeadFilter(
            agent_ids=self.agent_ids,
            agency_ids=self.agency_ids,
            statuses=self.statuses,
            created_from=self.created_from,
            created_to=self.created_to,
            search=self.search,
        )


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
        agents = agents_read_with(info, "edges", "node")
        return await list_connection(query, clients.ORDER, Client.from_row, first, after, agents)

    @strawberry.field
    async def leads(
        self,
        info: Info,
        filter: LeadFilterInput | None = None,
        first: int | None = 50,
        after: str | None = None,
    ) -> Connection[Lead]:
        query = leads.leads_query(info.context.principal, (filter or LeadFilterInput()).to_core())
        agents = agents_read_with(info, "edges", "node")
        return await list_connection(query, leads.ORDER, Lead.from_row, first, after, agents)
