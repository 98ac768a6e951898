"""The cost limit (DOWNLINE_MAX_QUERY_COST): an operation that asks for more objects than the
limit is refused as BAD_USER_INPUT, naming its cost and the limit, before any resolver runs;
one at the limit runs. The cost counts aliases, fragments and `first` given by variables.

First the count itself on the served schema (schema/cost.py), then the limit over HTTP."""

import pytest
from graphql import FragmentDefinitionNode, get_operation_ast, parse

from downline.schema import MAX_COST
from downline.schema import schema as served

ADMIN = "admin@top.test"


def cost(query: str, variables: dict | None = None) -> int:
    from downline.schema.cost import operation_cost

    document = parse(query)
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    return operation_cost(served._schema, get_operation_ast(document), fragments, variables or {})


# ---- the count


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("{ viewer { email } }", 1),
        # A connection: `first` times (itself + its page's edge and node + pageInfo).
        ("{ production(first: 10) { edges { node { id } } pageInfo { endCursor } } }", 10 * 4),
        # Its default page, and an explicit null, which core/book/paging.py reads as the default.
        ("{ clients { totalCount } }", 50),
        ("{ clients(first: null) { totalCount } }", 50),
        # A list without `first` is taken to fill a default page; lists of enums cost nothing.
        ("{ viewer { agency { subAgencies { id } } } }", 1 + 1 + 50),
        ("{ carriers { key productTypes } }", 50),
        # Only the list directly inside a field with `first` is its page.
        (
            "{ clients(first: 2) { edges { node { agent { agency { subAgencies { id } } } } } } }",
            2 * (1 + 1 + 1 + 1 + 1 + 50),
        ),
        # Nested connections multiply.
        (
            "{ downline(first: 10) { edges { node { agency { "
            "agents(first: 20) { edges { node { id } } } } } } } }",
            10 * (1 + 1 + 1 + 1 + 20 * (1 + 1 + 1)),
        ),
        # Aliases each count; a report's errors are a list with `first` (default 100).
        ("{ a: clients(first: 2) { totalCount } b: clients(first: 3) { totalCount } }", 5),
        ('{ node(id: "x") { ... on CarrierReport { errors { line } } } }', 1 + 100),
        # Introspection is sized by the schema, not the caller.
        ("{ __schema { types { name fields { name args { name } } } } __typename }", 0),
    ],
)
def test_the_cost_counts_every_object_a_query_may_return(query, expected):
    assert cost(query) == expected


def test_first_from_a_variable_its_default_or_the_arguments_default():
    by_variable = "query($n: Int) { clients(first: $n) { totalCount } }"
    assert cost(by_variable, {"n": 7}) == 7
    assert cost(by_variable, {"n": 7.0}) == 7
    assert cost(by_variable, {}) == 50  # the argument's default
    assert cost(by_variable, {"n": None}) == 50
    assert cost(by_variable, {"n": -5}) == 0
    with_default = "query($n: Int = 9) { clients(first: $n) { totalCount } }"
    assert cost(with_default, {}) == 9
    assert cost(with_default, {"n": 4}) == 4


def test_fragments_and_inline_fragments_count_where_they_are_spread():
    query = (
        'query { ...Q a: agency(id: "x") { ... on Agency { agents(first: 5) { totalCount } } } } '
        "fragment Q on Query { clients(first: 3) { edges { node { ...C } } } } "
        "fragment C on Client { agent { id } }"
    )
    clients = 3 * (1 + 1 + 1 + 1)
    agency = 1 + 5
    assert cost(query) == clients + agency


def test_fragments_spread_into_one_another_are_counted_once_each():
    """Each fragment spreads the next one twice, thirty deep: 2**30 spreads in all, which a
    naive walk would take hours over; the count is worked out once per fragment."""
    levels = 30
    fragments = " ".join(
        f"fragment F{k} on Agency {{ a: parent {{ ...F{k + 1} }} b: parent {{ ...F{k + 1} }} }}"
        for k in range(levels)
    )
    query = f'{{ agency(id: "x") {{ ...F0 }} }} {fragments} fragment F{levels} on Agency {{ id }}'
    # F30 costs 0, and each level twice (1 + the next): F0 = 2**31 - 2.
    assert cost(query) == 1 + 2 ** (levels + 1) - 2


# ---- the limit, over HTTP

POLICY_ROW = "agent { agency { parent { id } } }"


def reproducer(aliases: int = 100) -> str:
    """What took 12 s and 9.5 MB: the most aliases allowed, each a full page of production
    with each policy's agent, agency and parent."""
    fields = (
        f"p{i}: production(first: 500) {{ totalCount edges {{ node {{ {POLICY_ROW} }} }} }}"
        for i in range(aliases)
    )
    return "{ " + " ".join(fields) + " }"


def sql_of(api, statements, query: str, variables: dict | None = None):
    """The answer to `query` and the SQL it sent."""
    statements.clear()
    response = api.post(query, variables, as_=ADMIN)
    return response, list(statements)


def refusal(response) -> str:
    assert response.status_code == 200, response.text
    payload = response.json()
    assert payload["data"] is None
    [error] = payload["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    return error["message"]


def test_the_reproducer_is_refused_naming_its_cost_before_any_sql(api, production_rows, statements):
    _, signing_in = sql_of(api, statements, "{ __typename }")  # the token's user, and nothing else
    response, sent = sql_of(api, statements, reproducer())
    assert refusal(response).startswith(
        "this operation asks for up to 300,000 objects; the limit is 50,000"
    )
    assert sent == signing_in, "the refused operation ran SQL of its own"


def test_an_operation_at_the_limit_runs_and_one_page_more_is_refused(api, production_rows):
    """Each alias costs 500 x (connection, edge, policy, agent, agency) = 2,500: 20 of them
    are the limit exactly."""

    def aliases(count: int) -> str:
        page = "production(first: 500) { edges { node { agent { agency { id } } } } }"
        return "{ " + " ".join(f"p{i}: {page}" for i in range(count)) + " }"

    assert MAX_COST == 20 * 2_500
    data = api.gql(aliases(20), as_=ADMIN)
    assert len(data) == 20 and data["p0"]["edges"], "the book's policies are listed"
    assert "52,500 objects" in refusal(api.post(aliases(21), as_=ADMIN))


def test_first_given_by_variables_counts(api, book):
    page = f"production(first: $n) {{ edges {{ node {{ {POLICY_ROW} }} }} }}"
    query = "query($n: Int) { " + " ".join(f"p{i}: {page}" for i in range(20)) + " }"
    assert "errors" not in api.post(query, {"n": 10}, as_=ADMIN).json()
    assert "60,000 objects" in refusal(api.post(query, {"n": 500}, as_=ADMIN))

    with_default = query.replace("$n: Int", "$n: Int = 500")
    assert "60,000 objects" in refusal(api.post(with_default, as_=ADMIN))


def test_cost_hidden_in_fragments_counts(api, book):
    def pages(prefix: str) -> str:
        return " ".join(f"{prefix}{i}: production(first: 500) {{ ...Row }}" for i in range(10))

    query = (
        f"query {{ ...A ...B }} fragment A on Query {{ {pages('a')} }} "
        f"fragment B on Query {{ {pages('b')} }} "
        f"fragment Row on PolicyConnection {{ edges {{ node {{ {POLICY_ROW} }} }} }}"
    )
    assert "60,000 objects" in refusal(api.post(query, as_=ADMIN))


def test_the_limit_is_a_setting(api, book, monkeypatch):
    from starlette.testclient import TestClient

    from downline.core.config import get_settings
    from downline.server.app import create_app

    monkeypatch.setenv("DOWNLINE_MAX_QUERY_COST", "100")
    get_settings.cache_clear()
    with TestClient(create_app()) as client:
        small = type(api)(client)
        assert small.gql("{ clients(first: 100) { totalCount } }", as_=ADMIN)
        message = refusal(small.post("{ clients(first: 101) { totalCount } }", as_=ADMIN))
    assert message.startswith("this operation asks for up to 101 objects; the limit is 100")
