"""A page on another site uses the API from a real browser (Debian's headless Chromium, through
Playwright): served by a second web server on another loopback port, listed in
DOWNLINE_CORS_ORIGINS, it requests an export with fetch (a preflighted cross-origin POST carrying
the token) and follows it over the WebSocket subscription to SUCCEEDED. The same page served from
an origin that is not listed can do neither: its fetch fails and its socket is refused.

The page is the least a partner's frontend would be: one module and the graphql-ws client (the
copy vendored for the export centre). Without Chromium the test is skipped with the reason,
except under CI=true, where it fails."""

import functools
import shutil
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import BOOK, _free_port
from tests.web.conftest import serving

VENDOR = Path(__file__).resolve().parents[2] / "server" / "web" / "vendor" / "graphql-ws.mjs"
AGENT = "eve@t.test"
WAIT_MS = 30_000

pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)

PAGE = """<!doctype html>
<meta charset="utf-8">
<title>A partner's page</title>
<script type="module">
import { createClient } from "./graphql-ws.mjs";

const REQUEST = `mutation { requestExport(input: {type: "clients"}) { id status } }`;
const UPDATES = `subscription($id: ID!) { exportUpdates(id: $id) { status } }`;

function post(api, token) {
  return fetch(`${api}/graphql`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: REQUEST }),
  });
}

window.requestAndFollow = async (api, token) => {
  const { data, errors } = await (await post(api, token)).json();
  if (errors) throw new Error(JSON.stringify(errors));
  const statuses = [data.requestExport.status];
  const client = createClient({
    url: api.replace(/^http/, "ws") + "/graphql",
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: 0,
  });
  await new Promise((resolve, reject) => {
    client.subscribe(
      { query: UPDATES, variables: { id: data.requestExport.id } },
      {
        next: (result) =>
          result.errors
            ? reject(new Error(JSON.stringify(result.errors)))
            : statuses.push(result.data.exportUpdates.status),
        error: (error) => reject(new Error(`socket: ${error.code || error.message || error}`)),
        complete: resolve,
      },
    );
  });
  await client.dispose();
  return statuses;
};

window.tryBoth = async (api, token) => {
  let fetched;
  try {
    fetched = `answered ${(await post(api, token)).status}`;
  } catch (error) {
    fetched = error.name;
  }
  const socket = await new Promise((resolve) => {
    const ws = new WebSocket(api.replace(/^http/, "ws") + "/graphql", "graphql-transport-ws");
    ws.onopen = () => {
      ws.close();
      resolve("opened");
    };
    ws.onclose = (event) => resolve(`closed ${event.code}`);
  });
  return { fetched, socket };
};
document.body.dataset.ready = "true";
</script>
"""


class _Quiet(SimpleHTTPRequestHandler):
    extensions_map = {".html": "text/html", ".mjs": "text/javascript"}

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def sites(tmp_path) -> Iterator[dict[str, str]]:
    """Two static web servers on other loopback ports serving the page: {"listed": origin,
    "unlisted": origin}."""
    (tmp_path / "index.html").write_text(PAGE, encoding="utf-8")
    shutil.copy(VENDOR, tmp_path / "graphql-ws.mjs")
    handler = functools.partial(_Quiet, directory=str(tmp_path))
    servers = {
        name: ThreadingHTTPServer(("127.0.0.1", 0), handler) for name in ("listed", "unlisted")
    }
    for server in servers.values():
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield {name: f"http://127.0.0.1:{s.server_address[1]}" for name, s in servers.items()}
    finally:
        for server in servers.values():
            server.shutdown()
            server.server_close()


@pytest.fixture
def api_base(database, sites, load_book, monkeypatch) -> Iterator[str]:
    """`downline serve` in a thread (uvicorn, the in-process workers) that lists one of the two
    sites in DOWNLINE_CORS_ORIGINS, over BOOK. Yields its base URL."""
    from downline.core.config import get_settings
    from downline.server.app import create_app

    report = load_book(BOOK)
    assert not report.rejections, report.rejections
    monkeypatch.setenv("DOWNLINE_CORS_ORIGINS", sites["listed"])
    get_settings.cache_clear()
    with serving(create_app(), _free_port(), "cross-origin-api") as base:
        yield base


def open_site(browser, origin: str):
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(f"{origin}/index.html")
    page.wait_for_selector("body[data-ready=true]", state="attached")
    return context, page


def test_a_listed_site_requests_an_export_and_follows_it_over_the_socket(
    browser,
    sites,
    api_base,
):
    from downline.core import tokens
    from downline.core.config import get_settings

    token = tokens.mint(get_settings(), AGENT)
    context, page = open_site(browser, sites["listed"])
    try:
        statuses = page.evaluate(
            "([api, token]) => requestAndFollow(api, token)", [api_base, token]
        )
        assert statuses[0] == "QUEUED" and statuses[-1] == "SUCCEEDED", statuses
    finally:
        context.close()

    context, page = open_site(browser, sites["unlisted"])
    try:
        refused = page.evaluate("([api, token]) => tryBoth(api, token)", [api_base, token])
    finally:
        context.close()
    assert refused == {"fetched": "TypeError", "socket": "closed 1006"}, refused
