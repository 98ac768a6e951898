"""A large document is decoded, parsed and validated off the event loop: while the server works
through one, it keeps answering everything else.

Shown on a real `downline serve` process (an interpreter of its own, so the test's threads do
not slow it down). Any document over a few kilobytes goes the same way; this one is ten
megabytes of comment (the size limit raised for it), so that a pause of the loop, were it parsing,
would stand out from any delay a loaded machine can cause: seconds against milliseconds."""

import os
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import start, stop

ADMIN = "admin@top.test"
COMMENT = 10_000_000


@pytest.fixture
def server(book, tmp_path) -> Iterator[str]:
    """`downline serve` on the test's database (its settings come from the environment)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    downline = str(Path(sys.executable).parent / "downline")
    env = os.environ | {"DOWNLINE_MAX_QUERY_BYTES": str(2 * COMMENT)}
    process = start([downline, "serve", "--port", str(port)], env, tmp_path / "api.log")
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            stop(process)
            pytest.fail("the server did not start:\n" + (tmp_path / "api.log").read_text())
        time.sleep(0.1)
    try:
        yield base
    finally:
        stop(process)


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_healthz_answers_all_along_while_a_large_document_is_parsed(server, api):
    document = "#" + "x" * COMMENT + "\n{ viewer { email } }"
    answer: dict = {}

    def send() -> None:
        answer["response"] = httpx.post(
            f"{server}/graphql",
            json={"query": document},
            headers={"Authorization": f"Bearer {api.token(ADMIN)}"},
            timeout=300,
        )
        answer["at"] = time.monotonic()

    sender = threading.Thread(target=send)
    sent = time.monotonic()
    sender.start()
    healthy = []  # when each /healthz answer came, while the document was in the works
    with httpx.Client(base_url=server, timeout=300) as client:
        while sender.is_alive():
            assert client.get("/healthz").status_code == 200
            healthy.append(time.monotonic())
    sender.join()

    assert answer["response"].json() == {"data": {"viewer": {"email": ADMIN}}}
    took = answer["at"] - sent
    moments = [sent, *(t for t in healthy if t < answer["at"]), answer["at"]]
    longest_silence = max(b - a for a, b in zip(moments, moments[1:], strict=False))
    # Parsed on the loop, /healthz would wait out the whole parse: nearly all of `took`.
    assert longest_silence < took / 2, (longest_silence, took, len(healthy))
