"""`DownlineLine`: one line under the agency a roll-up is for (core/book/lines.py), as the API
spells it. Shared by every summary grouped by DOWNLINE."""

import strawberry
from strawberry.types import Info

from downline.schema.hierarchy import Agency, Agent


@strawberry.type(
    description="One line under the agency a roll-up is for: a direct sub-agency (its whole "
    "downline) or a direct agent; both null for policies whose NPN matches no agent."
)
class DownlineLine:
    agency_id: strawberry.Private[str | None]
    agent_id: strawberry.Private[str | None]

    @strawberry.field
    async def agency(self, info: Info) -> Agency | None:
        row = await info.context.loaders.agency.load(self.agency_id) if self.agency_id else None
        return Agency.from_row(row) if row else None

    @strawberry.field
    async def agent(self, info: Info) -> Agent | None:
        row = await info.context.loaders.agent.load(self.agent_id) if self.agent_id else None
        return Agent.from_row(row) if row else None
