"""Viewer, Agency and Agent: the hierarchy as the caller may see it (core/book/roster.py has the
rules), and the hierarchy's own Query and Mutation fields."""

import base64
from collections.abc import Callable, Sequence
from enum import Enum
from types import SimpleNamespace
from typing import Annotated

import strawberry
from strawberry.types import Info

from downline.core import models
from downline.core.book import roster
from downline.core.book.paging import check_first
from downline.core.book.scope import Principal
from downline.core.errors import BadUserInput
from downline.schema.context import run
from downline.schema.plans import read_ahead
from downline.schema.relay import Connection, Node, asks_for, connection, known


@strawberry.enum
class Role(Enum):
    AGENT = "agent"
    AGENCY_ADMIN = "agency_admin"


@strawberry.type
class Agency(Node):
    id: strawberry.ID
    name: str
    npn: str | None
    exports_allowed_for_agents: bool
    row: strawberry.Private[models.Agency]

    @classmethod
    def from_row(cls, row: models.Agency) -> "Agency":
        return cls(
            id=strawberry.ID(row.id),
            name=row.name,
            npn=row.npn,
            exports_allowed_for_agents=row.exports_allowed_for_agents,
            row=row,
        )

    @strawberry.field
    async def parent(self, info: Info) -> "Agency | None":
        if not roster.parent_visible(info.context.principal, self.row):
            return None
        row = await info.context.loaders.agency.load(self.row.parent_id)
        return Agency.from_row(row) if row else None

    @strawberry.field
    async def sub_agencies(self, info: Info) -> list["Agency"]:
        rows = await info.context.loaders.sub_agencies.load(self.row.id)
        return [Agency.from_row(r) for r in rows]

    @strawberry.field(description="Direct downline agents.")
    async def agents(
        self, info: Info, first: int | None = 50, after: str | None = None
    ) -> Connection[Annotated["Agent", strawberry.lazy("downline.schema.hierarchy")]]:
        first = check_first(first)
        principal = info.context.principal
        if after is None:  # the common, nested case: batched over every agency in the response
            result = await info.context.loaders.direct_agents(first).load(self.row.id)
        else:
            query = roster.downline_query(principal, None).where(
                models.Agent.agency_id == self.row.id
            )
            result = await run(roster.agents_page, query, first, after)
        return connection(result.page, Agent.from_row, lambda: known(result.total))


@strawberry.type
class Agent(Node):
    id: strawberry.ID
    name: str
    npn: str
    email: str | None
    row: strawberry.Private[models.Agent]
    read_agency: strawberry.Private[Agency | None] = None  # when read with the agent

    @classmethod
    def from_row(cls, row: models.Agent, agency: models.Agency | None = None) -> "Agent":
        return cls(
            id=strawberry.ID(row.id),
            name=row.name,
            npn=row.npn,
            email=row.email,
            row=row,
            read_agency=Agency.from_row(agency) if agency is not None else None,
        )

    @strawberry.field(metadata=read_ahead("read_agency"))
    def agency(self, info: Info) -> Agency:
        # Not called when the agency came with the agent (schema/execution.py), unless
        # graphql-core's own path runs it. Otherwise the loader's awaitable, which it awaits.
        if self.read_agency is not None:
            return self.read_agency
        return load_agency(info, self.row.agency_id)


async def load_agency(info: Info, agency_id: str) -> Agency:
    return Agency.from_row(await info.context.loaders.agency.load(agency_id))


async def load_agent(info: Info, agent_id: str) -> Agent:
    return Agent.from_row(await info.context.loaders.agent.load(agent_id))


def page_agents(offset: int) -> Callable[[Sequence], Agent]:
    """The agent, with its agency, of a page's row read by `roster.with_agents`, whose columns
    (roster.PAGE_AGENT, then roster.PAGE_AGENCY) start at position `offset`: one object per
    agent of the page, however many of its rows name it."""
    built: dict[str, Agent] = {}

    def agent_of(row: Sequence) -> Agent:
        agent = built.get(row[offset])
        if agent is None:
            values = row[offset : offset + len(roster.PAGE_AGENT) + len(roster.PAGE_AGENCY)]
            agent_id, name, npn, email, agency_id, *agency = values
            agency_id_, agency_name, agency_npn, exports_allowed, parent_id = agency
            read_agency = SimpleNamespace(
                id=agency_id_,
                name=agency_name,
                npn=agency_npn,
                exports_allowed_for_agents=exports_allowed,
                parent_id=parent_id,
            )
            read_agent = SimpleNamespace(
                id=agent_id, name=name, npn=npn, email=email, agency_id=agency_id
            )
            agent = built[agent_id] = Agent.from_row(read_agent, read_agency)
        return agent

    return agent_of


def agents_read_with(info: Info, *path: str):
    """For a list whose nodes have an `agent` (at `path`, e.g. "edges", "node"): a reader of the
    page's agents and their agencies, for `list_connection`'s `related`; None when the
    selection does not ask for the agent."""
    if not asks_for(info, *path, "agent"):
        return None
    principal = info.context.principal

    def read(session, rows) -> dict[str, Agent]:
        found = roster.agents_with_agencies(session, principal, list({r.agent_id for r in rows}))
        return {k: Agent.from_row(agent, agency) for k, (agent, agency) in found.items()}

    return read


@strawberry.type
class Viewer:
    """Who is asking. Each field beyond the principal's own is read only when asked for."""

    email: str
    role: Role
    principal: strawberry.Private[Principal]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(base64.urlsafe_b64encode(f"Viewer:{self.email}".encode()).decode())

    @strawberry.field(description="Set when role = AGENT.")
    async def agent(self, info: Info) -> Agent | None:
        if self.principal.agent_id is None:
            return None
        row = await info.context.loaders.agent.load(self.principal.agent_id)
        return Agent.from_row(row) if row else None

    @strawberry.field(description="Set when role = AGENCY_ADMIN.")
    async def agency(self, info: Info) -> Agency | None:
        if not self.principal.is_admin:
            return None
        row = await info.context.loaders.agency.load(self.principal.agency_id)
        return Agency.from_row(row) if row else None

    @strawberry.field
    async def exports_allowed(self) -> bool:
        if self.principal.is_admin:  # always (roster.exports_allowed): no trip to the database
            return True
        return await run(roster.exports_allowed, self.principal)


async def agents_connection(query, first: int, after: str | None) -> Connection[Agent]:
    result = await run(roster.agents_page, query, first, after)
    return connection(result.page, Agent.from_row, lambda: known(result.total))


@strawberry.type
class HierarchyQuery:
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


@strawberry.type
class HierarchyMutation:
    @strawberry.mutation(description="Allow or prevent exports by the agency's direct agents.")
    async def set_agent_exports_allowed(
        self, info: Info, agency_id: strawberry.ID, allowed: bool
    ) -> Agency:
        row = await run(
            roster.set_agent_exports_allowed, info.context.principal, agency_id, allowed
        )
        return Agency.from_row(row)
