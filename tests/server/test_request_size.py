"""The size of a GraphQL request (DOWNLINE_MAX_QUERY_BYTES, 1,000,000 by default): a body over
it is answered 413 before it is parsed, whether it says its length up front or comes in chunks;
one at the limit runs, comments and all. Uploads keep their own limit (DOWNLINE_MAX_UPLOAD_MB)."""

import json
import time
from pathlib import Path

ADMIN = "admin@top.test"
LIMIT = 1_000_000
SAMPLES = Path(__file__).parents[1] / "fixtures" / "carriers"


def padded(size: int) -> bytes:
    """A JSON body of exactly `size` bytes: `{ viewer { email } }` after a long comment."""
    empty = json.dumps({"query": "#\n{ viewer { email } }"}).encode()
    body = json.dumps({"query": "#" + "x" * (size - len(empty)) + "\n{ viewer { email } }"})
    assert len(body.encode()) == size
    return body.encode()


def post(api, body, **headers):
    headers = {"Authorization": f"Bearer {api.token(ADMIN)}"} | headers
    return api.client.post(
        "/graphql", content=body, headers=headers | {"Content-Type": "application/json"}
    )


def in_chunks(body: bytes, size: int = 64 * 1024):
    """The body as a stream: sent chunked, with no Content-Length."""
    for start in range(0, len(body), size):
        yield body[start : start + size]


def refused_as_too_large(response) -> None:
    assert response.status_code == 413, response.text[:200]
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "query"}
    assert error["message"].startswith(f"the request is larger than {LIMIT:,} bytes")


def test_a_body_one_byte_over_the_limit_is_refused_unread(api, book, statements):
    assert post(api, padded(LIMIT)).json() == {"data": {"viewer": {"email": ADMIN}}}

    statements.clear()
    refused_as_too_large(post(api, padded(LIMIT + 1)))
    assert statements == [], "the refused request was signed in (or further)"


def test_a_chunked_body_is_counted_as_it_is_read(api, book):
    assert post(api, in_chunks(padded(LIMIT))).json() == {"data": {"viewer": {"email": ADMIN}}}
    refused_as_too_large(post(api, in_chunks(padded(LIMIT + 1))))


UPLOAD = "mutation($file: Upload!) { uploadCarrierReport(file: $file) { id status } }"
REPORT = "query($id: ID!) { node(id: $id) { ... on CarrierReport { status rowsRead } } }"


def test_an_upload_larger_than_the_query_limit_keeps_the_upload_limit(
    api, production_book, monkeypatch
):
    from starlette.testclient import TestClient

    from downline.core.config import get_settings
    from downline.server.app import create_app

    sample = (SAMPLES / "humana-2026-11-24.csv").read_bytes()
    small = 1_000
    assert len(sample) > small
    monkeypatch.setenv("DOWNLINE_MAX_QUERY_BYTES", str(small))
    get_settings.cache_clear()
    with TestClient(create_app()) as client:
        limited = type(api)(client)
        assert post(limited, padded(small + 1)).status_code == 413
        response = client.post(
            "/graphql",
            data={
                "operations": json.dumps({"query": UPLOAD, "variables": {"file": None}}),
                "map": json.dumps({"0": ["variables.file"]}),
            },
            files={"0": ("humana-2026-11-24.csv", sample, "text/csv")},
            headers={"Authorization": f"Bearer {api.token(ADMIN)}"},
        )
        assert response.status_code == 200, response.text
        report = {"id": response.json()["data"]["uploadCarrierReport"]["id"]}
        deadline = time.monotonic() + 30
        while (done := limited.gql(REPORT, report, as_=ADMIN)["node"])["status"] in (
            "QUEUED",
            "PROCESSING",
        ):
            assert time.monotonic() < deadline, "the upload was never read"
            time.sleep(0.05)
    assert done == {"status": "SUCCEEDED", "rowsRead": 12}


def test_a_client_gone_before_its_body_was_whole_is_not_an_error(api, book):
    """The body was declared 1,000 bytes, and the client left after 10 (a load generator
    stopping, a browser tab closed): nothing to answer, nothing raised (it was an "Exception
    in ASGI application" in the server's log each time)."""
    messages = [
        {"type": "http.request", "body": b'{"query": ', "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent = []

    async def receive():
        return messages.pop(0)

    async def send(message):
        sent.append(message)

    headers = {"authorization": f"Bearer {api.token(ADMIN)}", "content-length": "1000"}
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "query_string": b"",
        "root_path": "",
        "headers": [(k.encode(), v.encode()) for k, v in headers.items()]
        + [(b"content-type", b"application/json")],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    api.client.portal.call(api.client.app, scope, receive, send)
    assert sent == [] and messages == []
    assert post(api, padded(200)).json() == {"data": {"viewer": {"email": ADMIN}}}
