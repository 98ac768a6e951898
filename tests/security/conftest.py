"""Fixtures for the security review: a snapshot of everything stored (to prove that a refusal
changed nothing), the app in production mode, WebSocket helpers, and carrier production in the
test book (so that the production filters have rows to leak, if they could)."""

import logging
from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa

from tests.conftest import BOOK, SAMPLES, Api

# The humana sample's NPNs -> the test book's agents (Ann Top, Eve East, Dan Deep, Olga Other);
# 18000005-18000007 stay unmatched.
BOOK_NPNS = {"18000001": "100", "18000002": "200", "18000003": "300", "18000004": "500"}


@pytest.fixture
def snapshot(database) -> Callable[[], dict[str, list]]:
    """A function returning every row of every table (as sorted tuples of reprs) and the list of
    stored files: two snapshots are equal when nothing was written, deleted or changed."""
    from sqlmodel import SQLModel

    from downline.core import db, models  # noqa: F401 - every table registered on the metadata
    from downline.core.config import get_settings

    def take() -> dict[str, list]:
        with db.get_engine().connect() as conn:
            state = {
                table.name: sorted(tuple(map(repr, row)) for row in conn.execute(sa.select(table)))
                for table in SQLModel.metadata.sorted_tables
            }
        files = get_settings().var_dir / "files"
        stored = files.rglob("*") if files.exists() else []
        state["<stored files>"] = sorted(str(p.relative_to(files)) for p in stored)
        return state

    return take


@pytest.fixture
def production_api(api, book, monkeypatch) -> Iterator:
    """The same API (same class as the `api` fixture) over an app built with
    DOWNLINE_ENV=production, on the same database and book."""
    from starlette.testclient import TestClient

    from downline.core.config import get_settings
    from downline.server.app import create_app

    monkeypatch.setenv("DOWNLINE_ENV", "production")
    monkeypatch.setenv("DOWNLINE_SECRET_KEY", get_settings().secret_key)
    get_settings.cache_clear()
    assert get_settings().production
    with TestClient(create_app()) as client:
        yield type(api)(client)


@pytest.fixture
def ws_connect() -> Callable:
    """`ws_connect(client, authorization, protocol="graphql-transport-ws")`: open a connection
    of that protocol (or the legacy "graphql-ws") and send connection_init with that
    Authorization value; returns (websocket context, websocket, first answer), the answer being
    the message, or the close code when the server closed the socket."""
    from starlette.websockets import WebSocketDisconnect

    def connect(client, authorization: str | None, protocol: str = "graphql-transport-ws"):
        context = client.websocket_connect("/graphql", subprotocols=[protocol])
        ws = context.__enter__()
        payload = {"authorization": authorization} if authorization is not None else {}
        ws.send_json({"type": "connection_init", "payload": payload})
        try:
            answer = ws.receive_json()
        except WebSocketDisconnect as closed:
            answer = closed.code
        return context, ws, answer

    return connect


@pytest.fixture
def socket(api, ws_connect):
    """`socket(protocol, token)`: a WebSocket signed in with `token`, closed at the end."""
    opened = []

    def open_(protocol: str, token: str):
        context, ws, answer = ws_connect(api.client, f"Bearer {token}", protocol)
        opened.append(context)
        assert isinstance(answer, dict) and answer["type"] == "connection_ack", answer
        return ws

    yield open_
    for context in opened:
        context.__exit__(None, None, None)


@pytest.fixture
def ws_operation(ws_connect) -> Callable:
    """`ws_operation(api, email, query, variables)`: the payload of the first result of one
    operation sent over a WebSocket signed in as `email`."""

    def run(api, email: str, query: str, variables: dict | None = None) -> dict:
        context, ws, answer = ws_connect(api.client, f"Bearer {api.token(email)}")
        try:
            assert isinstance(answer, dict) and answer["type"] == "connection_ack", answer
            ws.send_json(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": query, "variables": variables or {}},
                }
            )
            message = ws.receive_json()
            assert message["type"] in ("next", "error"), message
            return (
                message["payload"] if message["type"] == "next" else {"errors": message["payload"]}
            )
        finally:
            context.__exit__(None, None, None)

    return run


@pytest.fixture
def production_rows(book, cli, tmp_path) -> dict:
    """The humana sample loaded (by the operator) with its NPNs mapped onto the test book's
    agents: Ann 2 policies, Eve 2, Dan 2, Olga 2, and 4 matching no agent. Returns BOOK."""
    text = (SAMPLES / "humana-2026-11-24.csv").read_text(encoding="utf-8")
    for sample, ours in BOOK_NPNS.items():
        text = text.replace(f",{sample},", f",{ours},")
    path = tmp_path / "humana-2026-11-24.csv"
    path.write_text(text, encoding="utf-8")
    result = cli("ingest", path, "--as-of", "2026-11-24")
    assert result.exit_code == 0, result.output
    return book


@pytest.fixture
def api_log(caplog) -> Iterator[pytest.LogCaptureFixture]:
    """caplog, also fed by the `downline` loggers (they do not propagate to the root)."""
    logger = logging.getLogger("downline")
    logger.addHandler(caplog.handler)
    try:
        yield caplog
    finally:
        logger.removeHandler(caplog.handler)


@pytest.fixture
def waiting_export(book) -> str:
    """Eve's export whose message never reached a worker: it stays QUEUED while followed."""
    from downline.core import db
    from downline.core.models import Export

    with db.session() as session:
        export = Export(
            type="clients",
            scope="AGENT",
            params={},
            requester_email="eve@t.test",
            requester_agent_id="a-east",  # where eve stands: its export stays visible to it
        )
        session.add(export)
        session.commit()
        return export.id


EXPORT = "query($id: ID!) { export(id: $id) { id status rowCount error downloadUrl } }"
REQUEST = (
    "mutation($type: String!, $params: JSON) "
    "{ requestExport(input: {type: $type, params: $params}) { id status } }"
)


@pytest.fixture
def finished_export() -> Callable:
    """`finished_export(api, email, type, params=None)`: request an export as `email`, wait for
    the in-process worker to finish it, and return it (id, status, rowCount, error, downloadUrl)."""

    def run(api, email: str, type_: str, params: dict | None = None, timeout: float = 30.0):
        import time

        queued = api.gql(REQUEST, {"type": type_, "params": params}, as_=email)["requestExport"]
        deadline = time.monotonic() + timeout
        while True:
            export = api.gql(EXPORT, {"id": queued["id"]}, as_=email)["export"]
            if export["status"] in ("SUCCEEDED", "FAILED"):
                return export
            assert time.monotonic() < deadline, f"export did not finish: {export}"
            time.sleep(0.05)

    return run


@pytest.fixture
def queued_api(database, load_book, monkeypatch) -> Iterator[Api]:
    """The API over BOOK with no worker in its process (and no sweep): a requested export stays
    QUEUED until the test runs the worker's code on it. (Not over the `api` fixture, whose app
    runs a worker on the same in-memory broker.)"""
    from starlette.testclient import TestClient

    from downline.core import db
    from downline.server.app import create_app
    from downline.server.broker import broker

    assert not load_book(BOOK).rejections
    monkeypatch.setenv("DOWNLINE_WORKERS_IN_PROCESS", "false")
    monkeypatch.setenv("DOWNLINE_SWEEP_SECONDS", "3600")
    db.reset()  # the settings read again
    with TestClient(create_app()) as client:
        yield Api(client)
    broker.flush_all()  # the messages nobody ran


@pytest.fixture
def build_export() -> Callable:
    """`build_export(export_id, types=None)`: build that export as a worker does (the run of
    core/exports/run.py), in this thread, with the installed export types or `types`; that
    export, not the fairest waiting one a worker's message would take."""
    from downline.core import plugins
    from downline.core.config import get_settings
    from downline.core.exports import run as exporting
    from downline.core.storage import get_storage

    def build(export_id: str, types: dict | None = None):
        return exporting.run_export(
            export_id,
            get_storage(get_settings()),
            types if types is not None else plugins.installed_export_types(),
            plugins.notify_export_ready,
        )

    return build
