"""The lines of a downline roll-up as a property: over random hierarchies (1 to 6 deep, then
re-parented and agents moved), random policies (matched or not, across tenants), random viewers
(admins at any level, agent users), random filters and a random `downlineOf` in scope, the
summary grouped by [DOWNLINE, MONTH] holds exactly what a brute-force reference computes: each
visible policy in its own line and month, nothing out of scope, and its `submitted` adding up to
the ungrouped summary's."""

from collections import Counter
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from downline.core import db
from downline.core.models import Policy
from tests.core.book.test_scope_property import (
    IN_CI,
    MAX_DEPTH,
    below,
    depth_of,
    examples,
    expected_agents,
    moves,
    npn_of,
    records,
    tenant_at_ingest,
    top_of,
)

STATUSES = ("ACTIVE", "APPROVED", "ATTRITED")
QUERY = """query($g: [ProductionDimension!]!, $f: ProductionFilter, $of: ID) {
  productionSummary(groupBy: $g, filter: $f, downlineOf: $of) {
    line { agency { id } agent { id } } month submitted
  }
}"""


@st.composite
def hierarchies(draw):
    """Agencies 1 to 6 deep, mostly in one tenant (a few tops of their own), agents on them, the
    same re-parented and agents moved, and 1 to 3 viewers: admins of any agency, agent users."""
    n_agencies = draw(st.integers(1, 9))
    parents: dict[int, int | None] = {0: None}
    for i in range(1, n_agencies):
        choices = [p for p in range(i) if depth_of(parents, p) < MAX_DEPTH]
        deeper = [i - 1] if i - 1 in choices else choices  # chains make deep trees likely
        new_tenant = draw(st.integers(0, 7)) == 7  # (shrinks towards one tenant)
        parents[i] = (
            None if new_tenant else draw(st.sampled_from(deeper) | st.sampled_from(choices))
        )
    n_agents = draw(st.integers(1, 10))
    agent_agency = {a: draw(st.integers(0, n_agencies - 1)) for a in range(n_agents)}
    moved_parents, moved_agents = moves(draw, parents, agent_agency, new_tops=False, agents=2)
    viewer = st.one_of(
        st.tuples(st.just("admin"), st.integers(0, n_agencies - 1) | st.just(0)),
        st.tuples(st.just("agent"), st.integers(0, n_agents - 1)),
    )
    principals = draw(st.lists(viewer, min_size=1, max_size=3, unique=True))
    return parents, agent_agency, moved_parents, moved_agents, principals


@st.composite
def rollups(draw):
    """A book, its moves and viewers, policies with a status and an effective month, and per
    viewer a filter and a `downlineOf` it may name."""
    parents, agent_agency, moved_parents, moved_agents, principals = draw(hierarchies())
    n_agencies, n_agents = len(parents), len(agent_agency)
    policies = draw(
        st.lists(
            st.tuples(
                st.integers(0, n_agents + 1),  # beyond the book: an NPN nobody holds
                st.one_of(st.none(), st.integers(0, n_agencies - 1)),  # owner
                st.sampled_from(STATUSES),
                st.integers(1, 3),  # effective month
            ),
            min_size=3,
            max_size=14,
        )
    )
    filters = st.one_of(
        st.just({}),
        st.just({}),
        st.builds(lambda s: {"statuses": s}, st.lists(st.sampled_from(STATUSES), unique=True)),
        st.builds(lambda m: {"effectiveFrom": f"2026-0{m}-01"}, st.integers(1, 3)),
        st.builds(lambda g: {"agencyIds": [f"g{g}"]}, st.integers(0, n_agencies - 1)),
        st.builds(lambda a: {"agentIds": [f"a{a}"]}, st.integers(0, n_agents - 1)),
    )
    asks = []
    for kind, who in principals:
        if kind == "admin":
            root = draw(st.one_of(st.none(), st.sampled_from(sorted(below(moved_parents, who)))))
        else:
            root = draw(st.sampled_from([None, moved_agents[who]]))
        asks.append(((kind, who), draw(filters), root))
    return parents, agent_agency, moved_parents, moved_agents, policies, asks


def test_the_lines_hold_exactly_the_visible_policies_and_add_up(
    api, load_book, database, empty_database
):
    @settings(
        max_examples=max(examples(database) // 2, 10),
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=IN_CI,
    )
    @given(rollups())
    def check(book):
        parents, agent_agency, moved_parents, moved_agents, policies, asks = book
        empty_database()
        assert not load_book(records(parents, agent_agency, [], [])).rejections
        tenants = [tenant_at_ingest(parents, agent_agency, a, o) for a, o, *_ in policies]
        write_policies(policies, tenants)
        moved = records(moved_parents, moved_agents, [], [])
        assert not load_book({"agencies": moved["agencies"], "agents": moved["agents"]}).rejections

        for (kind, who), filter, root in asks:
            email = f"{kind}{who}@p.test"
            of = None if root is None else f"g{root}"
            lines = api.gql(QUERY, {"g": ["DOWNLINE", "MONTH"], "f": filter, "of": of}, as_=email)
            got = Counter()
            for bucket in lines["productionSummary"]:
                line = bucket["line"]
                key = ((line["agency"] or {}).get("id"), (line["agent"] or {}).get("id"))
                got[key, bucket["month"]] += bucket["submitted"]
            reference = Reference(moved_parents, moved_agents, tenants, (kind, who))
            expected = Counter(
                (reference.line(i, policy, root), f"2026-0{policy[3]}-01")
                for i, policy in enumerate(policies)
                if reference.shown(i, policy, filter, root)
            )
            assert got == expected, (kind, who, filter, of)
            ungrouped = api.gql(QUERY, {"g": [], "f": filter, "of": of}, as_=email)
            assert ungrouped["productionSummary"][0]["submitted"] == sum(got.values())

    check()


def write_policies(policies, tenants) -> None:
    with db.session() as session:
        for i, (agent, owner, status, month) in enumerate(policies):
            session.add(
                Policy(
                    tenant_id=tenants[i],
                    carrier="humana",
                    carrier_policy_id=f"P{i}",
                    agent_npn=npn_of(agent),
                    owner_agency_id=None if owner is None else f"g{owner}",
                    product_type="MAPD",
                    client_name="C",
                    status=status,
                    effective_date=date(2026, month, 1),
                    last_seen_as_of=date(2026, 11, 24),
                )
            )
        session.commit()


class Reference:
    """Brute force over the hierarchy after the moves, for one viewer."""

    def __init__(self, parents, agents, tenants, principal) -> None:
        self.parents, self.agents, self.tenants = parents, agents, tenants
        kind, who = principal
        self.admin = kind == "admin"
        self.own = who if self.admin else agents[who]  # the viewer's agency
        self.visible_agents = {int(a[1:]) for a in expected_agents(principal, parents, agents)}
        self.tenant = f"g{top_of(parents, self.own)}"

    def matched(self, i: int, agent: int) -> bool:
        """Whether the policy's NPN matches an agent of its own tenant."""
        return (
            agent in self.agents
            and f"g{top_of(self.parents, self.agents[agent])}" == (self.tenants[i])
        )

    def agency(self, i: int, policy) -> int | None:
        """The agency the policy belongs to: its matched agent's, else its owner."""
        agent, owner, *_ = policy
        return self.agents[agent] if self.matched(i, agent) else owner

    def shown(self, i: int, policy, filter: dict, root: int | None) -> bool:
        agent, owner, status, month = policy
        if self.tenants[i] != self.tenant:
            return False
        if self.matched(i, agent):
            visible = agent in self.visible_agents
        else:
            visible = self.admin and owner is not None and owner in below(self.parents, self.own)
        agency = self.agency(i, policy)
        return (
            visible
            and agency in below(self.parents, self.own if root is None else root)
            and status in filter.get("statuses", STATUSES)
            and f"2026-0{month}-01" >= filter.get("effectiveFrom", "")
            and all(agency in below(self.parents, int(g[1:])) for g in filter.get("agencyIds", ()))
            and all(self.matched(i, agent) and f"a{agent}" == a for a in filter.get("agentIds", ()))
        )

    def line(self, i: int, policy, root: int | None) -> tuple[str | None, str | None]:
        """(direct sub-agency, direct agent) of a shown policy under the root (the viewer's
        agency by default); both None when its NPN matches no agent."""
        agent = policy[0]
        if not self.matched(i, agent):
            return (None, None)
        root = self.own if root is None else root
        agency = self.agents[agent]
        if agency == root:
            return (None, f"a{agent}")
        (child,) = (
            c for c, p in self.parents.items() if p == root and agency in below(self.parents, c)
        )
        return (f"g{child}", None)
