"""POST and GET /graphql by the GraphQL-over-HTTP spec: a client that asks for
application/graphql-response+json gets it, with its status codes (400 and no `data` for a request
that fails before anything runs, 200 for an executed one, field errors and all); a client that
asks for application/json, or for nothing in particular, gets today's answers (200, `data:
null`). A query may come by GET; a mutation may not (405)."""

import json

import pytest

AGENT = "eve@t.test"
ADMIN = "admin@top.test"
MODERN = "application/graphql-response+json"
APOLLO_4 = "application/graphql-response+json,application/json;q=0.9"
VIEWER = "{ viewer { email } }"
BAD_TYPE = 'mutation { requestExport(input: {type: "nope"}) { id } }'
SWITCH_OFF = 'mutation { setAgentExportsAllowed(agencyId: "east", allowed: false) { id } }'


def post(api, query, accept=None, variables=None, as_=AGENT):
    headers = {"Authorization": f"Bearer {api.token(as_)}"}
    if accept is not None:
        headers["Accept"] = accept
    body = {"query": query} | ({"variables": variables} if variables else {})
    return api.client.post("/graphql", json=body, headers=headers)


def is_modern(response) -> bool:
    return response.headers["content-type"] == f"{MODERN}; charset=utf-8"


REQUEST_ERRORS = {
    "does not parse": ("{ viewer { email }", None),
    "does not validate": ("{ viewer { emial } }", None),
    "a variable does not coerce": ("query($id: ID!) { export(id: $id) { id } }", {"id": []}),
    "too deep": ("{ viewer { agent { agency { " + "parent { " * 10 + "id" + " }" * 13, None),
    "two operations, none named": (
        "query A { viewer { email } } query B { viewer { email } }",
        None,
    ),
}


@pytest.mark.parametrize("case", REQUEST_ERRORS)
def test_a_request_error_is_400_without_data_for_a_modern_client(api, book, case):
    query, variables = REQUEST_ERRORS[case]
    modern = post(api, query, MODERN, variables)
    assert modern.status_code == 400, modern.text
    assert is_modern(modern)
    payload = modern.json()
    assert "data" not in payload
    assert payload["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"

    legacy = post(api, query, "application/json", variables)
    assert legacy.status_code == 200
    assert legacy.headers["content-type"] == "application/json"
    assert legacy.json()["data"] is None and legacy.json()["errors"] == payload["errors"]


def test_an_executed_operation_is_200_even_with_field_errors(api, book):
    ok = post(api, VIEWER, APOLLO_4)
    assert ok.status_code == 200 and is_modern(ok)
    assert ok.json() == {"data": {"viewer": {"email": AGENT}}}

    # A non-null root field that failed: data is null, but the operation ran.
    failed_field = post(api, BAD_TYPE, MODERN)
    assert failed_field.status_code == 200 and is_modern(failed_field)
    payload = failed_field.json()
    assert payload["data"] is None and payload["errors"][0]["path"] == ["requestExport"]


PREFERENCES = {
    None: "application/json",
    "*/*": "application/json",
    "application/json": "application/json",
    "application/json, */*;q=0.5": "application/json",
    f"{MODERN};q=0": "application/json",
    "application/json;q=0.5, application/graphql-response+json;q=0.4": "application/json",
    MODERN: f"{MODERN}; charset=utf-8",
    APOLLO_4: f"{MODERN}; charset=utf-8",
    "application/graphql-response+json; charset=utf-8, application/json; charset=utf-8": (
        f"{MODERN}; charset=utf-8"
    ),
}


def test_the_answer_comes_in_the_media_type_the_client_prefers(api, book):
    got = {accept: post(api, VIEWER, accept).headers["content-type"] for accept in PREFERENCES}
    assert got == PREFERENCES


def test_refusals_before_graphql_answer_in_the_asked_media_type(api, book):
    unsigned = api.client.post("/graphql", json={"query": VIEWER}, headers={"Accept": MODERN})
    assert unsigned.status_code == 401 and is_modern(unsigned)
    assert unsigned.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


# ---- GET


def get(api, as_=AGENT, accept=None, **params):
    headers = {"Authorization": f"Bearer {api.token(as_)}"} if as_ else {}
    if accept:
        headers["Accept"] = accept
    encoded = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
    return api.client.get("/graphql", params=encoded, headers=headers)


def test_a_query_may_come_by_get(api, book):
    response = get(
        api,
        query="query One($id: ID!) { agency(id: $id) { name } viewer { email } }",
        variables={"id": "east"},
        operationName="One",
        accept=MODERN,
    )
    assert response.status_code == 200 and is_modern(response), response.text
    assert response.json()["data"]["viewer"] == {"email": AGENT}

    unsigned = get(api, as_=None, query=VIEWER)
    assert unsigned.status_code == 401
    assert unsigned.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"

    # Without a query, a browser still gets GraphiQL.
    page = api.client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()


def test_a_mutation_by_get_is_405_and_does_not_run(api, book):
    for accept in (None, MODERN):
        response = get(api, as_=ADMIN, accept=accept, query=SWITCH_OFF)
        assert response.status_code == 405, response.text
        assert response.headers["allow"] == "POST"
        [error] = response.json()["errors"]
        assert error["message"] == "mutations are not allowed when using GET"
    east = api.gql('{ agency(id: "east") { exportsAllowedForAgents } }', as_=ADMIN)
    assert east["agency"]["exportsAllowedForAgents"] is True


def test_a_get_longer_than_the_query_limit_is_refused_unread(api, book, monkeypatch):
    from starlette.testclient import TestClient

    from downline.core.config import get_settings
    from downline.server.app import create_app

    monkeypatch.setenv("DOWNLINE_MAX_QUERY_BYTES", "200")
    get_settings.cache_clear()
    with TestClient(create_app()) as client:
        limited = type(api)(client)
        assert get(limited, query="#" + "x" * 150 + "\n" + VIEWER).status_code == 200
        response = get(limited, query="#" + "x" * 250 + "\n" + VIEWER)
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"] == {
        "code": "BAD_USER_INPUT",
        "field": "query",
    }
