"""A download link is a bearer credential for an hour, so a real `downline serve` writes the
request for it to its access log as `token=…`, and so does every log line of ours,
in readable and in production (JSON) logs alike. A query sent by GET is written without its
document and variables (`query=…&variables=…`): they may carry personal data."""

import json
import logging
import os
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from downline.core.config import get_settings
from tests.conftest import _free_port, start, stop
from tests.core.exports.test_export_lifecycle import request, wait_done


def wait_up(base: str, server, log: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or server.poll() is not None:
            pytest.fail(f"downline serve did not start:\n{log.read_text(errors='replace')}")
        time.sleep(0.1)


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
@pytest.mark.parametrize("mode", ["development", "production"])
def test_the_access_log_writes_a_download_links_token_redacted(book, api, tmp_path, mode):
    done = wait_done(api, "eve@t.test", request(api, "eve@t.test", "clients")["id"])
    link = urlsplit(done["downloadUrl"])
    token = parse_qs(link.query)["token"][0]
    port, log = _free_port(), tmp_path / "serve.log"
    env = os.environ | {
        "DOWNLINE_ENV": mode,
        "DOWNLINE_SECRET_KEY": get_settings().secret_key,  # the key the link was signed with
        "PYTHONUNBUFFERED": "1",
    }
    downline = str(Path(sys.executable).parent / "downline")
    server = start([downline, "serve", "--port", str(port), "--no-workers-in-process"], env, log)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_up(base, server, log)
        response = httpx.get(f"{base}{link.path}?{link.query}", timeout=10)
        assert response.status_code == 200, response.text
    finally:
        stop(server)

    logged = log.read_text(errors="replace")
    assert f"GET {link.path}?token=… HTTP/1.1" in logged, logged
    assert token not in logged


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_the_access_log_writes_a_get_query_without_its_document_and_variables(book, api, tmp_path):
    port, log = _free_port(), tmp_path / "serve.log"
    env = os.environ | {"PYTHONUNBUFFERED": "1"}
    downline = str(Path(sys.executable).parent / "downline")
    server = start([downline, "serve", "--port", str(port), "--no-workers-in-process"], env, log)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_up(base, server, log)
        response = httpx.get(
            f"{base}/graphql",
            params={
                "query": "query Find($s: String) { clients(filter: {search: $s}) { totalCount } }",
                "variables": json.dumps({"s": "Maria Lopez"}),
                "operationName": "Find",
            },
            headers={"Authorization": f"Bearer {api.token('admin@top.test')}"},
            timeout=10,
        )
        assert response.json() == {"data": {"clients": {"totalCount": 1}}}, response.text
    finally:
        stop(server)

    logged = log.read_text(errors="replace")
    assert "GET /graphql?query=…&variables=…&operationName=Find HTTP/1.1" in logged, logged
    assert "Maria" not in logged and "totalCount" not in logged


@pytest.fixture
def our_logs(capsys):
    """configure_logging(production) -> a function reading the messages the `downline` loggers
    wrote since."""
    from downline.server.logs import configure_logging

    ours = logging.getLogger("downline")
    handlers = ours.handlers[:]

    def configure(production: bool):
        configure_logging(production)
        if production:  # one JSON object a line
            return lambda: "\n".join(
                json.loads(line)["message"] for line in capsys.readouterr().err.splitlines()
            )
        return lambda: capsys.readouterr().err

    yield configure
    ours.handlers[:] = handlers


@pytest.mark.parametrize("production", [False, True])
def test_our_log_lines_write_tokens_redacted_wherever_the_token_sits(our_logs, production):
    written = our_logs(production)
    log = logging.getLogger("downline.test")
    log.info("sent %s", "http://h/exports/1/download?token=SECRET1&x=1")  # in an argument
    log.info("a link with token=%s", "SECRET2")  # split over the format and its argument
    log.info("nothing to hide: %d rows", 3)
    out = written()
    assert "SECRET" not in out
    assert "download?token=…&x=1" in out and "a link with token=…" in out
    assert "nothing to hide: 3 rows" in out
