"""The read API through HTTP, on SQLite and PostgreSQL: every query of the contract, each caller
seeing exactly its scope, in the contract's order, with its filters."""

import pytest

CLIENT_IDS = "query($f: ClientFilter, $first: Int, $after: String) { clients(filter: $f, first: $first, after: $after) { totalCount edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }"


def client_ids(api, email, filter=None, first=50):
    data = api.gql(CLIENT_IDS, {"f": filter, "first": first}, as_=email)["clients"]
    return [e["node"]["id"] for e in data["edges"]]


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        ("admin@top.test", ["c2", "c8", "c1", "c4"]),
        ("admin@east.test", ["c2", "c8", "c4"]),
        ("eve@t.test", ["c2", "c8"]),
        ("dan@t.test", ["c4"]),
        ("admin@other.test", ["c7"]),
    ],
)
def test_clients_are_scoped_and_ordered_by_last_submission_then_id(api, book, email, expected):
    assert client_ids(api, email) == expected


@pytest.mark.parametrize(
    ("filter", "expected"),
    [
        ({"includeUnsubmitted": True}, ["c2", "c8", "c1", "c4", "c3"]),
        ({"includeArchived": True}, ["c2", "c5", "c8", "c1", "c4"]),
        ({"includeThreeWayCallResolved": True}, ["c2", "c8", "c1", "c4", "c6"]),
        ({"submittedFrom": "2026-03-02", "submittedTo": "2026-03-02"}, ["c2", "c8"]),
        ({"submittedTo": "2026-02-15"}, ["c4"]),
        # The first and last days a date can name (found by tests/fuzz: the last overflowed).
        ({"submittedFrom": "0001-01-01", "submittedTo": "9999-12-31"}, ["c2", "c8", "c1", "c4"]),
        ({"submittedFrom": "2026-03-05", "includeUnsubmitted": True}, ["c3"]),
        ({"states": ["tx"]}, ["c4"]),
        ({"exchange": "OFF_EX"}, ["c4"]),
        ({"search": "LOPEZ"}, ["c1"]),
        ({"search": "maria lo"}, ["c1"]),
        ({"search": "786-555"}, ["c2"]),
        ({"search": "app-c4"}, ["c4"]),
        ({"search": "100%"}, []),
        ({"agencyIds": ["east"]}, ["c2", "c8", "c4"]),
        ({"agentIds": ["a-top", "a-deep"]}, ["c1", "c4"]),
        ({"agencyIds": ["other"]}, []),
        ({"agentIds": ["a-other"]}, []),
    ],
)
def test_client_filters(api, book, filter, expected):
    assert client_ids(api, "admin@top.test", filter) == expected


def test_cursor_walk_visits_every_client_once_in_order(api, book):
    everything = client_ids(
        api, "admin@top.test", {"includeUnsubmitted": True, "includeArchived": True}
    )
    walked, after = [], None
    while True:
        data = api.gql(
            CLIENT_IDS,
            {
                "f": {"includeUnsubmitted": True, "includeArchived": True},
                "first": 2,
                "after": after,
            },
            as_="admin@top.test",
        )["clients"]
        assert data["totalCount"] == len(everything)
        walked += [e["node"]["id"] for e in data["edges"]]
        if not data["pageInfo"]["hasNextPage"]:
            break
        after = data["pageInfo"]["endCursor"]
    assert walked == everything


def test_client_shows_masked_pii_only(api, book):
    node = api.gql(
        '{ node(id: "c1") { ... on Client { ssnMasked dateOfBirthMasked firstName agent { name agency { name } } } } }',
        as_="admin@top.test",
    )["node"]
    assert node == {
        "ssnMasked": "***-**-6789",
        "dateOfBirthMasked": "**/**/****",
        "firstName": "Maria",
        "agent": {"name": "Ann Top", "agency": {"name": "Top Agency"}},
    }


@pytest.mark.parametrize(
    ("email", "node_id", "visible"),
    [
        ("admin@top.test", "c4", True),
        ("admin@top.test", "c7", False),
        ("admin@east.test", "c1", False),
        ("eve@t.test", "c4", False),
        ("eve@t.test", "l1", True),
        ("eve@t.test", "a-deep", False),
        ("admin@east.test", "a-deep", True),
        ("admin@east.test", "top", False),
        ("admin@top.test", "east-south", True),
        ("admin@top.test", "no-such-id", False),
    ],
)
def test_node_answers_null_out_of_scope(api, book, email, node_id, visible):
    node = api.gql("query($id: ID!) { node(id: $id) { id } }", {"id": node_id}, as_=email)["node"]
    assert node == ({"id": node_id} if visible else None)


def test_agency_parent_is_hidden_at_the_top_of_the_callers_scope(api, book):
    data = api.gql(
        '{ east: agency(id: "east") { parent { id } subAgencies { id } }'
        ' south: agency(id: "east-south") { parent { id } }'
        ' top: agency(id: "top") { id } }',
        as_="admin@east.test",
    )
    assert data == {
        "east": {"parent": None, "subAgencies": [{"id": "east-south"}]},
        "south": {"parent": {"id": "east"}},
        "top": None,
    }


def test_agent_user_sees_only_a_sliver_of_its_own_agency(api, book):
    data = api.gql(
        "{ viewer { role agency { id } exportsAllowed agent { id agency { id name parent { id }"
        " subAgencies { id } agents { totalCount edges { node { id } } } } } }"
        ' other: agency(id: "top") { id } }',
        as_="eve@t.test",
    )
    assert data["viewer"] == {
        "role": "AGENT",
        "agency": None,
        "exportsAllowed": True,
        "agent": {
            "id": "a-east",
            "agency": {
                "id": "east",
                "name": "East",
                "parent": None,
                "subAgencies": [],
                "agents": {"totalCount": 1, "edges": [{"node": {"id": "a-east"}}]},
            },
        },
    }
    assert data["other"] is None


def test_agency_agents_are_direct_agents_by_name(api, book, load_book):
    load_book(
        {
            "agents": [
                {
                    "id": "a-east2",
                    "name": "Aaron East",
                    "npn": "201",
                    "email": "x@t.test",
                    "agency_id": "east",
                }
            ]
        }
    )
    data = api.gql(
        '{ agency(id: "top") { subAgencies { id agents(first: 1) { totalCount edges { node { id } } pageInfo { hasNextPage } } } } }',
        as_="admin@top.test",
    )
    by_id = {a["id"]: a["agents"] for a in data["agency"]["subAgencies"]}
    assert by_id["east"] == {
        "totalCount": 2,
        "edges": [{"node": {"id": "a-east2"}}],
        "pageInfo": {"hasNextPage": True},
    }
    assert by_id["west"] == {
        "totalCount": 1,
        "edges": [{"node": {"id": "a-west"}}],
        "pageInfo": {"hasNextPage": False},
    }


@pytest.mark.parametrize(
    ("email", "args", "expected"),
    [
        ("admin@top.test", "", ["a-top", "a-deep", "a-east", "a-west"]),
        ("admin@top.test", '(agencyId: "east")', ["a-deep", "a-east"]),
        ("admin@east.test", '(agencyId: "top")', []),
        ("admin@east.test", "", ["a-deep", "a-east"]),
        ("eve@t.test", "", ["a-east"]),
    ],
)
def test_downline(api, book, email, args, expected):
    data = api.gql(f"{{ downline{args} {{ totalCount edges {{ node {{ id }} }} }} }}", as_=email)
    assert [e["node"]["id"] for e in data["downline"]["edges"]] == expected
    assert data["downline"]["totalCount"] == len(expected)


def test_agent_by_npn_drops_leading_zeros_and_respects_scope(api, book):
    data = api.gql(
        '{ a: agent(npn: "0200") { id } b: agent(npn: "500") { id } c: agent(id: "a-deep") { npn } }',
        as_="admin@top.test",
    )
    assert data == {"a": {"id": "a-east"}, "b": None, "c": {"npn": "300"}}


@pytest.mark.parametrize("args", ["", '(id: "a-east", npn: "200")'])
def test_agent_needs_exactly_one_of_id_and_npn(api, book, args):
    errors = api.errors(f"{{ agent{args} {{ id }} }}", as_="admin@top.test")
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize(
    ("email", "filter", "expected"),
    [
        ("admin@top.test", None, ["l1", "l2"]),
        ("eve@t.test", None, ["l1"]),
        ("admin@other.test", None, ["l3"]),
        ("admin@top.test", {"statuses": ["QUOTED"]}, ["l2"]),
        ("admin@top.test", {"createdFrom": "2026-02-15"}, ["l1"]),
        ("admin@top.test", {"createdTo": "2026-02-01"}, ["l2"]),
        ("admin@top.test", {"createdTo": "9999-12-31"}, ["l1", "l2"]),
        ("admin@top.test", {"search": "lou"}, ["l2"]),
        ("admin@top.test", {"search": "0102"}, ["l2"]),
        ("admin@top.test", {"agencyIds": ["east-south"]}, ["l2"]),
    ],
)
def test_leads(api, book, email, filter, expected):
    data = api.gql(
        "query($f: LeadFilter) { leads(filter: $f) { totalCount edges { node { id agent { id } } } } }",
        {"f": filter},
        as_=email,
    )["leads"]
    assert [e["node"]["id"] for e in data["edges"]] == expected
    assert data["totalCount"] == len(expected)


def test_exports_switch_is_flipped_by_an_admin_above_and_seen_by_direct_agents(api, book):
    ask = "{ viewer { exportsAllowed } }"
    assert api.gql(ask, as_="will@t.test")["viewer"]["exportsAllowed"] is False
    flip = 'mutation { setAgentExportsAllowed(agencyId: "west", allowed: true) { id exportsAllowedForAgents } }'
    assert api.gql(flip, as_="admin@top.test")["setAgentExportsAllowed"] == {
        "id": "west",
        "exportsAllowedForAgents": True,
    }
    assert api.gql(ask, as_="will@t.test")["viewer"]["exportsAllowed"] is True


@pytest.mark.parametrize(
    ("email", "agency", "code"),
    [
        ("admin@east.test", "top", "NOT_FOUND"),
        ("admin@east.test", "west", "NOT_FOUND"),
        ("eve@t.test", "east", "FORBIDDEN"),
    ],
)
def test_exports_switch_refused_outside_scope_or_role(api, book, email, agency, code):
    mutation = (
        f'mutation {{ setAgentExportsAllowed(agencyId: "{agency}", allowed: false) {{ id }} }}'
    )
    assert api.errors(mutation, as_=email)[0]["extensions"]["code"] == code
    assert api.gql(
        f'{{ agency(id: "{agency}") {{ exportsAllowedForAgents }} }}', as_="admin@top.test"
    )["agency"]["exportsAllowedForAgents"] == (agency != "west")


def test_viewer(api, book):
    data = api.gql(
        "{ viewer { id email role agent { id } agency { id } exportsAllowed } }",
        as_="admin@top.test",
    )["viewer"]
    assert data["email"] == "admin@top.test" and data["role"] == "AGENCY_ADMIN"
    assert (
        data["agency"] == {"id": "top"} and data["agent"] is None and data["exportsAllowed"] is True
    )
    assert "admin@top.test" not in data["id"]
