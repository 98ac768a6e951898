"""The OWASP GraphQL cheat sheet, item by item, against the served app (POST /graphql and the
WebSocket): depth, aliases, batching, introspection and field suggestions in production, error
masking, fragment cycles and the size of a document.

Proven elsewhere, and not repeated here:
- a query 12 levels deep is refused: tests/schema/test_bad_input.py::test_depth_limit
- 101 aliases are refused: tests/schema/test_bad_input.py::test_alias_limit
- a 6000-token document is refused: tests/schema/test_bad_input.py::test_token_limit
- `{ __schema }` and GraphiQL are closed in production:
  tests/server/test_ops_routes.py::test_production_mode_closes_graphiql_and_introspection
- development keeps "Did you mean": tests/server/test_ops_routes.py::
  test_development_mode_keeps_field_suggestions
- a raised Python exception is masked as INTERNAL:
  tests/schema/test_bad_input.py::test_unexpected_errors_are_masked_as_internal
This module proves the boundaries exactly, the ways around each limit, and what those tests leave
open (production's suggestions, introspection by other doors, a real database failure).
"""

import json
import re
import time

import pytest
import sqlalchemy as sa

from downline.schema.extensions import MAX_ALIASES, MAX_DEPTH

ADMIN = "admin@top.test"
SWITCH = 'mutation { setAgentExportsAllowed(agencyId: "east", allowed: false) { id } }'
EAST_SWITCH = '{ agency(id: "east") { exportsAllowedForAgents } }'


def codes(response) -> list[str]:
    assert response.status_code == 200, response.text
    return [e["extensions"]["code"] for e in response.json()["errors"]]


def east_switch_untouched(api) -> bool:
    return api.gql(EAST_SWITCH, as_=ADMIN)["agency"]["exportsAllowedForAgents"] is True


# ---- depth


def nested(parents: int) -> str:
    """viewer > agent > agency > `parents` x parent > id: the id sits 3 + `parents` levels below
    the root field."""
    return (
        "{ viewer { agent { agency { " + "parent { " * parents + "id" + " }" * parents + " } } } }"
    )


def check_depth_limit(api) -> None:
    """Allowed up to the limit, refused one past it, even when the depth hides in fragments."""
    at_limit = api.post(nested(MAX_DEPTH - 3), as_="eve@t.test").json()
    assert "errors" not in at_limit and at_limit["data"]["viewer"]["agent"]["agency"]

    over = api.post(nested(MAX_DEPTH - 2), as_="eve@t.test")
    assert codes(over) == ["BAD_USER_INPUT"] and over.json()["data"] is None
    assert "depth" in over.json()["errors"][0]["message"]

    in_fragments = (
        "query { viewer { ...V } } "
        "fragment V on Viewer { agent { ...A } } "
        "fragment A on Agent { agency { ...G } } "
        "fragment G on Agency { " + "parent { " * (MAX_DEPTH - 2) + "id" + " }" * (MAX_DEPTH - 2)
    ) + " }"
    hidden = api.post(in_fragments, as_="eve@t.test")
    assert codes(hidden) == ["BAD_USER_INPUT"] and hidden.json()["data"] is None


# ---- aliases


def aliases(count: int, prefix: str = "a") -> str:
    return " ".join(f"{prefix}{i}: viewer {{ email }}" for i in range(count))


def check_alias_limit(api) -> None:
    """Allowed up to the limit, refused one past it, even spread over fragments; refused
    aliased mutations run none of them."""
    assert len(api.gql("{ " + aliases(MAX_ALIASES) + " }", as_=ADMIN)) == MAX_ALIASES

    over = api.post("{ " + aliases(MAX_ALIASES + 1) + " }", as_=ADMIN)
    assert codes(over) == ["BAD_USER_INPUT"] and over.json()["data"] is None

    half = MAX_ALIASES // 2 + 1
    spread = f"query {{ ...F {aliases(half)} }} fragment F on Query {{ {aliases(half, 'b')} }}"
    hidden = api.post(spread, as_=ADMIN)
    assert codes(hidden) == ["BAD_USER_INPUT"] and hidden.json()["data"] is None

    mutations = " ".join(
        f'm{i}: setAgentExportsAllowed(agencyId: "east", allowed: false) {{ id }}'
        for i in range(MAX_ALIASES + 1)
    )
    assert codes(api.post("mutation { " + mutations + " }", as_=ADMIN)) == ["BAD_USER_INPUT"]
    assert east_switch_untouched(api), "an aliased mutation ran although the document was refused"


# ---- fragment cycles

CYCLES = [
    "{ viewer { ...A } } fragment A on Viewer { ...A }",
    "{ viewer { ...A } } fragment A on Viewer { ...B } fragment B on Viewer { ...A }",
    "{ viewer { agent { ...A } } } "
    "fragment A on Agent { agency { agents { edges { node { ...A } } } } }",
]


def check_fragment_cycles(api) -> None:
    """Refused as BAD_USER_INPUT, quickly (no limiter walks a cycle forever)."""
    for query in CYCLES:
        started = time.monotonic()
        response = api.post(query, as_=ADMIN)
        assert time.monotonic() - started < 5, query
        assert set(codes(response)) == {"BAD_USER_INPUT"}, query
        assert response.json()["data"] is None, query


def test_depth_alias_and_fragment_cycle_limits_hold_exactly_and_through_fragments(api, book):
    check_depth_limit(api)
    check_alias_limit(api)
    check_fragment_cycles(api)


# ---- batching, and operations by other doors


def test_no_request_runs_a_batch_of_operations_or_one_sent_cross_site(api, book):
    headers = {"Authorization": f"Bearer {api.token(ADMIN)}"}

    batch = [{"query": SWITCH}, {"query": "{ viewer { email } }"}]
    refused = api.client.post("/graphql", json=batch, headers=headers)
    assert 400 <= refused.status_code < 500 and "batching" in refused.text.lower()

    anonymous = api.client.post("/graphql", json=batch)
    assert anonymous.status_code == 401
    assert anonymous.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"

    # A document may hold several operations; only the one named runs.
    document = f"mutation Off {SWITCH[len('mutation ') :]} query Me {{ viewer {{ email }} }}"
    named = api.client.post(
        "/graphql", json={"query": document, "operationName": "Me"}, headers=headers
    )
    assert named.json() == {"data": {"viewer": {"email": ADMIN}}}
    assert east_switch_untouched(api)

    # Unnamed, never more than one of them.
    two = (
        'mutation A { setAgentExportsAllowed(agencyId: "east", allowed: false) { id } } '
        'mutation B { setAgentExportsAllowed(agencyId: "west", allowed: true) { id } }'
    )
    api.post(two, as_=ADMIN)
    switches = api.gql(
        '{ e: agency(id: "east") { exportsAllowedForAgents } '
        'w: agency(id: "west") { exportsAllowedForAgents } }',
        as_=ADMIN,
    )
    ran = [
        switches["e"]["exportsAllowedForAgents"] is False,
        switches["w"]["exportsAllowedForAgents"] is True,
    ]
    assert ran.count(True) <= 1, f"two operations of one document both ran: {switches}"
    api.gql(
        'mutation { setAgentExportsAllowed(agencyId: "east", allowed: true) { id } }', as_=ADMIN
    )

    # No mutation by GET (it runs queries only, 405) and no "simple request" content type (what
    # a cross-site form or image can send): the bearer header is the main guard against
    # cross-site requests, this is the second.
    answers = {
        "GET": api.client.get("/graphql", params={"query": SWITCH}, headers=headers),
        **{
            kind: api.client.post(
                "/graphql",
                content=json.dumps({"query": SWITCH}),
                headers=headers | {"Content-Type": kind},
            )
            for kind in ("text/plain", "application/x-www-form-urlencoded")
        },
    }
    assert {k: 400 <= r.status_code < 500 for k, r in answers.items()} == dict.fromkeys(
        answers, True
    ), {k: (r.status_code, r.text) for k, r in answers.items()}
    assert east_switch_untouched(api)


# ---- production: no introspection, no suggestions

INTROSPECTION = [
    '{ __type(name: "Client") { fields { name } } }',
    "{ schema: __schema { queryType { name } } }",
    "query { ...I } fragment I on Query { __schema { types { name } } }",
    "{ viewer { email } __schema { mutationType { fields { name } } } }",
]

TYPOS = [
    # (the query, its variables, the name a suggestion would give away)
    ("{ viewer { emial } }", None, "email"),
    ("{ clients { edges { node { frstName } } } }", None, "firstName"),
    ("{ clients(fitler: {}) { totalCount } }", None, "filter"),
    ('{ clients(filter: {serch: "x"}) { totalCount } }', None, "search"),
    (
        "query($f: ClientFilter) { clients(filter: $f) { totalCount } }",
        {"f": {"serch": "x"}},
        "search",
    ),
    ("{ clients(filter: {exchange: ON_EXX}) { totalCount } }", None, "ON_EX"),
    (
        "query($f: ClientFilter) { clients(filter: $f) { totalCount } }",
        {"f": {"exchange": "ON_EXX"}},
        "ON_EX",
    ),
    ("{ viewer { ... on Viewr { email } } }", None, "Viewer"),
    ("query($f: ClientFiltr) { clients(filter: $f) { totalCount } }", None, "ClientFilter"),
]


def check_introspection_closed(production_api, ws_operation) -> None:
    """Closed by every door: __type, aliased, in a fragment, beside a field, over WebSocket."""
    for query in INTROSPECTION:
        response = production_api.post(query, as_="eve@t.test")
        assert set(codes(response)) == {"BAD_USER_INPUT"}, query
        assert response.json().get("data") is None, query

    payload = ws_operation(production_api, "eve@t.test", INTROSPECTION[-1])
    assert payload.get("data") is None
    assert {e["extensions"]["code"] for e in payload["errors"]} == {"BAD_USER_INPUT"}

    # What clients rely on without introspecting still works.
    assert production_api.gql("{ __typename viewer { __typename } }", as_="eve@t.test") == {
        "__typename": "Query",
        "viewer": {"__typename": "Viewer"},
    }


def check_no_suggestions(api, production_api) -> None:
    """Each typo does get a hint in development (the control); production answers the same
    mistake as BAD_USER_INPUT without one: no field, argument, input field, enum value or type
    name of the schema is given away."""
    leaks = []
    for query, variables, hint in TYPOS:
        developed = api.errors(query, variables, as_="eve@t.test")
        assert any("Did you mean" in e["message"] for e in developed), (query, developed)
        errors = production_api.errors(query, variables, as_="eve@t.test")
        assert {e["extensions"]["code"] for e in errors} == {"BAD_USER_INPUT"}, (query, errors)
        leaks += [
            (query, e["message"])
            for e in errors
            if "Did you mean" in e["message"] or f"'{hint}'" in e["message"]
        ]
    assert leaks == []


def test_production_closes_introspection_and_never_suggests_names(
    api, production_api, ws_operation
):
    check_introspection_closed(production_api, ws_operation)
    check_no_suggestions(api, production_api)


# ---- error masking


@pytest.fixture
def broken_leads(book):
    """A real database failure, not a mock: the `lead` table loses a column the app selects,
    for the duration of the test."""
    from downline.core import db

    def rename(old: str, new: str) -> None:
        with db.get_engine().begin() as conn:
            conn.execute(sa.text(f"ALTER TABLE lead RENAME COLUMN {old} TO {new}"))
        db.get_engine().dispose()  # no pooled connection keeps a plan of the old table

    rename("source", "source_moved")
    try:
        yield
    finally:
        rename("source_moved", "source")


LEAK_MARKERS = ("SELECT", "lead.", "source", "Traceback", 'File "', "sqlalchemy", "sqlite",
                "psycopg", "OperationalError", "ProgrammingError", "UndefinedColumn")  # fmt: skip
INTERNAL = re.compile(r"^Internal error \(reference ([0-9a-f]{12})\)\.$")


def masked_reference(errors: list[dict], text: str) -> str:
    [error] = errors
    assert error["extensions"] == {"code": "INTERNAL"}, error
    match = INTERNAL.match(error["message"])
    assert match, error["message"]
    assert [m for m in LEAK_MARKERS if m in text] == []
    return match.group(1)


def test_a_real_database_failure_is_masked_everywhere_with_a_reference_the_log_explains(
    api, production_api, broken_leads, ws_operation, api_log
):
    query = "{ leads { totalCount edges { node { id source } } } }"
    response = api.post(query, as_="eve@t.test")
    assert response.status_code == 200
    reference = masked_reference(response.json()["errors"], response.text)
    logged = [r for r in api_log.records if reference in r.getMessage()]
    assert logged and logged[0].exc_info is not None, "the log must carry the traceback"

    payload = ws_operation(api, "eve@t.test", query)
    masked_reference(payload["errors"], json.dumps(payload))

    in_production = production_api.post(query, as_="eve@t.test")
    assert in_production.status_code == 200
    masked_reference(in_production.json()["errors"], in_production.text)
