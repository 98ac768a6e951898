"""Automatic persisted queries with the protocol's own messages (Apollo's), over POST and GET,
with the store in memory (embedded) and in Redis (DOWNLINE_REDIS_URL, shared by every API
process): a hash the store does not know is PersistedQueryNotFound; a hash sent with its document
must be the document's SHA-256, and the document then runs and is kept, once it validates; the
hash alone runs it from then on, under every limit a document sent in full meets.

A real client's exchange is in test_persisted_query_client.py."""

import hashlib
import json
import uuid
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

AGENT = "eve@t.test"
ADMIN = "admin@top.test"
MODERN = "application/graphql-response+json"
NOT_FOUND = {
    "errors": [
        {"message": "PersistedQueryNotFound", "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}
    ]
}


def sha256(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


def fresh(document: str) -> str:
    """The document under a comment of its own: a hash no earlier run has stored."""
    return f"# {uuid.uuid4().hex}\n{document}"


def extension(document: str, version: int = 1) -> dict:
    return {"persistedQuery": {"version": version, "sha256Hash": sha256(document)}}


class Apq:
    """The API over HTTP, speaking the protocol, as `as_` (the agent unless told)."""

    def __init__(self, client: TestClient, token) -> None:
        self.client = client
        self.token = token

    def headers(self, as_: str, accept: str | None) -> dict:
        return {"Authorization": f"Bearer {self.token(as_)}"} | (
            {"Accept": accept} if accept else {}
        )

    def post(
        self, document, *, send_document=True, variables=None, version=1, as_=AGENT, accept=None
    ):
        body = {"extensions": extension(document, version)}
        if send_document:
            body["query"] = document
        if variables:
            body["variables"] = variables
        return self.client.post("/graphql", json=body, headers=self.headers(as_, accept))

    def get(self, document, *, send_document=False, variables=None, as_=AGENT, accept=None):
        params = {"extensions": json.dumps(extension(document))}
        if send_document:
            params["query"] = document
        if variables:
            params["variables"] = json.dumps(variables)
        return self.client.get("/graphql", params=params, headers=self.headers(as_, accept))


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def apps(request, book, api, monkeypatch) -> Iterator:
    """A factory of API apps with the store in memory or in Redis (`make(**settings)`); the
    apps made with Redis share its documents as API processes do."""
    from downline.core.config import get_settings
    from downline.server.app import create_app

    monkeypatch.setenv("DOWNLINE_WORKERS_IN_PROCESS", "false")  # no jobs here
    if request.param == "redis":
        monkeypatch.setenv("DOWNLINE_REDIS_URL", request.getfixturevalue("redis_url"))
        monkeypatch.setenv("DOWNLINE_PERSISTED_QUERY_TTL", "60")  # the test's keys go by themselves
    clients = []

    def make(**settings) -> Apq:
        for name, value in settings.items():
            monkeypatch.setenv(f"DOWNLINE_{name.upper()}", str(value))
        get_settings.cache_clear()
        clients.append(TestClient(create_app()).__enter__())
        return Apq(clients[-1], api.token)

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def apq(apps) -> Apq:
    return apps()


VIEWER = "query Viewer { viewer { email } }"
AGENCY = "query Agency($id: ID!) { agency(id: $id) { name } }"


def test_a_hash_the_store_does_not_know_is_persisted_query_not_found(apq):
    document = fresh(VIEWER)
    for response in (apq.post(document, send_document=False), apq.get(document)):
        assert response.status_code == 200
        assert response.json() == NOT_FOUND
        assert response.headers["cache-control"] == "private, no-cache, must-revalidate"
    # The media type with status codes of its own says it with one: no data, so not 2xx.
    modern = apq.get(document, accept=MODERN)
    assert modern.status_code == 400 and modern.json() == NOT_FOUND


def test_a_hash_with_its_document_runs_is_kept_and_the_hash_alone_runs_it_then(apq):
    document = fresh(AGENCY)
    first = apq.post(document, variables={"id": "east"})
    assert first.json() == {"data": {"agency": {"name": "East"}}}, first.text

    by_get = apq.get(document, variables={"id": "east-south"}, as_=ADMIN)
    assert by_get.status_code == 200, by_get.text
    assert by_get.json() == {"data": {"agency": {"name": "East South"}}}
    by_post = apq.post(document, send_document=False, variables={"id": "east"}, as_=ADMIN)
    assert by_post.json() == {"data": {"agency": {"name": "East"}}}

    # Sent by GET with its document, too (as a client may register a query).
    other = fresh(VIEWER)
    assert apq.get(other, send_document=True).json() == {"data": {"viewer": {"email": AGENT}}}
    assert apq.get(other).json() == {"data": {"viewer": {"email": AGENT}}}


def test_a_hash_that_is_not_the_document_s_is_refused_and_nothing_is_kept(apq):
    document, claimed = fresh(VIEWER), fresh(VIEWER)
    response = apq.client.post(
        "/graphql",
        json={"query": document, "extensions": extension(claimed)},
        headers=apq.headers(AGENT, None),
    )
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["message"] == "provided sha does not match query"
    assert error["extensions"] == {
        "code": "BAD_USER_INPUT",
        "field": "extensions.persistedQuery.sha256Hash",
    }
    assert apq.get(claimed).json() == NOT_FOUND
    assert apq.get(document).json() == NOT_FOUND


def test_only_version_1_is_spoken(apq):
    response = apq.post(fresh(VIEWER), version=2)
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == "Unsupported persisted query version"


def test_a_document_that_does_not_validate_is_answered_and_not_kept(apq):
    document = fresh("query Typo { viewer { emial } }")
    response = apq.post(document)
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert apq.get(document).json() == NOT_FOUND


def test_a_mutation_kept_by_post_does_not_run_by_get(apq):
    off = fresh('mutation Off { setAgentExportsAllowed(agencyId: "east", allowed: false) { id } }')
    on = 'mutation On { setAgentExportsAllowed(agencyId: "east", allowed: true) { id } }'
    assert "errors" not in apq.post(off, as_=ADMIN).json()  # runs, and is kept
    assert (
        "errors"
        not in apq.client.post(
            "/graphql", json={"query": on}, headers=apq.headers(ADMIN, None)
        ).json()
    )

    refused = apq.get(off, as_=ADMIN)
    assert refused.status_code == 405 and refused.headers["allow"] == "POST"
    switch = apq.client.post(
        "/graphql",
        json={"query": '{ agency(id: "east") { exportsAllowedForAgents } }'},
        headers=apq.headers(ADMIN, None),
    )
    assert switch.json()["data"]["agency"]["exportsAllowedForAgents"] is True


def test_a_long_document_runs_but_is_not_kept(apps):
    apq = apps(persisted_query_max_bytes=300)
    short, long = fresh(VIEWER), fresh("#" + "x" * 300 + "\n" + VIEWER)
    for document in (short, long):
        assert apq.post(document).json() == {"data": {"viewer": {"email": AGENT}}}
    assert apq.get(short).json() == {"data": {"viewer": {"email": AGENT}}}
    assert apq.get(long).json() == NOT_FOUND


@pytest.mark.redis
@pytest.mark.parametrize("apps", ["redis"], indirect=True)  # processes share documents in Redis
def test_a_kept_document_meets_every_limit_where_it_runs(apps):
    """Kept by one API process, run by another with lower limits: refused as if sent."""
    document = fresh(
        "query Pages { clients(first: 100) { edges { node { id } } } viewer { email } }"
    )
    kept = apps()
    assert "errors" not in kept.post(document).json()
    assert "errors" not in apps().get(document).json()  # another process: the same store

    costly = apps(max_query_cost=50).get(document)
    assert costly.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "the limit is 50" in costly.json()["errors"][0]["message"]

    long = apps(max_query_bytes=len(document) - 1).get(document)
    assert long.status_code == 413
    assert long.json()["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "query"}


def test_the_memory_store_keeps_the_most_recently_used_within_its_budget():
    import asyncio

    from downline.server.persisted import MemoryStore

    async def exercise() -> list:
        store = MemoryStore(budget=30)
        await store.put("a", "x" * 10)
        await store.put("b", "y" * 10)
        await store.get("a")  # a is now the most recently used
        await store.put("c", "z" * 15)  # 35 characters: b, the least recently used, goes
        return [await store.get(key) for key in "abc"] + [store.size]

    assert asyncio.run(exercise()) == ["x" * 10, None, "z" * 15, 25]
