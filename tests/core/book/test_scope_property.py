"""Scope as a property: over random hierarchies (up to 6 levels), random re-parenting and agent
moves, and random principals, what each principal sees through the API — every list, totalCount,
cursor walk and node lookup — equals a brute-force computation of its scope."""

import os
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from downline.core import db
from downline.core.models import AgencyClosure

MAX_DEPTH = 6
IN_CI = os.environ.get("CI", "").lower() == "true"


def examples(database_url: str) -> int:
    if "DOWNLINE_PROPERTY_EXAMPLES" in os.environ:
        return int(os.environ["DOWNLINE_PROPERTY_EXAMPLES"])
    if database_url.startswith("sqlite"):
        return 100 if IN_CI else 60
    return 40 if IN_CI else 25


def depth_of(parents: dict[int, int | None], node: int) -> int:
    depth = 1
    while parents[node] is not None:
        node, depth = parents[node], depth + 1
    return depth


def top_of(parents: dict[int, int | None], node: int) -> int:
    """The top agency above `node`: its tenant."""
    while parents[node] is not None:
        node = parents[node]
    return node


def below(parents: dict[int, int | None], top: int) -> set[int]:
    """Brute force: every agency whose chain of parents reaches `top` (itself included)."""
    found = set()
    for agency in parents:
        node = agency
        while node is not None:
            if node == top:
                found.add(agency)
                break
            node = parents[node]
    return found


def moves(draw, parents, agent_agency, *, new_tops: bool, agents: int):
    """The hierarchy as a second load leaves it: up to 3 agencies re-parented (never under their
    own subtree, never deeper than MAX_DEPTH; `new_tops`: some made tops of their own) and up to
    `agents` agents moved. (moved parents, moved agents)."""
    n_agencies, n_agents = len(parents), len(agent_agency)
    moved_parents = dict(parents)
    for agency in draw(st.lists(st.integers(0, n_agencies - 1), max_size=3)):
        options = [
            p
            for p in range(n_agencies)
            if p not in below(moved_parents, agency) and depth_of(moved_parents, p) < MAX_DEPTH
        ]
        parent = st.sampled_from(options) if options else st.none()
        candidate = dict(moved_parents)
        candidate[agency] = draw(st.none() | parent if new_tops else parent)
        if all(depth_of(candidate, a) <= MAX_DEPTH for a in candidate):
            moved_parents = candidate
    moved_agents = dict(agent_agency)
    for agent in draw(st.lists(st.integers(0, n_agents - 1), max_size=agents)):
        moved_agents[agent] = draw(st.integers(0, n_agencies - 1))
    return moved_parents, moved_agents


@st.composite
def books(draw):
    n_agencies = draw(st.integers(1, 9))
    parents: dict[int, int | None] = {0: None}
    for i in range(1, n_agencies):
        choices = [p for p in range(i) if depth_of(parents, p) < MAX_DEPTH]
        parents[i] = draw(st.one_of(st.none(), st.sampled_from(choices)))
    n_agents = draw(st.integers(1, 10))
    agent_agency = {a: draw(st.integers(0, n_agencies - 1)) for a in range(n_agents)}
    clients = draw(
        st.lists(
            st.tuples(st.integers(0, n_agents - 1), st.booleans(), st.integers(1, 5)), max_size=14
        )
    )
    leads = draw(st.lists(st.tuples(st.integers(0, n_agents - 1), st.integers(1, 5)), max_size=8))
    moved_parents, moved_agents = moves(draw, parents, agent_agency, new_tops=True, agents=3)
    principals = draw(
        st.lists(
            st.one_of(
                st.tuples(st.just("admin"), st.integers(0, n_agencies - 1)),
                st.tuples(st.just("agent"), st.integers(0, n_agents - 1)),
            ),
            min_size=1,
            max_size=3,
            unique=True,
        )
    )
    return parents, agent_agency, clients, leads, moved_parents, moved_agents, principals


def records(parents, agent_agency, clients, leads):
    agencies = [
        {"id": f"g{i}", "name": f"Agency {i % 3}", "parent_id": None if p is None else f"g{p}"}
        for i, p in parents.items()
    ]
    agents = [
        {
            "id": f"a{a}",
            "name": f"Agent {a % 4}",
            "npn": str(500 + a),
            "email": f"a{a}@p.test",
            "agency_id": f"g{g}",
        }
        for a, g in agent_agency.items()
    ]
    users = [
        {"email": f"admin{i}@p.test", "role": "agency_admin", "agency_id": f"g{i}"} for i in parents
    ]
    users += [
        {"email": f"agent{a}@p.test", "role": "agent", "agent_id": f"a{a}"} for a in agent_agency
    ]
    client_rows = [
        {
            "id": f"c{i}",
            "agent_id": f"a{a}",
            "first_name": "C",
            "last_name": str(i),
            "state": "FL",
            "exchange": "on_ex",
            "application_status": "submitted" if submitted else "unsubmitted",
            "submitted_at": f"2026-01-0{day}T00:00:00Z" if submitted else None,
            "archived": False,
            "dmis": [],
            "svis": [],
            "follow_ups": [],
        }
        for i, (a, submitted, day) in enumerate(clients)
    ]
    lead_rows = [
        {
            "id": f"l{i}",
            "agent_id": f"a{a}",
            "first_name": "L",
            "last_name": str(i),
            "status": "new",
            "created_at": f"2026-02-0{day}T00:00:00Z",
        }
        for i, (a, day) in enumerate(leads)
    ]
    return {
        "agencies": agencies,
        "agents": agents,
        "users": users,
        "clients": client_rows,
        "leads": lead_rows,
    }


def expected_agents(principal, parents, agent_agency) -> set[str]:
    kind, who = principal
    if kind == "agent":
        return {f"a{who}"}
    visible = below(parents, who)
    return {f"a{a}" for a, g in agent_agency.items() if g in visible}


def walk(api, email, field, filter_type, filter_value) -> tuple[list[str], int]:
    query = f"query($f: {filter_type}, $a: String) {{ {field}(filter: $f, first: 3, after: $a) {{ totalCount edges {{ node {{ id }} }} pageInfo {{ hasNextPage endCursor }} }} }}"
    seen, after, total = [], None, None
    while True:
        page = api.gql(query, {"f": filter_value, "a": after}, as_=email)[field]
        total = page["totalCount"]
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return seen, total
        after = page["pageInfo"]["endCursor"]


def test_every_principal_sees_exactly_its_scope(api, load_book, database, empty_database):

    @settings(
        max_examples=examples(database),
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=IN_CI,
    )
    @given(books())
    def check(book):
        parents, agent_agency, clients, leads, moved_parents, moved_agents, principals = book
        empty_database()
        assert not load_book(records(parents, agent_agency, clients, leads)).rejections
        moved = records(moved_parents, moved_agents, [], [])
        assert not load_book({"agencies": moved["agencies"], "agents": moved["agents"]}).rejections
        with db.session() as session:  # the closure table agrees with the parents
            pairs = select(AgencyClosure.ancestor_id, AgencyClosure.descendant_id)
            closure = {tuple(row) for row in session.execute(pairs)}
        assert closure == {
            (f"g{t}", f"g{d}") for t in moved_parents for d in below(moved_parents, t)
        }
        for principal in principals:
            kind, who = principal
            email = f"{kind}{who}@p.test"
            agents = expected_agents(principal, moved_parents, moved_agents)
            want_clients = {f"c{i}" for i, (a, _, _) in enumerate(clients) if f"a{a}" in agents}
            want_leads = {f"l{i}" for i, (a, _) in enumerate(leads) if f"a{a}" in agents}
            got, total = walk(api, email, "clients", "ClientFilter", {"includeUnsubmitted": True})
            assert set(got) == want_clients and len(got) == total == len(want_clients)
            got, total = walk(api, email, "leads", "LeadFilter", None)
            assert set(got) == want_leads and len(got) == total == len(want_leads)
            downline = api.gql(
                "{ downline(first: 500) { totalCount edges { node { id } } } }", as_=email
            )["downline"]
            assert {e["node"]["id"] for e in downline["edges"]} == agents
            assert downline["totalCount"] == len(agents)
            ids = (
                [f"a{a}" for a in moved_agents]
                + [f"g{g}" for g in moved_parents]
                + [f"c{i}" for i in range(len(clients))]
                + [f"l{i}" for i in range(len(leads))]
            )
            lookup = " ".join(
                f'n{i}: node(id: "{node_id}") {{ id }}' for i, node_id in enumerate(ids)
            )
            found = {v["id"] for v in api.gql(f"{{ {lookup} }}", as_=email).values() if v}
            # An agent user sees its own agency too, in the limited view (docs/domain.md).
            own = {f"g{moved_agents[who]}"} if kind == "agent" else set()
            visible_agencies = (
                {f"g{g}" for g in below(moved_parents, who)} if kind == "admin" else own
            )
            assert found == agents | want_clients | want_leads | visible_agencies

    check()


@st.composite
def production_books(draw):
    """A hierarchy, agents (moved or not, across tenants too), and policies on their NPNs or on
    NPNs of nobody, each owned by some agency or by none (the operator's)."""
    parents, agent_agency, _, _, moved_parents, moved_agents, principals = draw(books())
    n_agencies, n_agents = len(parents), len(agent_agency)
    policies = draw(
        st.lists(
            st.tuples(
                st.integers(0, n_agents + 1), st.one_of(st.none(), st.integers(0, n_agencies - 1))
            ),
            max_size=12,
        )
    )
    return parents, agent_agency, moved_parents, moved_agents, policies, principals


def npn_of(agent: int) -> str:
    return str(500 + agent)  # agents beyond the book hold no agent: their NPN matches nobody


def tenant_at_ingest(parents, agent_agency, agent: int, owner: int | None) -> str:
    """The tenant a policy went into (as migration 0005 places one): its agent's, else its
    owner's, else the operator's."""
    if agent in agent_agency:
        return f"g{top_of(parents, agent_agency[agent])}"
    return "" if owner is None else f"g{top_of(parents, owner)}"


def test_production_and_its_summary_show_exactly_the_scope(
    api, load_book, database, empty_database
):
    from downline.core.models import Policy

    @settings(
        max_examples=max(examples(database) // 5, 10),
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=IN_CI,
    )
    @given(production_books())
    def check(book):
        parents, agent_agency, moved_parents, moved_agents, policies, principals = book
        empty_database()
        assert not load_book(records(parents, agent_agency, [], [])).rejections
        tenants = [tenant_at_ingest(parents, agent_agency, a, o) for a, o in policies]
        with db.session() as session:
            for i, (agent, owner) in enumerate(policies):
                session.add(
                    Policy(
                        tenant_id=tenants[i],
                        carrier="humana",
                        carrier_policy_id=f"P{i}",
                        agent_npn=npn_of(agent),
                        owner_agency_id=None if owner is None else f"g{owner}",
                        product_type="MAPD",
                        client_name="C",
                        status="ACTIVE",
                        last_seen_as_of=date(2026, 11, 24),
                    )
                )
            session.commit()
        moved = records(moved_parents, moved_agents, [], [])
        assert not load_book({"agencies": moved["agencies"], "agents": moved["agents"]}).rejections

        def matched(i: int) -> bool:
            """Whether policy i's NPN matches an agent of its own tenant (after the moves)."""
            agent = policies[i][0]
            in_tenant = f"g{top_of(moved_parents, moved_agents.get(agent, 0))}"
            return agent in moved_agents and in_tenant == tenants[i]

        for kind, who in principals:
            email = f"{kind}{who}@p.test"
            visible_agents = {
                int(a[1:]) for a in expected_agents((kind, who), moved_parents, moved_agents)
            }
            below_me = below(moved_parents, who) if kind == "admin" else set()
            mine = f"g{top_of(moved_parents, who if kind == 'admin' else moved_agents[who])}"
            expected = {
                f"P{i}"
                for i, (agent, owner) in enumerate(policies)
                if tenants[i] == mine
                and (
                    (matched(i) and agent in visible_agents)
                    or (not matched(i) and owner is not None and owner in below_me)
                )
            }
            got, total = walk(api, email, "production", "ProductionFilter", None)
            ids = api.gql(
                "{ production(first: 500) { edges { node { id carrierPolicyId } } } }", as_=email
            )
            by_id = {
                e["node"]["id"]: e["node"]["carrierPolicyId"] for e in ids["production"]["edges"]
            }
            assert {by_id[g] for g in got} == expected and total == len(expected)
            buckets = api.gql(
                "{ productionSummary(groupBy: [AGENT]) { agent { id } submitted } }", as_=email
            )["productionSummary"]
            assert sum(b["submitted"] for b in buckets) == len(expected)
            per_agent = {b["agent"]["id"] if b["agent"] else None: b["submitted"] for b in buckets}
            for agent in visible_agents:
                held = sum(1 for i, (a, _) in enumerate(policies) if a == agent and matched(i))
                assert per_agent.get(f"a{agent}", 0) == held

    check()
