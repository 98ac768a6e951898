"""Where download links point. DOWNLINE_PUBLIC_URL unset: an API answer's links use the address
its request came to, as the client saw it (scheme, host, port from the Host header), and the
emailed link the address the export's request came to. Set, it wins everywhere."""

import time
from collections.abc import Iterator
from email import policy
from email.parser import BytesParser

import pytest
from starlette.testclient import TestClient

from downline.core.config import get_settings
from tests.conftest import BOOK, Api, emailed

FAR = "http://downline.test:9000"  # `downline serve --port 9000`, reached by that name
REQUEST = 'mutation { requestExport(input: {type: "clients"}) { id } }'
EXPORT = "query($id: ID!) { export(id: $id) { status downloadUrl } }"
HISTORY = "{ exports { edges { node { downloadUrl } } } }"
EVE = "eve@t.test"


@pytest.fixture
def app(database, load_book, monkeypatch) -> Iterator:
    """The app with its workers running (entered through a client at FAR), over BOOK."""
    from downline.server.app import create_app

    monkeypatch.delenv("DOWNLINE_PUBLIC_URL", raising=False)
    get_settings.cache_clear()
    app = create_app()
    with TestClient(app, base_url=FAR):
        assert not load_book(BOOK).rejections
        yield app


def client_at(app, base_url: str) -> Api:
    return Api(TestClient(app, base_url=base_url))


def finished(api: Api) -> tuple[str, str]:
    """Request a clients export as Eve and wait for it: (its id, its downloadUrl)."""
    export_id = api.gql(REQUEST, as_=EVE)["requestExport"]["id"]
    deadline = time.monotonic() + 30
    while (export := api.gql(EXPORT, {"id": export_id}, as_=EVE)["export"])[
        "status"
    ] != "SUCCEEDED":
        assert time.monotonic() < deadline, export
        time.sleep(0.05)
    return export_id, export["downloadUrl"]


def emailed_link(export_id: str) -> str:
    """The link in the export's email (the outbox), once the worker has written it."""
    found = emailed(get_settings().var_dir, export_id)
    message = BytesParser(policy=policy.default).parsebytes(found[0].read_bytes())
    text = message.get_body(preferencelist=("plain",)).get_content()
    return next(line for line in text.splitlines() if "/download?token=" in line)


def test_links_follow_the_address_the_request_came_to_unless_a_public_url_is_set(app, monkeypatch):
    far = client_at(app, FAR)
    export_id, url = finished(far)
    assert url.startswith(f"{FAR}/exports/{export_id}/download?token=")
    assert emailed_link(export_id).startswith(f"{FAR}/exports/{export_id}/download?token=")

    # Asked again at another address, the history answers with that one; the email keeps the
    # address the export was requested at.
    near = client_at(app, "https://downline.internal")
    again = near.gql(HISTORY, as_=EVE)["exports"]["edges"][0]["node"]["downloadUrl"]
    assert again.startswith(f"https://downline.internal/exports/{export_id}/download?token=")
    assert far.client.get(again.removeprefix("https://downline.internal")).status_code == 200

    monkeypatch.setenv("DOWNLINE_PUBLIC_URL", "https://exports.agency.example/")
    get_settings.cache_clear()
    export_id, url = finished(far)
    expected = f"https://exports.agency.example/exports/{export_id}/download?token="
    assert url.startswith(expected)
    assert emailed_link(export_id).startswith(expected)


@pytest.mark.parametrize(
    ("socket_url", "link_base"),
    [
        ("ws://downline.test:9000/graphql", "http://downline.test:9000"),
        ("wss://downline.example/graphql", "https://downline.example"),
    ],
)
def test_a_subscription_s_links_use_http_at_the_websocket_s_address(app, socket_url, link_base):
    far = client_at(app, FAR)
    export_id, _ = finished(far)
    query = "subscription($id: ID!) { exportUpdates(id: $id) { downloadUrl } }"
    # The test client's sockets ignore its base_url: the address is given in full.
    with far.client.websocket_connect(socket_url, subprotocols=["graphql-transport-ws"]) as ws:
        ws.send_json(
            {"type": "connection_init", "payload": {"authorization": f"Bearer {far.token(EVE)}"}}
        )
        assert ws.receive_json()["type"] == "connection_ack"
        ws.send_json(
            {
                "id": "e",
                "type": "subscribe",
                "payload": {"query": query, "variables": {"id": export_id}},
            }
        )
        url = ws.receive_json()["payload"]["data"]["exportUpdates"]["downloadUrl"]
    assert url.startswith(f"{link_base}/exports/{export_id}/download?token=")
