"""What the fault tests share: the GraphQL calls a client makes against a live stack (over real
HTTP), a message put straight on a stack's broker, a big book to export, a big carrier file to
ingest, and a TCP proxy on loopback that a test switches off and on in front of a real service
(the machine's own services are never stopped)."""

import contextlib
import csv
import json
import random
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from downline.core import db, tokens
from downline.core.config import get_settings
from tests.conftest import Api, started_api

REQUEST_EXPORT = "mutation($type: String!) { requestExport(input: {type: $type}) { id status } }"
EXPORT = "query($id: ID!) { export(id: $id) { status rowCount rowsWritten byteSize downloadUrl } }"
UPLOAD = "mutation($file: Upload!, $asOf: Date) { uploadCarrierReport(file: $file, asOf: $asOf) { id status } }"
REPORT = "query($id: ID!) { node(id: $id) { ... on CarrierReport { status rowsRead rowsInserted rowsUpdated rowsUnchanged rowsRejected error } } }"
TERMINAL = ("SUCCEEDED", "FAILED")


def auth(email: str) -> dict:
    return {"Authorization": f"Bearer {tokens.mint(get_settings(), email)}"}


class Calls:
    """A client of a live stack: GraphQL over HTTP, downloads, and the broker behind it."""

    def post(self, stack, email: str, query: str, variables: dict | None = None, timeout=30):
        return httpx.post(
            f"{stack.base_url}/graphql",
            json={"query": query, "variables": variables or {}},
            headers=auth(email),
            timeout=timeout,
        )

    def gql(self, stack, email: str, query: str, variables: dict | None = None) -> dict:
        """The `data` of a successful operation; fails the test on any error."""
        response = self.post(stack, email, query, variables)
        payload = response.json()
        assert response.status_code == 200 and "errors" not in payload, payload
        return payload["data"]

    def request_export(self, stack, email: str = "eve@t.test", type_: str = "clients") -> str:
        return self.gql(stack, email, REQUEST_EXPORT, {"type": type_})["requestExport"]["id"]

    def export(self, stack, email: str, export_id: str) -> dict:
        return self.gql(stack, email, EXPORT, {"id": export_id})["export"]

    def wait_export(self, stack, email: str, export_id: str, timeout: float = 90.0) -> dict:
        deadline = time.monotonic() + timeout
        while (current := self.export(stack, email, export_id))["status"] not in TERMINAL:
            assert time.monotonic() < deadline, f"not finished: {current}\n{stack.logs_text()}"
            time.sleep(0.1)
        return current

    def download(self, stack, download_url: str) -> httpx.Response:
        """GET a download link on this stack (links name the public URL, not the test port)."""
        parts = httpx.URL(download_url)
        return httpx.get(
            f"{stack.base_url}{parts.path}", params=parts.params, timeout=60, follow_redirects=False
        )

    def upload(self, stack, email: str, path: Path, as_of: str = "2026-11-24") -> str:
        operations = {"query": UPLOAD, "variables": {"file": None, "asOf": as_of}}
        with open(path, "rb") as stream:
            response = httpx.post(
                f"{stack.base_url}/graphql",
                data={
                    "operations": json.dumps(operations),
                    "map": json.dumps({"0": ["variables.file"]}),
                },
                files={"0": (path.name, stream, "text/csv")},
                headers=auth(email),
                timeout=120,
            )
        assert response.status_code == 200, response.text
        return response.json()["data"]["uploadCarrierReport"]["id"]

    def report(self, stack, email: str, report_id: str) -> dict:
        return self.gql(stack, email, REPORT, {"id": report_id})["node"]

    def wait_report(self, stack, email: str, report_id: str, timeout: float = 120.0) -> dict:
        deadline = time.monotonic() + timeout
        while (current := self.report(stack, email, report_id))["status"] not in TERMINAL:
            assert time.monotonic() < deadline, f"not finished: {current}\n{stack.logs_text()}"
            time.sleep(0.2)
        return current

    def enqueue(self, stack, actor_name: str, job_id: str, times: int = 1) -> None:
        """Put the message the API sends for a job on the stack's broker again (a re-delivery)."""
        import dramatiq

        if stack.broker_url.startswith("amqp"):
            from dramatiq.brokers.rabbitmq import RabbitmqBroker

            broker = RabbitmqBroker(url=stack.broker_url)
        else:
            from dramatiq.brokers.redis import RedisBroker

            broker = RedisBroker(url=stack.broker_url)
        try:
            broker.declare_queue(stack.queue)
            for _ in range(times):
                message = dramatiq.Message(
                    queue_name=stack.queue,
                    actor_name=actor_name,
                    args=(job_id,),
                    kwargs={},
                    options={},
                )
                broker.enqueue(message)
        finally:
            broker.close()

    def metrics(self, stack) -> str:
        response = httpx.get(f"{stack.base_url}/metrics", timeout=30)
        assert response.status_code == 200
        return response.text


@pytest.fixture
def calls() -> Calls:
    return Calls()


@pytest.fixture
def api(database) -> Api:
    """This directory's `api` (and so its `book`'s): the app in this process, never started.
    A started one sweeps and runs jobs on its embedded broker: a third worker beside the live
    stack's, which took the very job whose fate a test watched (a stopped worker's handed-back
    export, claimed again in this process 155 ms after the hand-back). Unstarted, it still
    answers requests."""
    from starlette.testclient import TestClient

    from downline.server.app import create_app

    return Api(TestClient(create_app()))


@pytest.fixture
def embedded_api(database) -> Iterator[Api]:
    """The app started in this process, its sweep and embedded worker running (no live stack)."""
    with started_api() as api:
        yield api


@pytest.fixture
def many_clients(book, api):
    """add(n): n more submitted clients for eve (agent a-east), written by SQL; returns the
    rows of eve's `clients` export (what her Clients list shows: its totalCount)."""

    def add(n: int) -> int:
        with db.get_engine().begin() as conn:
            start = conn.execute(sa.text("SELECT count(*) FROM client")).scalar_one()
            conn.execute(
                sa.text(
                    "INSERT INTO client (id, agent_id, first_name, last_name, state, exchange,"
                    " application_status, submitted_at, archived, aor_at_risk,"
                    " ia_three_way_call_completed, invalid_action, created_at)"
                    " SELECT 'k' || g, 'a-east', 'First', 'Last ' || g, 'FL', 'on_ex', 'submitted',"
                    " now() - g * interval '1 second', false, false, false, false, now()"
                    " FROM generate_series(CAST(:a AS integer), CAST(:b AS integer)) g"
                ),
                {"a": start + 1, "b": start + n},
            )
        # The list's own count, through the in-process API.
        return api.gql("{ clients { totalCount } }", as_="eve@t.test")["clients"]["totalCount"]

    return add


HUMANA_HEADER = [
    "Agent SAN",
    "Agent NPN",
    "Humana ID",
    "MBI",
    "First Name",
    "Last Name",
    "Birth Date",
    "Contract",
    "PBP",
    "Segment",
    "Plan Name",
    "Product Type",
    "County",
    "State",
    "Application Received",
    "Effective Date",
    "Term Date",
    "Status",
    "Status Reason",
]


def write_humana(path: Path, rows: int, npns: tuple[str, ...], seed: int = 7) -> set[str]:
    """A Humana book-of-business file of `rows` rows (every tenth policy id appears twice: the
    last line wins); returns the distinct policy ids."""
    rng = random.Random(seed)
    ids: set[str] = set()
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(HUMANA_HEADER)
        for line in range(rows):
            number = line - 1 if line % 10 == 9 else line
            policy = f"HUM{number:09d}"
            ids.add(policy)
            writer.writerow(
                [
                    "x",
                    npns[line % len(npns)],
                    policy,
                    f"{rng.randrange(10**11):011d}X",
                    "Pat",
                    f"Member{number}",
                    f"0{rng.randrange(1, 10)}/1{rng.randrange(10)}/194{rng.randrange(10)}",
                    "H7077",
                    "881",
                    "x",
                    "Value Plus (HMO)",
                    "MAPD",
                    "Maricopa",
                    "AZ",
                    "02/10/2026",
                    "03/01/2026",
                    "",
                    "Active",
                    "",
                ]
            )
    return ids


@pytest.fixture
def humana_file(tmp_path):
    """humana_file(rows, npns) -> (path, distinct policy ids) of a generated Humana file."""

    def make(rows: int, npns: tuple[str, ...]) -> tuple[Path, set[str]]:
        path = tmp_path / f"humana-{rows}.csv"
        return path, write_humana(path, rows, npns)

    return make


class TcpProxy:
    """A TCP forwarder on loopback in front of a real service. `off()` closes the listener and
    every forwarded connection (clients get "connection refused" / a reset); `on()` listens on
    the same port again."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = _free_port()
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self.on()

    def url(self, url: str) -> str:
        """`url` with its host:port replaced by this proxy's."""
        parts = httpx.URL(url)
        return str(parts.copy_with(host="127.0.0.1", port=self.port))

    def on(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def off(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            _close(sock)

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # switched off
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                _close(client)
                continue
            with self._lock:
                if self._listener is not listener:  # switched off meanwhile
                    _close(client)
                    _close(upstream)
                    return
                self._sockets |= {client, upstream}
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                _close(sock)
                with self._lock:
                    self._sockets.discard(sock)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def tcp_proxy():
    """proxy(url) -> a TcpProxy in front of the host:port of `url`, switched on; all are
    switched off at the end."""
    proxies: list[TcpProxy] = []

    def make(url: str) -> TcpProxy:
        parts = httpx.URL(url)
        proxy = TcpProxy((parts.host, parts.port))
        proxies.append(proxy)
        return proxy

    yield make
    for proxy in proxies:
        proxy.off()


class Mailbox:
    """An SMTP server on loopback keeping every message: counts the `export_ready` emails."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        import email
        from email import policy

        message = email.message_from_bytes(envelope.content, policy=policy.default)
        text = message.get_body(("plain",)).get_content()
        with self._lock:
            self.messages.append(text)
        return "250 OK"

    def count(self, export_id: str) -> int:
        """Emails whose link is for this export."""
        with self._lock:
            return sum(f"/exports/{export_id}/download?token=" in m for m in self.messages)

    def settled_count(self, export_id: str, timeout: float = 15.0, grace: float = 0.5) -> int:
        """The emails for this export once the first has arrived (it is sent just after the row
        turns SUCCEEDED, so it can trail the status), with `grace` for a duplicate to show."""
        deadline = time.monotonic() + timeout
        while self.count(export_id) == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(grace)
        return self.count(export_id)


@pytest.fixture
def mailbox():
    """A Mailbox and its URL (for DOWNLINE_SMTP_URL)."""
    from aiosmtpd.controller import Controller

    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=_free_port())
    controller.start()
    box.url = f"smtp://127.0.0.1:{controller.port}"
    yield box
    controller.stop()
