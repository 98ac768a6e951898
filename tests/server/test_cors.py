"""Pages on other sites (DOWNLINE_CORS_ORIGINS), as a browser asks: a preflight before POST
/graphql with the token and a JSON body, answered for a listed origin and cached for
DOWNLINE_CORS_MAX_AGE; the answer itself readable by a listed origin only; and the WebSocket's
handshake checked against the same list. A real browser on another origin is in
tests/web/test_cross_origin.py."""

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

ALLOWED = "https://app.example.test"
OTHER = "https://evil.example.test"
AGENT = "eve@t.test"
VIEWER = {"query": "{ viewer { email } }"}


@pytest.fixture
def client(book, monkeypatch) -> Iterator[TestClient]:
    """The API with one listed origin (written as an operator might: case, default port, slash)
    and preflights cached for 15 minutes."""
    from downline.core.config import get_settings
    from downline.server.app import create_app

    monkeypatch.setenv("DOWNLINE_CORS_ORIGINS", "HTTPS://App.Example.test:443/, http://x.test:81")
    monkeypatch.setenv("DOWNLINE_CORS_MAX_AGE", "900")
    get_settings.cache_clear()
    with TestClient(create_app()) as client:
        yield client


def bearer(api) -> dict:
    return {"Authorization": f"Bearer {api.token(AGENT)}"}


def preflight(client, origin: str):
    return client.options(
        "/graphql",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )


def test_a_listed_origin_is_answered_its_preflight_and_may_cache_it(client):
    response = preflight(client, ALLOWED)
    assert response.status_code == 200, response.text
    headers = response.headers
    assert headers["access-control-allow-origin"] == ALLOWED
    assert "POST" in headers["access-control-allow-methods"]
    allowed = {h.strip().lower() for h in headers["access-control-allow-headers"].split(",")}
    assert {"authorization", "content-type"} <= allowed
    assert headers["access-control-max-age"] == "900"
    assert "access-control-allow-credentials" not in headers  # tokens, never cookies

    refused = preflight(client, OTHER)
    assert refused.status_code == 400
    assert "access-control-allow-origin" not in refused.headers


def test_only_a_listed_origin_may_read_the_answer(api, client):
    answer = client.post("/graphql", json=VIEWER, headers=bearer(api) | {"Origin": ALLOWED})
    assert answer.json() == {"data": {"viewer": {"email": AGENT}}}
    assert answer.headers["access-control-allow-origin"] == ALLOWED
    assert "origin" in answer.headers["vary"].lower()
    assert "retry-after" in answer.headers["access-control-expose-headers"].lower()

    # A refusal is readable too, so the page can say why (here: no token).
    unsigned = client.post("/graphql", json=VIEWER, headers={"Origin": ALLOWED})
    assert unsigned.status_code == 401
    assert unsigned.headers["access-control-allow-origin"] == ALLOWED

    # Another origin's browser gets nothing it may hand to the page.
    foreign = client.post("/graphql", json=VIEWER, headers=bearer(api) | {"Origin": OTHER})
    assert "access-control-allow-origin" not in foreign.headers


def test_without_the_setting_only_the_api_s_own_origin_may_call(api):
    own = api.client.post("/graphql", json=VIEWER, headers=bearer(api) | {"Origin": ALLOWED})
    assert "access-control-allow-origin" not in own.headers
    assert preflight(api.client, ALLOWED).status_code == 400
    with (
        pytest.raises(WebSocketDisconnect),
        api.client.websocket_connect(
            "/graphql", subprotocols=["graphql-transport-ws"], headers={"Origin": ALLOWED}
        ),
    ):
        pass


def test_the_websocket_takes_the_same_origins(api, client):
    init = {"type": "connection_init", "payload": {"authorization": bearer(api)["Authorization"]}}
    for origin in (ALLOWED, "http://testserver"):  # listed, and the API's own
        with client.websocket_connect(
            "/graphql", subprotocols=["graphql-transport-ws"], headers={"Origin": origin}
        ) as socket:
            socket.send_json(init)
            assert socket.receive_json()["type"] == "connection_ack"
    with (
        pytest.raises(WebSocketDisconnect) as refused,
        client.websocket_connect(
            "/graphql", subprotocols=["graphql-transport-ws"], headers={"Origin": OTHER}
        ),
    ):
        pass
    assert refused.value.code == 1008  # refused before the socket opened (HTTP 403)


def test_a_bad_origin_is_a_start_up_error_naming_it(monkeypatch):
    from pydantic import ValidationError

    from downline.core.config import Settings

    monkeypatch.setenv("DOWNLINE_CORS_ORIGINS", "app.example.test")
    with pytest.raises(ValidationError, match="'app.example.test' is not an origin"):
        Settings()
    monkeypatch.setenv("DOWNLINE_CORS_ORIGINS", '["https://a.test/path"]')
    with pytest.raises(ValidationError, match="is not an origin"):
        Settings()
