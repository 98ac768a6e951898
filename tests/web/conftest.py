"""The browser the page tests drive: Debian's headless Chromium through Playwright for Python (the
system browser; no browser download). Without it the tests are skipped with the reason, except
under CI=true, where they fail."""

import os
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.conftest import unavailable

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium() -> str:
    path = os.environ.get("DOWNLINE_TEST_CHROMIUM") or shutil.which("chromium")
    if not path or not os.access(path, os.X_OK):
        unavailable(
            "Chromium",
            f"{path or 'no `chromium` on PATH'} is not an executable browser (install Debian's "
            "chromium and chromium-driver: `make test` does it when run as root, or "
            "`apt-get install chromium chromium-driver`)",
        )
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator:
    executable = _chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        unavailable("Chromium driver (Playwright)", f"{exc}; `pip install -e '.[dev]'`")
    with sync_playwright() as playwright:
        try:
            chromium = playwright.chromium.launch(
                executable_path=executable, headless=True, args=CHROMIUM_ARGS
            )
        except Exception as exc:  # noqa: BLE001 - any failure to start it means "not here"
            unavailable("Chromium", f"{executable} did not start: {str(exc).splitlines()[0]}")
        yield chromium
        chromium.close()


@contextmanager
def serving(app, port: int, name: str) -> Iterator[str]:
    """`app` served by uvicorn (WebSockets on) in a thread of this process, as `downline serve`
    serves it, until the block ends. Yields its base URL; fails the test if it never starts."""
    import uvicorn

    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, ws="auto", log_level="warning")
    )
    thread = threading.Thread(target=server.run, name=name, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=40)
