"""Shared fixtures: a migrated database on SQLite and on PostgreSQL, emptied between tests.

PostgreSQL tests use a throwaway database created for the run. Where PostgreSQL cannot be reached
they are skipped with the reason shown, except under CI=true, where that is a failure.
"""

import json
import os
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy import Engine, event
from sqlmodel import SQLModel

from downline.core import db, migrate

PG_ADMIN_URL = os.environ.get(
    "DOWNLINE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() == "true"


def unavailable(what: str, reason: str) -> None:
    """Skip a test that needs a service this machine lacks; under CI=true, fail instead."""
    message = f"{what} unavailable: {reason}"
    if IN_CI:
        pytest.fail(f"{message} (CI=true: service tests must run)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    name = f"downline_test_{uuid.uuid4().hex[:8]}"
    try:
        admin = sa.create_engine(
            PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
        )
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any failure to reach PostgreSQL means "not here"
        unavailable("PostgreSQL", str(exc).splitlines()[0])
    url = sa.engine.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    yield url
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def migrated() -> set[str]:
    """The database URLs already migrated in this run."""
    return set()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request, tmp_path_factory, migrated, monkeypatch) -> Iterator[str]:
    """A migrated, empty database; the settings point at it. Yields its URL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.getbasetemp() / 'downline.db'}"
    else:
        url = request.getfixturevalue("pg_url")
    var_dir = tmp_path_factory.mktemp("var")
    monkeypatch.setenv("DOWNLINE_DATABASE_URL", url)
    monkeypatch.setenv("DOWNLINE_VAR_DIR", str(var_dir))
    monkeypatch.setenv("DOWNLINE_LOAD_PLUGINS", "false")  # installed plugins only when asked
    db.reset()
    if url not in migrated:
        migrate.upgrade()
        migrated.add(url)
    _empty(db.get_engine())
    yield url
    db.reset()


def _empty(engine: sa.Engine) -> None:
    tables = [t.name for t in reversed(SQLModel.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " CASCADE"))
        else:
            for table in tables:
                conn.execute(sa.text(f'DELETE FROM "{table}"'))


@pytest.fixture
def empty_database(database):
    """A function that empties every table (for tests that loop, like property tests)."""
    return lambda: _empty(db.get_engine())


@pytest.fixture
def load_book(tmp_path):
    """Load a book given as {"agencies": [...], "agents": [...], ...} through `downline load`'s
    core, as JSON Lines files; returns the load report."""
    from downline.core.loading import load_directory

    def load(book: dict[str, list[dict]]):
        # mkdtemp: a property test loads thousands of books into one tmp_path (six hex digits
        # of a uuid collided there once in a few hundred runs).
        folder = Path(tempfile.mkdtemp(prefix="book-", dir=tmp_path))
        for kind, records in book.items():
            lines = (json.dumps(r) for r in records)
            (folder / f"{kind}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
        return load_directory(folder)

    return load


@contextmanager
def every_statement(record: Callable[[str, object], None]) -> Iterator[None]:
    """`record(statement, parameters)` for every SQL statement sent meanwhile, whichever engine
    sends it (the API's requests have an engine of their own, on their event loop), and those
    a request sends straight to psycopg, which SQLAlchemy's events never see (its principal's:
    schema/context.py's `Unit.first_row`)."""

    def listener(conn, cursor, statement, parameters, *args) -> None:
        record(statement, parameters)

    straight = psycopg.AsyncConnection.execute

    async def execute(self, query, params=None, **kwargs):
        record(query, params)
        return await straight(self, query, params, **kwargs)

    event.listen(Engine, "before_cursor_execute", listener)
    psycopg.AsyncConnection.execute = execute
    try:
        yield
    finally:
        psycopg.AsyncConnection.execute = straight
        event.remove(Engine, "before_cursor_execute", listener)


@pytest.fixture
def statements() -> Iterator[list[str]]:
    """Every SQL statement sent while the test runs."""
    seen: list[str] = []
    with every_statement(lambda statement, _: seen.append(statement)):
        yield seen


class Api:
    """The GraphQL API over HTTP (Starlette's TestClient drives the real ASGI app)."""

    def __init__(self, client) -> None:
        self.client = client

    def token(self, email: str, ttl: int | None = None) -> str:
        from downline.core import tokens
        from downline.core.config import get_settings

        return tokens.mint(get_settings(), email, ttl)

    def post(self, query: str, variables: dict | None = None, *, as_: str | None = None, **kw):
        headers = {"Authorization": f"Bearer {self.token(as_)}"} if as_ else {}
        body = {"query": query, "variables": variables or {}}
        return self.client.post("/graphql", json=body, headers=headers, **kw)

    def gql(self, query: str, variables: dict | None = None, *, as_: str) -> dict:
        """The `data` of a successful operation; fails the test on any error."""
        response = self.post(query, variables, as_=as_)
        assert response.status_code == 200, response.text
        payload = response.json()
        assert "errors" not in payload, payload["errors"]
        return payload["data"]

    def errors(self, query: str, variables: dict | None = None, *, as_: str) -> list[dict]:
        payload = self.post(query, variables, as_=as_).json()
        assert payload.get("errors"), f"expected errors, got {payload}"
        return payload["errors"]


@contextmanager
def started_api() -> Iterator[Api]:
    """`create_app()` behind Starlette's TestClient, started: its lifespan runs the sweep, and
    an embedded worker when no broker is configured."""
    from starlette.testclient import TestClient

    from downline.server.app import create_app

    with TestClient(create_app()) as client:
        yield Api(client)


@pytest.fixture
def api(database) -> Iterator[Api]:
    with started_api() as api:
        yield api


def _client(cid, agent, submitted, **extra) -> dict:
    record = {
        "id": cid,
        "agent_id": agent,
        "first_name": extra.pop("first_name", "Client"),
        "last_name": extra.pop("last_name", cid.upper()),
        "email": f"{cid}@mail.test",
        "phone": extra.pop("phone", "(305) 555-0100"),
        "ssn": "123-45-6789",
        "date_of_birth": "1960-04-02",
        "household_income": 42000,
        "state": extra.pop("state", "FL"),
        "county": "Miami-Dade",
        "zip": "33101",
        "exchange": extra.pop("exchange", "on_ex"),
        "application_id": f"APP-{cid}",
        "plan_year": 2026,
        "carrier": "Oscar",
        "plan_name": "Silver Simple",
        "plan_hios_id": "12345FL0010001",
        "metal_level": "silver",
        "premium": 400.0,
        "aptc": 350.0,
        "members": 1,
        "application_status": "submitted" if submitted else "unsubmitted",
        "submitted_at": submitted,
        "effective_date": "2026-01-01",
        "archived": extra.pop("archived", False),
        "ede_permission_lost_at": None,
        "last_synced_at": None,
        "aor_at_risk": None,
        "invalid_action": extra.pop("invalid_action", None),
        "dmis": [],
        "svis": [],
        "follow_ups": [],
        "intake_link": f"https://intake.test/{cid}",
        "created_at": "2025-10-01T00:00:00Z",
    }
    record.update(extra)
    return record


# A small book: two top agencies side by side; Top has East (with East South below) and West.
BOOK = {
    "agencies": [
        {"id": "top", "name": "Top Agency", "npn": "9000", "parent_id": None},
        {"id": "east", "name": "East", "parent_id": "top"},
        {"id": "east-south", "name": "East South", "parent_id": "east"},
        {"id": "west", "name": "West", "parent_id": "top", "exports_allowed_for_agents": False},
        {"id": "other", "name": "Other Agency", "parent_id": None},
    ],
    "agents": [
        {"id": "a-top", "name": "Ann Top", "npn": "100", "email": "ann@t.test", "agency_id": "top"},
        {
            "id": "a-east",
            "name": "Eve East",
            "npn": "200",
            "email": "eve@t.test",
            "agency_id": "east",
        },
        {
            "id": "a-deep",
            "name": "Dan Deep",
            "npn": "300",
            "email": "dan@t.test",
            "agency_id": "east-south",
        },
        {
            "id": "a-west",
            "name": "Will West",
            "npn": "400",
            "email": "will@t.test",
            "agency_id": "west",
        },
        {
            "id": "a-other",
            "name": "Olga Other",
            "npn": "500",
            "email": "olga@t.test",
            "agency_id": "other",
        },
    ],
    "users": [
        {"email": "admin@top.test", "role": "agency_admin", "agency_id": "top"},
        {"email": "admin@east.test", "role": "agency_admin", "agency_id": "east"},
        {"email": "admin@other.test", "role": "agency_admin", "agency_id": "other"},
        {"email": "eve@t.test", "role": "agent", "agent_id": "a-east"},
        {"email": "dan@t.test", "role": "agent", "agent_id": "a-deep"},
        {"email": "will@t.test", "role": "agent", "agent_id": "a-west"},
    ],
    "clients": [
        _client("c1", "a-top", "2026-03-01T10:00:00Z", first_name="Maria", last_name="Lopez"),
        _client("c2", "a-east", "2026-03-02T10:00:00Z", phone="+1 (786) 555-0199"),
        _client("c3", "a-east", None),
        _client("c4", "a-deep", "2026-02-15T23:30:00Z", state="TX", exchange="off_ex"),
        _client("c5", "a-deep", "2026-03-02T10:00:00Z", archived=True),
        _client(
            "c6",
            "a-west",
            "2026-01-20T08:00:00Z",
            invalid_action={
                "error_at": "2026-01-19T08:00:00Z",
                "resume_link": "https://resume.test/c6",
                "resumed": True,
                "three_way_call_completed": True,
            },
        ),
        _client("c7", "a-other", "2026-03-03T10:00:00Z"),
        _client("c8", "a-east", "2026-03-02T10:00:00Z", first_name='=HYPERLINK("x")'),
    ],
    "leads": [
        {
            "id": "l1",
            "agent_id": "a-east",
            "first_name": "Lee",
            "last_name": "One",
            "email": "lee@l.test",
            "phone": "555-0101",
            "state": "FL",
            "zip": "33101",
            "source": "facebook",
            "status": "new",
            "created_at": "2026-03-01T09:00:00Z",
            "notes": "call back",
        },
        {
            "id": "l2",
            "agent_id": "a-deep",
            "first_name": "Lou",
            "last_name": "Two",
            "email": "lou@l.test",
            "phone": "555-0102",
            "state": "TX",
            "zip": "73301",
            "source": "referral",
            "status": "quoted",
            "created_at": "2026-02-01T09:00:00Z",
            "notes": None,
        },
        {
            "id": "l3",
            "agent_id": "a-other",
            "first_name": "Liz",
            "last_name": "Three",
            "email": "liz@l.test",
            "phone": "555-0103",
            "state": "GA",
            "zip": "30301",
            "source": "web",
            "status": "new",
            "created_at": "2026-03-05T09:00:00Z",
            "notes": None,
        },
    ],
}


@pytest.fixture
def book(api, load_book) -> dict:
    """The API over a database holding BOOK; returns BOOK."""
    report = load_book(BOOK)
    assert not report.rejections, report.rejections
    return BOOK


def emailed(var_dir: Path, export_id: str, timeout: float = 20.0) -> list[Path]:
    """The export's e-mails in the outbox under `var_dir`, once there is one: a worker writes it
    just after the export turns SUCCEEDED (its link is to the finished file)."""
    deadline = time.monotonic() + timeout
    while not (found := list((var_dir / "outbox").glob(f"*-{export_id}.eml"))):
        assert time.monotonic() < deadline, f"no e-mail for export {export_id}"
        time.sleep(0.05)
    return found


FIXTURES = Path(__file__).parent / "fixtures"
SAMPLES = FIXTURES / "carriers"

# Agents holding the sample NPNs 18000001-18000004; 18000005-18000007 match no agent.
PRODUCTION_BOOK = {
    "agencies": [
        {"id": "top", "name": "Top Agency", "parent_id": None},
        {"id": "east", "name": "East", "parent_id": "top"},
        {"id": "other", "name": "Other Agency", "parent_id": None},
    ],
    "agents": [
        {
            "id": "n1",
            "name": "Nora One",
            "npn": "18000001",
            "email": "n1@t.test",
            "agency_id": "top",
        },
        {
            "id": "n2",
            "name": "Ned Two",
            "npn": "18000002",
            "email": "n2@t.test",
            "agency_id": "east",
        },
        {
            "id": "n3",
            "name": "Nia Three",
            "npn": "18000003",
            "email": "n3@t.test",
            "agency_id": "east",
        },
        {
            "id": "n4",
            "name": "Nat Four",
            "npn": "18000004",
            "email": "n4@t.test",
            "agency_id": "other",
        },
    ],
    "users": [
        {"email": "admin@top.test", "role": "agency_admin", "agency_id": "top"},
        {"email": "admin@east.test", "role": "agency_admin", "agency_id": "east"},
        {"email": "admin@other.test", "role": "agency_admin", "agency_id": "other"},
        {"email": "n2@t.test", "role": "agent", "agent_id": "n2"},
    ],
}


@pytest.fixture
def production_book(api, load_book) -> dict:
    report = load_book(PRODUCTION_BOOK)
    assert not report.rejections, report.rejections
    return PRODUCTION_BOOK


@pytest.fixture
def cli():
    """Runs `downline ...` in-process (typer's runner) and returns the result."""
    from typer.testing import CliRunner

    from downline.server.cli import app

    runner = CliRunner()
    return lambda *args: runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="session")
def redis_url() -> str:
    """A Redis database for the worker-path tests (the broker and the event bus)."""
    import redis

    url = os.environ.get("DOWNLINE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except Exception as exc:  # noqa: BLE001 - any failure to reach Redis means "not here"
        unavailable("Redis", str(exc))
    return url


class LiveStack:
    """`downline serve` and `downline worker` as real processes on a real broker."""

    def __init__(self, base_url: str, env: dict, logs: Path) -> None:
        self.base_url = base_url
        self.env = env
        self.logs = logs

    def logs_text(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.logs.glob("*.log")))

    def start_worker(self) -> None:
        self.worker = start(self.worker_command, self.env, self.logs / "worker.log")

    def kill_worker(self) -> None:
        """SIGKILL the worker and its processes: no clean-up, no hand-back."""
        import signal

        stop(self.worker, signal.SIGKILL)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(command: list[str], env: dict, log: Path):
    import subprocess

    with open(log, "ab") as out:
        return subprocess.Popen(
            command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def stop(process, sig=None) -> None:
    import signal

    if process.poll() is None:
        os.killpg(process.pid, sig or signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except Exception:  # noqa: BLE001 - then it is killed
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@pytest.fixture
def live_stack(live_stacks) -> LiveStack:
    """`downline serve --no-workers-in-process` and one `downline worker` on Redis, ready."""
    return live_stacks()


# ---- live stacks on any broker, whose processes a test may stop, kill and start (tests/faults)


@pytest.fixture(scope="session")
def rabbitmq_url() -> str:
    """A RabbitMQ for the worker-path tests on AMQP (events stay on Redis)."""
    url = os.environ.get("DOWNLINE_TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/")
    try:
        import pika

        pika.BlockingConnection(_amqp_parameters(url, timeout=3)).close()
    except Exception as exc:  # noqa: BLE001 - any failure to reach RabbitMQ means "not here"
        unavailable("RabbitMQ", str(exc) or type(exc).__name__)
    return url


def _amqp_parameters(url: str, timeout: float):
    import pika

    parameters = pika.URLParameters(url)
    parameters.connection_attempts = 1
    parameters.socket_timeout = timeout
    parameters.stack_timeout = timeout
    parameters.blocked_connection_timeout = timeout
    return parameters


class Stack(LiveStack):
    """A LiveStack whose API and worker can each be stopped, killed and started again; the API
    and the worker may see different settings (e.g. the API's broker behind a proxy)."""

    def __init__(self, port: int, env: dict, logs: Path, api_env: dict, worker_env: dict) -> None:
        import sys

        super().__init__(f"http://127.0.0.1:{port}", env, logs)
        self.port = port
        self.api_env, self.worker_env = api_env, worker_env
        self.queue = env["DOWNLINE_QUEUE"]
        self.broker_url = worker_env["DOWNLINE_BROKER_URL"]
        downline = str(Path(sys.executable).parent / "downline")
        self.api_command = [downline, "serve", "--port", str(port), "--no-workers-in-process"]
        self.worker_command = [downline, "worker", "--processes", "1", "--threads", "2"]
        self.api = self.worker = None

    def start_api(self) -> None:
        self.api = start(self.api_command, self.api_env, self.logs / "api.log")

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Until /readyz answers 200; fails the test with the logs if the API never does."""
        import time

        import httpx

        deadline = time.monotonic() + timeout
        while True:
            try:
                if httpx.get(f"{self.base_url}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or self.api.poll() is not None:
                pytest.fail(f"the API did not become ready:\n{self.logs_text()}")
            time.sleep(0.1)

    def stop_api(self, sig=None) -> None:
        if self.api is not None:
            stop(self.api, sig)

    def start_worker(self) -> None:
        self.worker = start(self.worker_command, self.worker_env, self.logs / "worker.log")

    def stop_worker(self, sig=None) -> None:
        if self.worker is not None:
            stop(self.worker, sig)

    def close(self) -> None:
        self.stop_api()
        self.stop_worker()
        _drop_queue(self.broker_url, self.queue)


def _drop_queue(broker_url: str, queue: str) -> None:
    """Delete a test queue from a shared broker (Redis keys, or RabbitMQ's durable queues)."""
    try:
        if broker_url.startswith("amqp"):
            import pika

            with pika.BlockingConnection(_amqp_parameters(broker_url, timeout=3)) as connection:
                channel = connection.channel()
                for name in (queue, f"{queue}.DQ", f"{queue}.XQ"):
                    channel.queue_delete(name)
        else:
            import redis

            client = redis.Redis.from_url(broker_url, socket_timeout=3)
            keys = list(client.scan_iter(f"dramatiq:*{queue}*"))
            if keys:
                client.delete(*keys)
    except Exception:  # noqa: BLE001, S110 - a leftover test queue is harmless
        pass


@pytest.fixture
def live_stacks(database, redis_url, tmp_path) -> Iterator:
    """A factory of live stacks on this test's database, each stopped (and its queue dropped)
    at the end: `make(broker_url=..., env={...}, api_env={...}, worker_env={...}, worker=True,
    ready=True)`. The broker is Redis unless `broker_url` says otherwise; events are always on
    Redis; every stack has a queue of its own, jobs go stale after 5 s and the API sweeps every
    second (`env` overrides any of that)."""
    stacks: list[Stack] = []

    def make(
        *,
        broker_url: str | None = None,
        env: dict | None = None,
        api_env: dict | None = None,
        worker_env: dict | None = None,
        worker: bool = True,
        ready: bool = True,
    ) -> Stack:
        common = os.environ | {
            "DOWNLINE_DATABASE_URL": database,
            "DOWNLINE_BROKER_URL": broker_url or redis_url,
            "DOWNLINE_REDIS_URL": redis_url,
            "DOWNLINE_JOB_STALE_SECONDS": "5",
            "DOWNLINE_SWEEP_SECONDS": "1",
            # A queue of its own: other runs may share this broker.
            "DOWNLINE_QUEUE": f"downline-test-{uuid.uuid4().hex[:8]}",
        }
        common |= env or {}
        logs = tmp_path / ("logs" if not stacks else f"logs-{len(stacks)}")
        logs.mkdir()
        stack = Stack(
            _free_port(), common, logs, common | (api_env or {}), common | (worker_env or {})
        )
        stacks.append(stack)
        stack.start_api()
        if worker:
            stack.start_worker()
        if ready:
            stack.wait_ready()
        return stack

    try:
        yield make
    finally:
        for stack in stacks:
            stack.close()
