"""Automatic persisted queries with a client's exchange, against two real `downline serve`
processes sharing Redis (as two API processes behind a load balancer).

No Python GraphQL client speaks the protocol: gql 4.4.0 and sgqlc 18 send no `persistedQuery`
extension. So httpx sends exactly what Apollo Client's persisted-query link does (the
apollo-link-persisted-queries package, now @apollo/client/link/persisted-queries) with
`useGETForHashedQueries`: a query goes first by GET with the hash alone (`operationName`,
`variables` and `extensions` as URL-encoded JSON, encodeURIComponent's way), Accept `*/*` and
Content-Type application/json as its HTTP link sends them; when the answer's errors say
PersistedQueryNotFound (by message or code), the same operation again by POST, with the document.
"""

import hashlib
import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from tests.conftest import _free_port, start, stop

ADMIN = "admin@top.test"
AGENCY = "query Agency($id: ID!) {\n  agency(id: $id) {\n    name\n  }\n}"

pytestmark = pytest.mark.redis


class PersistedQueryLink:
    """Apollo Client's link and HTTP link, as far as they shape the requests."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.sent: list[str] = []  # "GET host:port" / "POST host:port", in order

    def _headers(self) -> dict:
        return {
            "accept": "*/*",
            "content-type": "application/json",
            "authorization": f"Bearer {self.token}",
        }

    def query(self, uri: str, document: str, operation_name: str, variables: dict) -> dict:
        extensions = {
            "persistedQuery": {
                "version": 1,
                "sha256Hash": hashlib.sha256(document.encode()).hexdigest(),
            }
        }
        params = {
            "operationName": operation_name,
            "variables": json.dumps(variables, separators=(",", ":")),
            "extensions": json.dumps(extensions, separators=(",", ":")),
        }
        url = uri + "?" + "&".join(f"{k}={encode_uri_component(v)}" for k, v in params.items())
        payload = self._send("GET", url)
        errors = payload.get("errors") or []
        if any(
            e.get("message") == "PersistedQueryNotFound"
            or (e.get("extensions") or {}).get("code") == "PERSISTED_QUERY_NOT_FOUND"
            for e in errors
        ):
            body = {
                "operationName": operation_name,
                "variables": variables,
                "extensions": extensions,
                "query": document,
            }
            payload = self._send("POST", uri, content=json.dumps(body))
        return payload

    def _send(self, method: str, url: str, **kwargs) -> dict:
        self.sent.append(f"{method} {httpx.URL(url).port}")
        response = httpx.request(method, url, headers=self._headers(), timeout=10, **kwargs)
        return response.json()


def encode_uri_component(value: str) -> str:
    """JavaScript's encodeURIComponent, which the link's GET URL is built with."""
    return quote(value, safe="-_.!~*'()")


def _serve(port: int, env: dict, log: Path):
    downline = str(Path(sys.executable).parent / "downline")
    return start([downline, "serve", "--port", str(port)], env, log)


@pytest.fixture
def two_processes(book, redis_url, tmp_path) -> Iterator[list[str]]:
    """Two `downline serve` on the test's database, sharing Redis; their /graphql URLs."""
    env = os.environ | {"DOWNLINE_REDIS_URL": redis_url, "DOWNLINE_PERSISTED_QUERY_TTL": "60"}
    ports = [_free_port(), _free_port()]
    processes = [_serve(port, env, tmp_path / f"api-{port}.log") for port in ports]
    try:
        for port, process in zip(ports, processes, strict=True):
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline or process.poll() is not None:
                    logs = "\n".join(p.read_text() for p in tmp_path.glob("api-*.log"))
                    pytest.fail(f"the API did not start:\n{logs}")
                time.sleep(0.1)
        yield [f"http://127.0.0.1:{port}/graphql" for port in ports]
    finally:
        for process in processes:
            stop(process)


def test_an_apollo_client_sends_the_hash_then_the_document_once_for_every_process(
    api, two_processes
):
    first, second = two_processes
    link = PersistedQueryLink(api.token(ADMIN))
    # A document no earlier run has stored (the hash is of the text, comments and all).
    document = f"# {time.time_ns()}\n{AGENCY}"
    port = [httpx.URL(uri).port for uri in two_processes]

    answer = link.query(first, document, "Agency", {"id": "east"})
    assert answer == {"data": {"agency": {"name": "East"}}}, answer
    assert link.sent == [f"GET {port[0]}", f"POST {port[0]}"]  # not found, then sent in full

    link.sent.clear()
    for uri, agency, name in ((first, "west", "West"), (second, "east-south", "East South")):
        assert link.query(uri, document, "Agency", {"id": agency}) == {
            "data": {"agency": {"name": name}}
        }
    # The hash alone, by GET, for both processes: the other one reads what the first kept.
    assert link.sent == [f"GET {port[0]}", f"GET {port[1]}"]
