"""Carrier production in the API: policies, the summary, and the production vocabulary."""

from datetime import date, datetime
from enum import Enum

import strawberry
from strawberry.types import Info

from downline.core import models
from downline.core.production import queries as production
from downline.core.production.filters import ProductionFilter
from downline.core.production.vocabulary import PolicyStatus, ProductType, TermReason
from downline.schema.context import run
from downline.schema.filters import filter_input
from downline.schema.hierarchy import Agency, Agent
from downline.schema.lines import DownlineLine
from downline.schema.relay import Connection, Node, list_connection

PolicyStatusEnum = strawberry.enum(PolicyStatus, name="PolicyStatus")
TermReasonEnum = strawberry.enum(TermReason, name="TermReason")
ProductTypeEnum = strawberry.enum(ProductType, name="ProductType")


@strawberry.enum
class ProductionDimension(Enum):
    AGENT = "AGENT"
    AGENCY = "AGENCY"
    CARRIER = "CARRIER"
    PRODUCT_TYPE = "PRODUCT_TYPE"
    MONTH = "MONTH"
    STATUS = "STATUS"
    STATE = "STATE"
    DOWNLINE = "DOWNLINE"


@strawberry.type(description="One row of merged carrier production.")
class Policy(Node):
    id: strawberry.ID
    carrier: str = strawberry.field(description='The carrier plugin\'s key, e.g. "humana".')
    carrier_policy_id: str
    agent_npn: str
    plan_id: str | None
    plan_name: str | None
    product_type: ProductTypeEnum
    client_name: str
    member_id: str | None
    date_of_birth_masked: str | None
    county: str | None
    state: str | None
    status: PolicyStatusEnum
    term_reason: TermReasonEnum | None
    term_reason_guidance: str | None = strawberry.field(
        description="What the agent should do about this reason "
    )
    source_status: str | None = strawberry.field(description="The carrier's own wording.")
    submitted_date: date | None
    effective_date: date | None
    term_date: date | None
    updated_at: datetime = strawberry.field(
        description="Last time this row's tracked fields changed."
    )
    last_seen_as_of: date = strawberry.field(
        description="As-of date of the newest report that listed it."
    )

    @classmethod
    def from_row(cls, row: models.Policy) -> "Policy":
        return cls(
            id=strawberry.ID(row.id),
            carrier=row.carrier,
            carrier_policy_id=row.carrier_policy_id,
            agent_npn=row.agent_npn,
            plan_id=row.plan_id,
            plan_name=row.plan_name,
            product_type=ProductType(row.product_type),
            client_name=row.client_name,
            member_id=row.member_id,
            date_of_birth_masked="**/**/****" if row.date_of_birth else None,
            county=row.county,
            state=row.state,
            status=PolicyStatus(row.status),
            term_reason=TermReason(row.term_reason) if row.term_reason else None,
            term_reason_guidance=production.GUIDANCE.get(row.term_reason or ""),
            source_status=row.source_status,
            submitted_date=row.submitted_date,
            effective_date=row.effective_date,
            term_date=row.term_date,
            updated_at=row.updated_at,
            last_seen_as_of=row.last_seen_as_of,
        )

    @strawberry.field(description="Null when the NPN matches no agent.")
    async def agent(self, info: Info) -> Agent | None:
        row = await info.context.loaders.agent_by_npn.load(self.agent_npn)
        return Agent.from_row(row) if row else None


ProductionFilterInput = filter_input(ProductionFilter)


async def _agency(info: Info, agency_id: str | None) -> Agency | None:
    row = await info.context.loaders.agency.load(agency_id) if agency_id else None
    return Agency.from_row(row) if row else None


async def _agent(info: Info, agent_id: str | None) -> Agent | None:
    row = await info.context.loaders.agent.load(agent_id) if agent_id else None
    return Agent.from_row(row) if row else None


def _line(ids: tuple[str | None, str | None] | None) -> DownlineLine | None:
    """The bucket's line from its (sub-agency, agent) ids; None when not grouped by DOWNLINE."""
    if ids is None:
        return None
    agency_id, agent_id = ids
    return DownlineLine(agency_id=agency_id, agent_id=agent_id)


@strawberry.type(description="One group of productionSummary. A dimension not grouped by is null.")
class ProductionBucket:
    carrier: str | None
    product_type: ProductTypeEnum | None
    month: date | None = strawberry.field(description="First day of the effective month.")
    status: PolicyStatusEnum | None
    state: str | None
    submitted: int = strawberry.field(description="Every policy in the group.")
    approved: int
    active: int
    attrited: int
    disenrolled: int = strawberry.field(description="POLICY_DISENROLLMENT + DECEASED.")
    net: int = strawberry.field(description="approved + active: disenrollments are factored in.")
    line: DownlineLine | None = strawberry.field(description="When grouped by DOWNLINE.")
    agent_id: strawberry.Private[str | None]
    agency_id: strawberry.Private[str | None]

    @classmethod
    def from_row(cls, row: dict) -> "ProductionBucket":
        return cls(
            carrier=row["CARRIER"],
            product_type=ProductType(row["PRODUCT_TYPE"]) if row["PRODUCT_TYPE"] else None,
            month=row["MONTH"],
            status=PolicyStatus(row["STATUS"]) if row["STATUS"] else None,
            state=row["STATE"],
            submitted=row["submitted"],
            approved=row["approved"],
            active=row["active"],
            attrited=row["attrited"],
            disenrolled=row["disenrolled"],
            net=row["net"],
            line=_line(row["DOWNLINE"]),
            agent_id=row["AGENT"],
            agency_id=row["AGENCY"],
        )

    @strawberry.field
    async def agent(self, info: Info) -> Agent | None:
        return await _agent(info, self.agent_id)

    @strawberry.field(description="The agent's own agency (no roll-up to parents).")
    async def agency(self, info: Info) -> Agency | None:
        return await _agency(info, self.agency_id)


@strawberry.type
class ProductionQuery:
    @strawberry.field
    async def production(
        self,
        info: Info,
        filter: ProductionFilterInput | None = None,
        first: int | None = 50,
        after: str | None = None,
    ) -> Connection[Policy]:
        core_filter = (filter or ProductionFilterInput()).to_core()
        query = production.policies_query(info.context.principal, core_filter)
        return await list_connection(info, query, production.ORDER, Policy.from_row, first, after)

    @strawberry.field
    async def production_summary(
        self,
        info: Info,
        group_by: list[ProductionDimension],
        filter: ProductionFilterInput | None = None,
        downline_of: strawberry.ID | None = None,
    ) -> list[ProductionBucket]:
        core_filter = (filter or ProductionFilterInput()).to_core()
        dims = [d.value for d in group_by]
        rows = await run(production.summary, info.context.principal, dims, core_filter, downline_of)
        return [ProductionBucket.from_row(r) for r in rows]
