"""The production path for exports: `downline serve` and `downline worker` as separate processes
on a real Redis broker, events over Redis pub/sub, files in the shared var dir. (A worker killed
with SIGKILL mid-export, whose job another worker finishes with one complete file, ten times
over: tests/faults/test_kills.py.)"""

import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import select

from downline.core import db, tokens
from downline.core.config import get_settings
from downline.core.models import Export
from tests.conftest import emailed

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
    mails = [p.read_text() for p in emailed(Path(live_stack.env["DOWNLINE_VAR_DIR"]), export_id)]
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
