"""The everyday request (a POST of one JSON operation) is answered without strawberry's request
adapters (server/plain.py), and answered exactly as the view answers it: the same status, body
and content type, whatever the operation does. Anything else takes the view's own path."""

import json

import pytest

from downline.server import plain
from downline.server.graphql import DownlineGraphQL
from tests.conftest import BOOK

ADMIN = "admin@top.test"
GRAPHQL_RESPONSE = "application/graphql-response+json"

REQUESTS = [
    ({"query": "{ viewer { email role } }"}, {}),
    (
        {
            "query": "query($n: Int) { clients(first: $n) { edges { node { id } } } }",
            "variables": {"n": 2},
        },
        {},
    ),
    (
        {"query": "query A { viewer { email } } query B { viewer { role } }", "operationName": "B"},
        {},
    ),
    ({"query": "query A { viewer { email } } query B { viewer { role } }"}, {}),  # unnamed choice
    ({"query": "{ viewer { nope } }"}, {}),  # does not validate
    ({"query": "{ viewer { nope } }"}, {"Accept": GRAPHQL_RESPONSE}),  # ... answered 400
    ({"query": "{ clients(first: 501) { totalCount } }"}, {"Accept": GRAPHQL_RESPONSE}),
    ({"query": '{ node(id: "no-such-id") { id } }'}, {}),
    ({"query": "{ viewer { email } "}, {}),  # does not parse
    (
        {"query": "query($n: Int!) { clients(first: $n) { totalCount } }", "variables": {"n": "x"}},
        {},
    ),
    ({"query": 'mutation { requestExport(type: "nope") { id } }'}, {}),
    ({"query": 'subscription { exportUpdates(id: "x") { id } }'}, {}),  # not in a POST
    ({"query": 'subscription { exportUpdates(id: "x") { id } }'}, {"Accept": GRAPHQL_RESPONSE}),
    ({"query": ""}, {}),  # no operation
]


@pytest.fixture
def view_calls(monkeypatch) -> list[str]:
    """The requests strawberry's view parsed itself."""
    seen: list[str] = []
    original = DownlineGraphQL.parse_http_body

    async def parse_http_body(self, request):
        seen.append(request.method)
        return await original(self, request)

    monkeypatch.setattr(DownlineGraphQL, "parse_http_body", parse_http_body)
    return seen


def answer(api, body: dict, headers: dict) -> tuple[int, str, str]:
    token = {"Authorization": f"Bearer {api.token(ADMIN)}"}
    response = api.client.post("/graphql", json=body, headers=token | headers)
    return response.status_code, response.headers["content-type"], response.text


@pytest.mark.parametrize(("body", "headers"), REQUESTS)
def test_a_plain_post_is_answered_as_the_view_answers_it(
    api, load_book, view_calls, monkeypatch, body, headers
):
    assert not load_book(BOOK).rejections
    plainly = answer(api, body, headers)

    async def no_plain_path(*_):
        return None

    monkeypatch.setattr(plain, "answer", no_plain_path)
    by_the_view = answer(api, body, headers)
    assert plainly == by_the_view
    # The view parsed the second request, and the first only when the plain path passed it on
    # (an operation refused before it ran).
    assert view_calls in (["POST"], ["POST", "POST"])


def test_a_subscription_in_a_post_is_refused_saying_where_it_runs(api, load_book):
    assert not load_book(BOOK).rejections
    query = 'subscription { exportUpdates(id: "x") { id } }'
    [error] = api.errors(query, as_=ADMIN)
    assert error["extensions"] == {"code": "BAD_USER_INPUT"}
    assert "WebSocket" in error["message"]
    status, _, text = answer(api, {"query": query}, {"Accept": GRAPHQL_RESPONSE})
    assert status == 400 and json.loads(text) == {"errors": [error]}


def test_the_everyday_request_skips_the_view_and_the_rest_do_not(api, load_book, view_calls):
    assert not load_book(BOOK).rejections
    token = {"Authorization": f"Bearer {api.token(ADMIN)}"}
    query = {"query": "{ viewer { email } }"}
    for headers in ({}, {"Content-Type": "application/json; charset=utf-8"}):
        response = api.client.post("/graphql", json=query, headers=token | headers)
        assert response.json() == {"data": {"viewer": {"email": ADMIN}}}
    assert view_calls == []
    others = [
        api.client.get("/graphql", params=query, headers=token),
        api.client.post("/graphql", json=[query], headers=token),  # a batch
        api.client.post("/graphql", json={**query, "extensions": {}}, headers=token),
        api.client.post("/graphql", json={**query, "variables": "{}"}, headers=token),
    ]
    assert [r.status_code for r in others] == [200, 400, 200, 400]
    assert view_calls == ["GET", "POST", "POST", "POST"]
