"""The production path for exports: `downline serve` and `downline worker` as separate processes
on a real Redis broker, events over Redis pub/sub, files in the shared var dir; and a worker
killed with SIGKILL mid-export whose job another worker finishes, with one complete file."""

import hashlib
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy import select

from downline.core import db, tokens
from downline.core.config import get_settings
from downline.core.models import Export

pytestmark = pytest.mark.redis

REQUEST = "mutation($type: String!) { requestExport(input: {type: $type}) { id } }"
EXPORT = "query($id: ID!) { export(id: $id) { status rowCount rowsWritten byteSize downloadUrl } }"


def gql(stack, email, query, variables=None):
    headers = {"Authorization": f"Bearer {tokens.mint(get_settings(), email)}"}
    response = httpx.post(
        f"{stack.base_url}/graphql",
        json={"query": query, "variables": variables or {}},
        headers=headers,
        timeout=30,
    )
    payload = response.json()
    assert "errors" not in payload, payload
    return payload["data"]


def wait_done(stack, email, export_id, timeout=120.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        export = gql(stack, email, EXPORT, {"id": export_id})["export"]
        if export["status"] in ("SUCCEEDED", "FAILED"):
            return export
        time.sleep(0.2)
    raise AssertionError(f"export not finished: {export}\n{stack.logs_text()}")


def test_a_worker_process_builds_the_export_and_the_api_serves_it(live_stack, book):
    export_id = gql(live_stack, "eve@t.test", REQUEST, {"type": "clients"})["requestExport"]["id"]
    done = wait_done(live_stack, "eve@t.test", export_id)
    assert done["status"] == "SUCCEEDED" and done["rowCount"] == 2
    parts = urlsplit(done["downloadUrl"])
    response = httpx.get(f"{live_stack.base_url}{parts.path}?{parts.query}", timeout=30)
    assert response.status_code == 200 and response.content.count(b"\r\n") == 3
    outbox = Path(live_stack.env["DOWNLINE_VAR_DIR"]) / "outbox"
    mails = [p.read_text() for p in outbox.glob(f"*{export_id}.eml")]
    assert len(mails) == 1 and f"/exports/{export_id}/download?token=" in mails[0]


# Several processes on one database: PostgreSQL's job (and one stack keeps it cheap).
@pytest.mark.parametrize(
    "database", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_one_worker_thread_serves_the_waiting_users_in_turn(live_stacks, book):
    """Eve's five exports are waiting, then Dan's one, when a worker with one thread starts: it
    takes a message at a time, and each runs the fairest waiting export, so Dan's runs second."""
    stack = live_stacks(worker=False)
    stack.worker_command[stack.worker_command.index("--threads") + 1] = "1"
    eves = [gql(stack, "eve@t.test", REQUEST, {"type": "clients"}) for _ in range(5)]
    dans = gql(stack, "dan@t.test", REQUEST, {"type": "clients"})["requestExport"]["id"]
    stack.start_worker()
    for email, export_id in [
        ("dan@t.test", dans),
        *(("eve@t.test", e["requestExport"]["id"]) for e in eves),
    ]:
        assert wait_done(stack, email, export_id, timeout=60)["status"] == "SUCCEEDED"
    with db.session() as session:
        owners = session.scalars(select(Export.requester_email).order_by(Export.started_at)).all()
    assert owners == ["eve@t.test", "dan@t.test", *["eve@t.test"] * 4]


@pytest.fixture
def big_book(book, database):
    """A million clients for eve: an export long enough to kill a worker in the middle of, even
    on a fast machine (COPY writes 150,000 rows in well under its first progress report)."""
    with db.get_engine().begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO client (id, agent_id, first_name, last_name, state, exchange, application_status,"
                " submitted_at, archived, aor_at_risk, ia_three_way_call_completed, invalid_action, created_at)"
                " SELECT 'k' || g, 'a-east', 'First', 'Last ' || g, 'FL', 'on_ex', 'submitted',"
                " now() - g * interval '1 second', false, false, false, false, now()"
                " FROM generate_series(1, 1000000) g"
            )
        )
    return 1_000_002


# Production mode only: several processes on one database is PostgreSQL's job.
@pytest.mark.parametrize(
    "database", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_a_killed_worker_job_is_finished_by_another_with_one_complete_file(live_stack, big_book):
    export_id = gql(live_stack, "eve@t.test", REQUEST, {"type": "clients"})["requestExport"]["id"]
    deadline = time.monotonic() + 60
    while _progress(export_id) == ("QUEUED", 0) or _progress(export_id)[1] == 0:
        assert time.monotonic() < deadline, live_stack.logs_text()
        time.sleep(0.02)
    status, written = _progress(export_id)
    assert status == "PROCESSING" and 0 < written < big_book, "the export must be cut mid-way"
    live_stack.kill_worker()
    live_stack.start_worker()  # the sweep sends it again once its heartbeat is stale
    done = wait_done(live_stack, "eve@t.test", export_id)
    assert done["status"] == "SUCCEEDED" and done["rowCount"] == big_book
    with db.session() as session:
        row = session.get(Export, export_id)
    assert row.attempts == 2
    files = list(
        (Path(live_stack.env["DOWNLINE_VAR_DIR"]) / "files" / "exports" / export_id).iterdir()
    )
    assert len(files) == 1
    content = files[0].read_bytes()
    assert hashlib.sha256(content).hexdigest() == row.sha256 and len(content) == row.byte_size
    assert content.count(b"\r\n") == big_book + 1


def _progress(export_id: str) -> tuple[str, int]:
    with db.session() as session:
        row = session.get(Export, export_id)
        return row.status, row.rows_written
