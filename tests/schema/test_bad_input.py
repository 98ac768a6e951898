"""Bad input gets a clear GraphQL error with a code, never a 500, and changes nothing."""

import pytest

ADMIN = "admin@top.test"


def codes(response) -> list[str]:
    assert response.status_code < 500, response.text
    return [e["extensions"]["code"] for e in response.json()["errors"]]


def test_first_over_the_cap_names_first(api, book):
    error = api.errors("{ clients(first: 501) { totalCount } }", as_=ADMIN)[0]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "first"}


def test_negative_first_is_refused(api, book):
    assert (
        api.errors("{ leads(first: -1) { totalCount } }", as_=ADMIN)[0]["extensions"]["field"]
        == "first"
    )


@pytest.mark.parametrize("cursor", ["zz", "bm90IGpzb24=", "WyJ4Il0=", "W251bGwsbnVsbF0="])
def test_malformed_cursor_names_after(api, book, cursor):
    error = api.errors(
        "query($a: String) { clients(after: $a) { totalCount } }", {"a": cursor}, as_=ADMIN
    )[0]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "after"}


def test_a_cursor_of_another_list_is_refused(api, book):
    cursor = api.gql("{ downline(first: 1) { pageInfo { endCursor } } }", as_=ADMIN)["downline"][
        "pageInfo"
    ]["endCursor"]
    error = api.errors(
        "query($a: String) { clients(after: $a) { totalCount } }", {"a": cursor}, as_=ADMIN
    )[0]
    assert error["extensions"]["field"] == "after"


@pytest.mark.parametrize(
    "query",
    [
        "{ clients { nope } }",
        '{ clients(filter: {submittedFrom: "not a date"}) { totalCount } }',
        "{ clients(filter: {exchange: MAYBE}) { totalCount } }",
        '{ clients(first: "ten") { totalCount } }',
        "{ viewer { email ",
    ],
)
def test_invalid_operations_are_bad_user_input(api, book, query):
    assert set(codes(api.post(query, as_=ADMIN))) == {"BAD_USER_INPUT"}


@pytest.mark.parametrize(
    ("query", "variables", "field"),
    [
        ("query($id: ID!) { node(id: $id) { id } }", {}, "id"),
        ("query($id: ID!) { node(id: $id) { id } }", {"id": [[]]}, "id"),
        ("query($n: Int) { leads(first: $n) { totalCount } }", {"n": "ten"}, "n"),
        ("query($f: LeadFilter) { leads(filter: $f) { totalCount } }", {"f": ""}, "f"),
        ("query($f: LeadFilter) { leads(filter: $f) { totalCount } }", {"f": {"x": 1}}, "f"),
        (
            "query($d: Date) { clients(filter: {submittedFrom: $d}) { totalCount } }",
            {"d": "not a date"},
            "d",
        ),
    ],
)
def test_variables_that_cannot_be_coerced_are_bad_user_input_naming_them(
    api, book, query, variables, field
):
    """Found by tests/fuzz: a missing or wrong-typed variable was masked as INTERNAL."""
    error = api.errors(query, variables, as_=ADMIN)[0]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}
    assert f"${field}" in error["message"]


def test_a_document_of_several_operations_must_name_the_one_to_run(api, book):
    document = "query Who { viewer { email } } query Count { clients { totalCount } }"
    error = api.errors(document, as_=ADMIN)[0]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "operationName"}
    assert "2 operations" in error["message"]
    headers = {"Authorization": f"Bearer {api.token(ADMIN)}"}
    body = {"query": document, "operationName": "Count"}
    payload = api.client.post("/graphql", json=body, headers=headers).json()
    assert "errors" not in payload and payload["data"]["clients"]["totalCount"] >= 1
    assert api.gql("query Who { viewer { email } }", as_=ADMIN)["viewer"]["email"] == ADMIN


def test_bad_json_body_is_a_client_error(api, book):
    headers = {"Authorization": f"Bearer {api.token(ADMIN)}", "Content-Type": "application/json"}
    response = api.client.post("/graphql", content=b"{not json", headers=headers)
    assert 400 <= response.status_code < 500


def test_depth_limit(api, book):
    deep = "{ viewer { agent { agency { parent { parent { parent { parent { parent { parent { parent { parent { id } } } } } } } } } } } }"
    assert codes(api.post(deep, as_=ADMIN)) == ["BAD_USER_INPUT"]


def test_alias_limit(api, book):
    many = "{ " + " ".join(f"a{i}: viewer {{ email }}" for i in range(101)) + " }"
    assert "BAD_USER_INPUT" in codes(api.post(many, as_=ADMIN))


def test_token_limit(api, book):
    huge = "{ viewer { " + "email " * 6000 + "} }"
    assert "BAD_USER_INPUT" in codes(api.post(huge, as_=ADMIN))


def test_bad_mutation_input_changes_nothing(api, book):
    response = api.post(
        'mutation { setAgentExportsAllowed(agencyId: "east", allowed: "nope") { id } }', as_=ADMIN
    )
    assert codes(response) == ["BAD_USER_INPUT"]
    assert (
        api.gql('{ agency(id: "east") { exportsAllowedForAgents } }', as_=ADMIN)["agency"][
            "exportsAllowedForAgents"
        ]
        is True
    )


def test_unexpected_errors_are_masked_as_internal(api, book, monkeypatch):
    from downline.core.book import roster

    def broken(*_args):
        raise RuntimeError("SELECT secret FROM somewhere")

    monkeypatch.setattr(roster, "exports_allowed", broken)
    # An agent user: its switch is read from the database (an admin's is always on, unread).
    error = api.errors("{ viewer { exportsAllowed } }", as_="eve@t.test")[0]
    assert error["extensions"] == {"code": "INTERNAL"}
    assert "SELECT" not in error["message"] and "reference" in error["message"]


def test_a_list_too_long_for_one_statement_is_refused_by_name(api, book):
    """Each id of a filter list is a bound parameter; PostgreSQL takes 65,535 at most. A list of
    70,000 is refused up front, naming it; 1,000 (the cap) still runs."""
    query = "query($ids: [ID!]) { clients(filter: {agentIds: $ids}) { totalCount } }"
    error = api.errors(query, {"ids": [f"a{n}" for n in range(70_000)]}, as_=ADMIN)[0]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "agentIds"}
    assert "at most 1000 items" in error["message"]
    at_cap = api.gql(query, {"ids": ["a-east", *(f"a{n}" for n in range(999))]}, as_=ADMIN)
    assert at_cap["clients"]["totalCount"] > 0
    export = 'mutation($p: JSON) { requestExport(input: {type: "enrollments", params: $p}) { id } }'
    error = api.errors(export, {"p": {"states": ["TX"] * 1001}}, as_=ADMIN)[0]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "states"}
