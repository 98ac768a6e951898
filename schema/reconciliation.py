"""Effectuation in the API: each submitted application against carrier policies (the
`reconciliation` list, its summary, and `Client.reconciliation`), core/production/reconciliation.py
doing the work."""

from datetime import date
from enum import Enum
from types import SimpleNamespace

import strawberry
from strawberry.types import Info

from downline.core.production import reconciliation as core
from downline.core.production.filters import ReconciliationFilter
from downline.core.production.vocabulary import ReconciliationStatus
from downline.schema.book import Client
from downline.schema.context import run
from downline.schema.filters import filter_input
from downline.schema.hierarchy import Agent, agents_read_with
from downline.schema.lines import DownlineLine
from downline.schema.production import Policy
from downline.schema.relay import Connection, asks_for, list_connection

ReconciliationStatusEnum = strawberry.enum(ReconciliationStatus, name="ReconciliationStatus")
ReconciliationFilterInput = filter_input(ReconciliationFilter)


@strawberry.enum
class ReconciliationDimension(Enum):
    AGENT = "AGENT"
    DOWNLINE = "DOWNLINE"
    CARRIER = "CARRIER"
    STATUS = "STATUS"
    MONTH = "MONTH"


@strawberry.type(description="A submitted application against carrier policies.")
class Reconciliation:
    client: Client
    status: ReconciliationStatusEnum
    policy: Policy | None = strawberry.field(
        description="Null when none matched or the viewer may not see it."
    )
    reason: str = strawberry.field(description="One plain sentence a person can act on.")

    @classmethod
    def from_row(cls, row, client: Client, policies: dict) -> "Reconciliation":
        policy = policies.get(row.policy_id) if row.policy_id else None
        return cls(
            client=client,
            status=ReconciliationStatus(row.status),
            policy=Policy.from_row(policy) if policy is not None else None,
            reason=row.reason,
        )


async def client_reconciliation(info: Info, client: Client) -> Reconciliation | None:
    """`Client.reconciliation`: the page's clients batched into one statement, and their shown
    policies into one more."""
    row = await info.context.loaders.reconciliation.load(client.id)
    if row is None:
        return None
    policy = await info.context.loaders.shown_policy.load(row.policy_id) if row.policy_id else None
    return Reconciliation.from_row(row, client, {row.policy_id: policy})


def _page_reader(info: Info):
    """What a page of the list reads beyond its rows, in the page's session: the clients'
    agents and the shown policies, when the selection asks for them."""
    agents = agents_read_with(info, "edges", "node", "client")
    policies = asks_for(info, "edges", "node", "policy")
    principal = info.context.principal

    def read(session, rows) -> SimpleNamespace:
        ids = list({r.policy_id for r in rows if r.policy_id})
        shown = core.shown_policies(session, principal, ids) if policies and ids else {}
        return SimpleNamespace(agents=agents(session, rows) if agents else None, policies=shown)

    return read


@strawberry.type(
    description="One group of reconciliationSummary. A dimension not grouped by is null."
)
class ReconciliationBucket:
    carrier: str | None = strawberry.field(
        description="The plugin key; null when not grouped or NO_CARRIER_FEED."
    )
    status: ReconciliationStatusEnum | None
    month: date | None = strawberry.field(description="First day of the submission month.")
    count: int
    effectuation_rate: float | None = strawberry.field(
        description="EFFECTUATED / all but NO_CARRIER_FEED and AWAITING_CARRIER."
    )
    agent_id: strawberry.Private[str | None]
    line_of: strawberry.Private[DownlineLine | None]

    @classmethod
    def from_row(cls, row: dict) -> "ReconciliationBucket":
        line = DownlineLine(agency_id=row["LINE_AGENCY"], agent_id=row["LINE_AGENT"])
        return cls(
            carrier=row["CARRIER"],
            status=ReconciliationStatus(row["STATUS"]) if row["STATUS"] else None,
            month=row["MONTH"],
            count=row["count"],
            effectuation_rate=row["effectuated"] / row["rated"] if row["rated"] else None,
            agent_id=row["AGENT"],
            line_of=line if row["DOWNLINE"] else None,
        )

    @strawberry.field
    async def agent(self, info: Info) -> Agent | None:
        row = await info.context.loaders.agent.load(self.agent_id) if self.agent_id else None
        return Agent.from_row(row) if row else None

    @strawberry.field
    def line(self) -> DownlineLine | None:
        return self.line_of


@strawberry.type
class ReconciliationQuery:
    @strawberry.field
    async def reconciliation(
        self,
        info: Info,
        filter: ReconciliationFilterInput | None = None,
        first: int | None = 50,
        after: str | None = None,
    ) -> Connection[Reconciliation]:
        core_filter = (filter or ReconciliationFilterInput()).to_core()
        query = core.listed(core.reconciled(info.context.principal, core_filter))

        def convert(row, found: SimpleNamespace) -> Reconciliation:
            agent = found.agents.get(row.agent_id) if found.agents else None
            return Reconciliation.from_row(row, Client.from_row(row, agent), found.policies)

        return await list_connection(
            info, query, core.ORDER, convert, first, after, _page_reader(info)
        )

    @strawberry.field
    async def reconciliation_summary(
        self,
        info: Info,
        group_by: list[ReconciliationDimension],
        filter: ReconciliationFilterInput | None = None,
        downline_of: strawberry.ID | None = None,
    ) -> list[ReconciliationBucket]:
        core_filter = (filter or ReconciliationFilterInput()).to_core()
        dims = [d.value for d in group_by]
        principal = info.context.principal
        rows = await run(core.summary, principal, dims, core_filter, downline_of)
        return [ReconciliationBucket.from_row(r) for r in rows]
