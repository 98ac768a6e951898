"""The number of SQL statements a request makes does not grow with page size or nesting."""

import pytest
from sqlalchemy import event
from sqlalchemy.pool import Pool

from downline.schema.context import Unit

PAGE = "query($n: Int) { clients(first: $n) { totalCount edges { node { id agent { name agency { name } } } } } }"


@pytest.fixture
def checkouts():
    """Connections taken from the pool: one per session (each a thread hop in the API)."""
    seen: list[object] = []

    def count(dbapi_connection, record, proxy):
        seen.append(record)

    event.listen(Pool, "checkout", count)
    yield seen
    event.remove(Pool, "checkout", count)


@pytest.fixture
def big_book(api, load_book):
    agencies = [{"id": "top", "name": "Top", "parent_id": None}] + [
        {"id": f"ag{i}", "name": f"Agency {i}", "parent_id": "top"} for i in range(20)
    ]
    agents = [
        {
            "id": f"a{i}",
            "name": f"Agent {i}",
            "npn": str(1000 + i),
            "email": f"a{i}@t.test",
            "agency_id": f"ag{i % 20}",
        }
        for i in range(60)
    ]
    clients = [
        {
            "id": f"c{i}",
            "agent_id": f"a{i % 60}",
            "first_name": "F",
            "last_name": f"L{i}",
            "email": None,
            "phone": None,
            "ssn": None,
            "date_of_birth": None,
            "household_income": None,
            "state": "FL",
            "county": None,
            "zip": None,
            "exchange": "on_ex",
            "application_id": None,
            "plan_year": 2026,
            "carrier": None,
            "plan_name": None,
            "plan_hios_id": None,
            "metal_level": None,
            "premium": None,
            "aptc": None,
            "members": 1,
            "application_status": "submitted",
            "submitted_at": f"2026-01-{1 + i % 28:02d}T00:00:00Z",
            "effective_date": None,
            "archived": False,
            "ede_permission_lost_at": None,
            "last_synced_at": None,
            "aor_at_risk": None,
            "invalid_action": None,
            "dmis": [],
            "svis": [],
            "follow_ups": [],
            "intake_link": None,
            "created_at": "2026-01-01T00:00:00Z",
        }
        for i in range(600)
    ]
    leads = [
        {
            "id": f"l{i}",
            "agent_id": f"a{i % 60}",
            "first_name": "F",
            "last_name": f"L{i}",
            "email": None,
            "phone": None,
            "state": "FL",
            "zip": None,
            "source": "web",
            "status": "new",
            "created_at": f"2026-02-{1 + i % 28:02d}T00:00:00Z",
            "notes": None,
        }
        for i in range(120)
    ]
    users = [{"email": "admin@t.test", "role": "agency_admin", "agency_id": "top"}]
    book = {"agencies": agencies, "agents": agents, "users": users, "clients": clients}
    report = load_book({**book, "leads": leads})
    assert not report.rejections, report.rejections[:3]


def test_clients_page_statements_do_not_grow_with_page_size(api, big_book, statements):
    counts = {}
    for size in (1, 500):
        statements.clear()
        data = api.gql(PAGE, {"n": size}, as_="admin@t.test")["clients"]
        assert len(data["edges"]) == size
        counts[size] = len(statements)
    assert counts[1] == counts[500], counts
    # The principal, the page with its agents and agencies joined, the total (was up to 6: the
    # agents and their agencies were two statements of their own).
    assert counts[500] == 3, statements


def test_nested_agency_agents_statements_do_not_grow_with_agencies(api, big_book, statements):
    query = '{ agency(id: "top") { subAgencies { name parent { name } agents(first: 2) { totalCount edges { node { name agency { name } } } } } } }'
    data = api.gql(query, as_="admin@t.test")
    assert len(data["agency"]["subAgencies"]) == 20
    assert len(statements) <= 7, statements


FRAGMENTS = """
fragment Who on Client { owner: agent { ... on Agent { name agency { name } } } }
query($n: Int) { clients(first: $n) { totalCount edges { node { id ...Who } } } }
"""


def test_page_agents_and_agencies_come_with_the_page_through_fragments_and_aliases(
    api, big_book, checkouts
):
    """One connection for the whole request: the caller's principal, the page with its agents
    and agencies, the total (it was three, one session each; a loader per relation would add
    two more)."""
    plain = api.gql(PAGE, {"n": 120}, as_="admin@t.test")["clients"]
    assert len(checkouts) == 1
    checkouts.clear()
    spread = api.gql(FRAGMENTS, {"n": 120}, as_="admin@t.test")["clients"]
    assert len(checkouts) == 1
    assert [e["node"]["owner"] for e in spread["edges"]] == [
        e["node"]["agent"] for e in plain["edges"]
    ]
    names = {
        (e["node"]["agent"]["name"], e["node"]["agent"]["agency"]["name"]) for e in plain["edges"]
    }
    assert len(names) == 60 and ("Agent 7", "Agency 7") in names


def test_leads_page_statements_do_not_grow_with_page_size(api, big_book, statements):
    query = "query($n: Int) { leads(first: $n) { edges { node { id agent { name agency { name } } } } } }"
    counts = []
    for size in (1, 100):
        statements.clear()
        edges = api.gql(query, {"n": size}, as_="admin@t.test")["leads"]["edges"]
        assert len(edges) == size
        assert all(e["node"]["agent"]["agency"]["name"].startswith("Agency ") for e in edges)
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


@pytest.fixture
def trips(monkeypatch):
    """The request's trips to the database (each `Unit.run`, and its principal's `first_row`),
    by what they ran."""
    seen: list[str] = []
    original_run, original_first_row = Unit.run, Unit.first_row

    async def run(self, fn, *args, **kwargs):
        if fn.__name__ != "_first_row":  # first_row's own, off the loop: seen as first_row
            seen.append(getattr(fn, "__qualname__", repr(fn)))
        return await original_run(self, fn, *args, **kwargs)

    async def first_row(self, *args):
        seen.append("first_row")
        return await original_first_row(self, *args)

    monkeypatch.setattr(Unit, "run", run)
    monkeypatch.setattr(Unit, "first_row", first_row)
    return seen


def test_a_page_and_its_total_are_one_trip_and_a_total_not_asked_for_is_not_counted(
    api, big_book, trips, statements
):
    data = api.gql(PAGE, {"n": 5}, as_="admin@t.test")["clients"]
    assert data["totalCount"] == 600 and len(data["edges"]) == 5
    assert trips == ["first_row", "list_connection.<locals>.read"], trips
    assert sum("count(" in s for s in statements) == 1

    trips.clear()
    statements.clear()
    query = "{ clients(first: 5) { edges { node { id } } } }"
    assert len(api.gql(query, as_="admin@t.test")["clients"]["edges"]) == 5
    assert trips == ["first_row", "list_connection.<locals>.read"], trips
    assert not any("count(" in s for s in statements), statements
