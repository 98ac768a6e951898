"""The write side of the API: the Mutation root (contract.graphql)."""

import strawberry
from strawberry.types import Info

from downline.core.book import roster
from downline.schema.context import run
from downline.schema.hierarchy import Agency


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Allow or prevent exports by the agency's direct agents.")
    async def set_agent_exports_allowed(
        self, info: Info, agency_id: strawberry.ID, allowed: bool
    ) -> Agency:
        row = await run(
            roster.set_agent_exports_allowed, info.context.principal, agency_id, allowed
        )
        return Agency.from_row(row)
