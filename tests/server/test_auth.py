"""Every request needs a valid bearer token: 401 on HTTP, a refused handshake on WebSocket."""

from datetime import UTC, datetime, timedelta

import jwt
import pytest

from downline.core.config import get_settings

QUERY = "{ viewer { email } }"


def test_valid_token_is_accepted(api, book):
    assert api.gql(QUERY, as_="eve@t.test") == {"viewer": {"email": "eve@t.test"}}


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Bearer",
        "Basic abc",
        "Bearer not-a-jwt",
        "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJldmVAdC50ZXN0In0.",
    ],
)
def test_missing_or_bad_token_is_401_with_a_json_error(api, book, header):
    headers = {"Authorization": header} if header else {}
    response = api.client.post("/graphql", json={"query": QUERY}, headers=headers)
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def _forged(**claims) -> str:
    body = {"sub": "eve@t.test", "exp": datetime.now(UTC) + timedelta(hours=1)} | claims
    return jwt.encode(body, claims.pop("key", get_settings().secret_key), algorithm="HS256")


def test_expired_token_is_refused(api, book):
    token = _forged(exp=datetime.now(UTC) - timedelta(seconds=5))
    response = api.client.post(
        "/graphql", json={"query": QUERY}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 401 and "expired" in response.json()["errors"][0]["message"]


def test_token_signed_with_another_key_is_refused(api, book):
    token = jwt.encode(
        {"sub": "eve@t.test", "exp": datetime.now(UTC) + timedelta(hours=1)},
        "x" * 40,
        algorithm="HS256",
    )
    response = api.client.post(
        "/graphql", json={"query": QUERY}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 401


def test_a_deleted_user_loses_access_at_once(api, book):
    from sqlalchemy import delete

    from downline.core import db
    from downline.core.models import User

    token = api.token("dan@t.test")
    with db.session() as session:
        session.execute(delete(User).where(User.email == "dan@t.test"))
        session.commit()
    response = api.client.post(
        "/graphql", json={"query": QUERY}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 401


def test_websocket_without_a_token_is_refused(api, book):
    from starlette.websockets import WebSocketDisconnect

    with api.client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        ws.send_json({"type": "connection_init", "payload": {}})
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert closed.value.code == 4403


def test_websocket_with_a_token_can_query(api, book):
    with api.client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        ws.send_json(
            {
                "type": "connection_init",
                "payload": {"authorization": f"Bearer {api.token('eve@t.test')}"},
            }
        )
        assert ws.receive_json()["type"] == "connection_ack"
        ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": QUERY}})
        message = ws.receive_json()
    assert message == {
        "id": "1",
        "type": "next",
        "payload": {"data": {"viewer": {"email": "eve@t.test"}}},
    }


def test_legacy_graphql_ws_protocol_refuses_without_token(api, book):
    with api.client.websocket_connect("/graphql", subprotocols=["graphql-ws"]) as ws:
        ws.send_json({"type": "connection_init", "payload": {"authorization": "Bearer nope"}})
        message = ws.receive_json()
    assert message["type"] == "connection_error"
