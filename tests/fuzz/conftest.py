"""Fixtures for the fuzz tests: a real uvicorn server on loopback serving the app over the test
database, and helpers shared by the fuzzers."""

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from hypothesis import HealthCheck, settings

# What every fuzz test runs under; each sets only its number of examples on top
# (`settings(settings.get_profile(FUZZ), max_examples=n)`).
FUZZ = "downline-fuzz"
settings.register_profile(
    FUZZ,
    deadline=None,
    derandomize=True,  # the same examples every run: a failure reproduces as it is
    database=None,  # no .hypothesis folder in the tree
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(autouse=True)
def hypothesis_home(tmp_path_factory) -> Iterator[None]:
    """Hypothesis keeps its caches (and any example database) in a temporary directory while a
    fuzz test runs, never in a .hypothesis folder of the working tree."""
    from hypothesis.configuration import set_hypothesis_home_dir

    set_hypothesis_home_dir(tmp_path_factory.mktemp("hypothesis"))
    try:
        yield
    finally:
        set_hypothesis_home_dir(None)  # back to the default for any other tests


@dataclass
class LiveServer:
    """The app served by uvicorn on a free loopback port, with an httpx client on it."""

    base_url: str
    client: httpx.Client

    def token(self, email: str) -> str:
        from downline.core import tokens
        from downline.core.config import get_settings

        return tokens.mint(get_settings(), email)

    def post(self, body: dict, *, as_: str) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token(as_)}"}
        return self.client.post("/graphql", json=body, headers=headers)


@pytest.fixture
def live_server(book) -> Iterator[LiveServer]:
    """`create_app()` served by a real uvicorn in a background thread, over the test's database
    holding the `book`; requests go over real HTTP. Stopped (lifespan shutdown) at the end."""
    import uvicorn

    from downline.server.app import create_app

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))  # a free port, held from now on: no race for it
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(), log_level="warning", lifespan="on", ws="none")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("uvicorn did not start")
        time.sleep(0.02)
    base_url = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=base_url, timeout=30) as client:
        assert client.get("/readyz").status_code == 200
        try:
            yield LiveServer(base_url, client)
        finally:
            server.should_exit = True
            thread.join(timeout=60)
            sock.close()
