"""The read side of the API: the Query root (contract.graphql)."""

import strawberry
from strawberry.types import Info

from downline.core import models
from downline.core.book import clients, leads, nodes, roster
from downline.core.errors import BadUserInput
from downline.schema.book import Client, ClientFilterInput, Lead, LeadFilterInput
from downline.schema.context import run
from downline.schema.exports import AuditEvent, Export
from downline.schema.hierarchy import (
    Agency,
    Agent,
    Role,
    Viewer,
    agents_connection,
    agents_read_with,
)
from downline.schema.production import Policy
from downline.schema.relay import Connection, Node, list_connection
from downline.schema.reports import CarrierReport

TO_TYPE = {
    models.Agency: Agency.from_row,
    models.Agent: Agent.from_row,
    models.Client: Client.from_row,
    models.Lead: Lead.from_row,
    models.Policy: Policy.from_row,
    models.CarrierReport: CarrierReport.from_row,
    models.Export: Export.from_row,
    models.AuditEvent: AuditEvent.from_row,
}


@strawberry.type
class Query:
    @strawberry.field
    async def viewer(self, info: Info) -> Viewer:
        principal = info.context.principal
        return Viewer(email=principal.email, role=Role(principal.role.value), principal=principal)

    @strawberry.field
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        row = await run(nodes.find, info.context.principal, id)
        return TO_TYPE[type(row)](row) if row is not None else None

    @strawberry.field
    async def agency(self, info: Info, id: strawberry.ID) -> Agency | None:
        row = await info.context.loaders.agency.load(id)
        return Agency.from_row(row) if row else None

    @strawberry.field(description="Exactly one of id, npn (else BAD_USER_INPUT).")
    async def agent(
        self, info: Info, id: strawberry.ID | None = None, npn: str | None = None
    ) -> Agent | None:
        if (id is None) == (npn is None):
            raise BadUserInput("give exactly one of id and npn", field="id" if id else "npn")
        if id is not None:
            row = await info.context.loaders.agent.load(id)
        else:
            row = await run(roster.agent_by_npn, info.context.principal, npn)
        return Agent.from_row(row) if row else None

    @strawberry.field(
        description="Every agent at or below the agency (default: the viewer's own), any depth."
    )
    async def downline(
        self,
        info: Info,
        agency_id: strawberry.ID | None = None,
        first: int | None = 50,
        after: str | None = None,
    ) -> Connection[Agent]:
        query = roster.downline_query(info.context.principal, agency_id)
        return await agents_connection(query, first, after)

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
