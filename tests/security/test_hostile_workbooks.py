"""Hostile Excel workbooks never take a process down: each fails its report (FAILED, saying what
was too big) and the process that read it carries on.

Every hostile file is read in a process of its own (`downline ingest`, or `downline serve` with
its workers inside it), never in this one: were the protection to regress, the test would fail,
not abort the whole run. Building a file only writes a zip (hostile.py)."""

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from downline.core import db, tokens
from downline.core.config import get_settings
from downline.core.models import CarrierReport
from tests.conftest import PRODUCTION_BOOK, start, stop

from .hostile import HOSTILE

DOWNLINE = str(Path(sys.executable).parent / "downline")
UPLOAD = (
    "mutation($file: Upload!) "
    '{ uploadCarrierReport(file: $file, carrier: "anthem", asOf: "2026-11-24") { id } }'
)
REPORT = "query($id: ID!) { node(id: $id) { ... on CarrierReport { status error } } }"


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_downline_ingest_fails_a_hostile_workbook_naming_what_is_too_big(database, tmp_path, name):
    build, message = HOSTILE[name]
    path = tmp_path / f"{name}.xlsx"
    path.write_bytes(build())

    result = subprocess.run(
        [DOWNLINE, "ingest", str(path), "--carrier", "anthem", "--as-of", "2026-11-24"],
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 1, f"exit {result.returncode}\n{result.stdout}{result.stderr}"
    assert f"{name}.xlsx: FAILED (carrier: anthem)\n  {name}.xlsx: {message}\n" in result.stdout
    with db.session() as session:
        report = session.scalars(select(CarrierReport)).one()
    assert (report.status, report.error) == ("FAILED", f"{name}.xlsx: {message}")


def test_hostile_uploads_fail_their_reports_and_the_embedded_server_keeps_answering(
    database, load_book, tmp_path
):
    load_book(PRODUCTION_BOOK)
    with embedded_server(tmp_path) as server:
        for name, (build, message) in HOSTILE.items():
            report_id = server.upload(f"{name}.xlsx", build())

            done = server.finished(report_id)

            assert done == {"status": "FAILED", "error": f"{name}.xlsx: {message}"}
            assert server.client.get("/healthz").status_code == 200


class Server:
    """`downline serve` in embedded mode (its workers inside it), in a process of its own."""

    def __init__(self, process: subprocess.Popen, client: httpx.Client, log: Path) -> None:
        self.process, self.client, self.log = process, client, log
        token = tokens.mint(get_settings(), "admin@top.test")
        self.headers = {"Authorization": f"Bearer {token}"}

    def upload(self, filename: str, data: bytes) -> str:
        operations = {"query": UPLOAD, "variables": {"file": None}}
        response = self.client.post(
            "/graphql",
            data={
                "operations": json.dumps(operations),
                "map": json.dumps({"0": ["variables.file"]}),
            },
            files={"0": (filename, data, "application/octet-stream")},
            headers=self.headers,
        )
        assert response.status_code == 200, response.text
        return response.json()["data"]["uploadCarrierReport"]["id"]

    def finished(self, report_id: str, timeout: float = 60.0) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                response = self.client.post(
                    "/graphql",
                    json={"query": REPORT, "variables": {"id": report_id}},
                    headers=self.headers,
                )
            except httpx.HTTPError as exc:
                pytest.fail(f"the server stopped answering ({exc}):\n{self.died()}")
            report = response.json()["data"]["node"]
            if report["status"] in ("SUCCEEDED", "FAILED"):
                return report
            time.sleep(0.05)
        pytest.fail(f"report {report_id} did not finish: {report}\n{self.died()}")

    def died(self) -> str:
        code = self.process.poll()
        state = "running" if code is None else f"exited {code}"
        return f"server {state}; its log:\n{self.log.read_text(errors='replace')[-4000:]}"


@contextmanager
def embedded_server(tmp_path: Path) -> Iterator[Server]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DOWNLINE_BROKER_URL", "DOWNLINE_REDIS_URL")
    }
    log = tmp_path / "serve.log"
    process = start([DOWNLINE, "serve", "--port", str(port), "--workers-in-process"], env, log)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            server = Server(process, client, log)
            deadline = time.monotonic() + 60
            while not _answers(client):
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the server did not start: {server.died()}")
                time.sleep(0.1)
            yield server
            assert process.poll() is None, server.died()
    finally:
        stop(process)


def _answers(client: httpx.Client) -> bool:
    try:
        return client.get("/healthz").status_code == 200
    except httpx.HTTPError:
        return False
