"""The graph's entry points that belong to no one domain: `viewer` (who am I) and `node` (any
object by its global id, as the Relay spec asks)."""

import strawberry
from strawberry.types import Info

from downline.core import models
from downline.core.book import nodes
from downline.schema.book import Client, Lead
from downline.schema.context import run
from downline.schema.exports import AuditEvent, Export
from downline.schema.hierarchy import (
    Agency,
    Agent,
    Role,
    Viewer,
)
from downline.schema.production import Policy
from downline.schema.relay import Node
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
class NodeQuery:
    @strawberry.field
    def viewer(self, info: Info) -> Viewer:  # no await: a coroutine cost viewer a tenth
        principal = info.context.principal
        return Viewer(email=principal.email, role=Role(principal.role.value), principal=principal)

    @strawberry.field
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        row = await run(nodes.find, info.context.principal, id)
        return TO_TYPE[type(row)](row) if row is not None else None
