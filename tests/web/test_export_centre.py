"""The export centre page (GET /app) end to end, in a real browser: Debian's headless Chromium
driven by Playwright for Python (the system browser; no browser download), against a real
uvicorn server with the in-process workers.

An agent pastes a token, requests a `clients` export, sees its status go from QUEUED to SUCCEEDED
without a reload (over the `exportUpdates` subscription) and downloads the file; an agency admin
uploads a carrier sample, sees the report finish with its counts, and sees the production summary;
an agent whose agency's switch went off still sees its history, and is told why it cannot download.
Every request the page makes stays on the server's own origin. Screenshots are kept under
var/test-artifacts/. Without Chromium the tests are skipped with the reason, except under CI=true,
where they fail.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import BOOK, PRODUCTION_BOOK, SAMPLES, _free_port
from tests.web.conftest import serving

ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts"
LAPTOP = {"width": 1366, "height": 768}
WAIT_MS = 30_000

pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)


@pytest.fixture
def server(database, monkeypatch) -> Iterator[str]:
    """`downline serve` in a thread of this process: the test's database and var dir, the
    in-process workers, download links pointing back at it. Yields its base URL."""
    from downline.core.config import get_settings
    from downline.server.app import create_app

    port = _free_port()
    monkeypatch.setenv("DOWNLINE_PUBLIC_URL", f"http://127.0.0.1:{port}")
    get_settings.cache_clear()
    with serving(create_app(), port, "export-centre-server") as base:
        yield base


@pytest.fixture
def loaded(server, load_book) -> str:
    """BOOK, plus agents holding the carrier samples' NPNs; returns the server's base URL."""
    report = load_book(BOOK)
    assert not report.rejections, report.rejections
    report = load_book({"agents": PRODUCTION_BOOK["agents"]})
    assert not report.rejections, report.rejections
    return server


class Page:
    """A fresh browser context on a laptop-sized screen that records what the page asks for."""

    def __init__(self, browser, base: str) -> None:
        self.base = base
        self.context = browser.new_context(viewport=LAPTOP, accept_downloads=True)
        self.page = self.context.new_page()
        self.page.set_default_timeout(WAIT_MS)
        self.requests: list[str] = []
        self.problems: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        self.page.on("console", self._console)

    def _console(self, message) -> None:
        if message.type in ("error", "warning"):  # a CSP refusal, a failed module, a bad request
            self.problems.append(f"console {message.type}: {message.text}")

    def sign_in(self, email: str) -> None:
        from downline.core import tokens
        from downline.core.config import get_settings

        self.page.goto(f"{self.base}/")  # redirects to /app
        assert self.page.url == f"{self.base}/app"
        self.page.get_by_label("Token").fill(tokens.mint(get_settings(), email))
        self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_selector("body[data-ready=true]")

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / name
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def check_clean(self) -> None:
        foreign = [
            u
            for u in self.requests
            if not u.startswith((self.base + "/", self.base.replace("http", "ws", 1) + "/"))
            and not u.startswith("data:")
        ]
        assert not foreign, f"requests off the server's origin: {foreign}"
        assert not self.problems, self.problems

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def open_page(browser, loaded) -> Iterator:
    pages: list[Page] = []

    def open_() -> Page:
        pages.append(Page(browser, loaded))
        return pages[-1]

    yield open_
    for page in pages:
        page.close()


WATCH_STATUSES = """() => {
  window.__statuses = [];
  window.__sameDocument = true;
  const seen = (row) => {
    const s = row && row.querySelector('.status');
    if (s && s.textContent && window.__statuses.at(-1) !== s.textContent) {
      window.__statuses.push(s.textContent);
    }
  };
  new MutationObserver(() => seen(document.querySelector('#exports-body tr')))
    .observe(document.getElementById('exports-body'),
             {childList: true, subtree: true, characterData: true});
}"""


def test_an_agent_requests_an_export_watches_it_finish_and_downloads_it(open_page):
    browser_page = open_page()
    page = browser_page.page
    browser_page.sign_in("eve@t.test")
    assert "eve@t.test" in page.locator("#who-text").text_content()

    # the types this agent may request, each with its legend
    clients = page.locator("details[data-type=clients]")
    clients.locator(":scope > summary").click()
    clients.get_by_text("Columns (").click()
    legend = clients.locator("details.legend table")
    assert legend.is_visible() and "client_id" in legend.text_content()

    page.evaluate(WATCH_STATUSES)
    clients.get_by_role("button", name="Request export").click()
    row = page.locator("#exports-body tr").first
    status = row.locator(".status")
    status.filter(has_text="SUCCEEDED").wait_for()
    statuses = page.evaluate("window.__statuses")
    assert statuses[0] in ("QUEUED", "PROCESSING") and statuses[-1] == "SUCCEEDED", statuses
    assert page.evaluate("window.__sameDocument"), "the page was reloaded"
    assert row.locator("td").nth(1).text_content() == "Clients"
    progress = row.locator("progress")
    assert progress.get_attribute("aria-label").startswith("Progress of the Clients export")
    assert progress.evaluate("p => p.value === p.max")
    assert row.locator("td.num").text_content() == "2"  # c2 and c8: submitted, not archived
    assert status.get_attribute("aria-live") == "polite"

    with page.expect_download() as download_info:
        row.get_by_role("button", name="Download").click()
    download = download_info.value
    assert download.suggested_filename.startswith("clients-")
    csv = Path(download.path()).read_text(encoding="utf-8-sig")
    assert csv.startswith("client_id,first_name"), csv[:200]
    assert len(csv.strip().splitlines()) == 3

    # the history survives a reload (the token is remembered for the tab), newest first
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    assert page.locator("#exports-body tr").count() == 1
    assert page.locator("#exports-body tr .status").text_content() == "SUCCEEDED"

    browser_page.screenshot("export-centre-agent.png")
    browser_page.check_clean()


def test_an_admin_uploads_a_carrier_report_and_sees_production(open_page):
    browser_page = open_page()
    page = browser_page.page
    browser_page.sign_in("admin@top.test")

    page.get_by_label("Report file").set_input_files(str(SAMPLES / "humana-2026-11-24.csv"))
    page.get_by_label("Statuses as of").fill("2026-11-24")
    page.get_by_role("button", name="Upload").click()
    row = page.locator("#reports-body tr").first
    row.locator(".status").filter(has_text="SUCCEEDED").wait_for()
    counts = {
        name: row.locator(f"td[data-count={name}]").text_content()
        for name in ("rowsRead", "rowsInserted", "rowsRejected")
    }
    assert counts == {"rowsRead": "12", "rowsInserted": "10", "rowsRejected": "2"}
    assert row.locator("td.file").text_content() == "humana-2026-11-24.csv"
    details = row.locator("td.details")
    assert "18000005, 18000006, 18000007" in details.text_content()
    details.get_by_text("Rejected rows (2)").click()
    assert "line 5: NPN 18000004 is outside your book" in details.text_content()

    # the upload refreshed the production summary: agent × month, and the chart
    summary = page.locator("#summary-body")
    summary.get_by_text("Ned Two (18000002)").first.wait_for()
    assert page.locator("#summary-table tfoot").is_visible()
    assert page.locator("#chart svg rect.bar-net").count() >= 1

    # an agency export, so the history shows in the picture too
    roster = page.locator("details[data-type=agent_roster]")
    roster.locator(":scope > summary").click()
    roster.get_by_role("button", name="Request export").click()
    page.locator("#exports-body tr .status").filter(has_text="SUCCEEDED").wait_for()

    shot = browser_page.screenshot("export-centre.png")
    assert shot.stat().st_size > 10_000
    browser_page.check_clean()


def test_an_agent_whose_exports_are_switched_off_sees_its_history_but_cannot_download(open_page):
    browser_page = open_page()
    page = browser_page.page
    browser_page.sign_in("eve@t.test")
    clients = page.locator("details[data-type=clients]")
    clients.locator(":scope > summary").click()
    clients.get_by_role("button", name="Request export").click()
    page.locator("#exports-body tr .status").filter(has_text="SUCCEEDED").wait_for()

    switch_off(browser_page.base, "east")  # East's admin above, from elsewhere
    page.reload()
    page.wait_for_selector("body[data-ready=true]")

    assert "not request or download them" in page.locator("#exports-off").text_content()
    row = page.locator("#exports-body tr").first
    assert row.locator(".status").text_content() == "SUCCEEDED"  # still listed
    row.get_by_role("button", name="Download").click()
    refusal = row.get_by_role("alert")
    assert "ask your agency administrator to allow them" in refusal.text_content()
    browser_page.screenshot("export-centre-switched-off.png")
    browser_page.check_clean()


def switch_off(base: str, agency: str) -> None:
    import httpx

    from downline.core import tokens
    from downline.core.config import get_settings

    query = "mutation($id: ID!) { setAgentExportsAllowed(agencyId: $id, allowed: false) { id } }"
    token = tokens.mint(get_settings(), "admin@top.test")
    answer = httpx.post(
        f"{base}/graphql",
        json={"query": query, "variables": {"id": agency}},
        headers={"Authorization": f"Bearer {token}"},
    ).json()
    assert "errors" not in answer, answer
