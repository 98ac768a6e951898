"""The export centre's production by line and carrier freshness, in headless Chromium (the same
server, book and browser as test_export_centre.py).

Humana reports are ingested through `downline ingest`: one as of 40 days ago listing four
policies (top's agent, East's agent, East South's agent, an NPN matching no agent), one as of
30 days ago leaving East South's out, so Humana is stale (past DOWNLINE_CARRIER_STALE_DAYS) with
one policy not in its last report. An admin walks the lines down two sub-agencies and back, opens
that policy from the freshness table and lists the policies changed since today; an agent sees its
one line. Screenshots go under var/test-artifacts/.
"""

from datetime import UTC, datetime, timedelta

import pytest

from tests.core.production.humana import Row, humana_report
from tests.web import test_export_centre as centre

# The page tests' fixtures: a served test database with BOOK loaded, and fresh browser pages.
server, loaded, open_page = centre.server, centre.loaded, centre.open_page

pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)

TODAY = datetime.now(UTC).date()
TOP, EAST, DEEP, NOBODY = (
    Row("H1", "18000001"),  # Nora One, directly in Top Agency
    Row("H2", "200"),  # Eve East, in East
    Row("H3", "300"),  # Dan Deep, in East South (under East)
    Row("H4", "18000005"),  # no agent holds this NPN
)


@pytest.fixture
def reported(loaded, cli, tmp_path) -> str:
    """`loaded`, plus the two Humana reports; returns the server's base URL."""
    for days, rows in ((40, [TOP, EAST, DEEP, NOBODY]), (30, [TOP, EAST, NOBODY])):
        report = humana_report(tmp_path, f"humana-{days}.csv", rows)
        as_of = (TODAY - timedelta(days=days)).isoformat()
        result = cli("ingest", report, "--as-of", as_of, "--as", "admin@top.test")
        assert result.exit_code == 0, result.output
    return loaded


def line_names(page) -> list[str]:
    return [t.strip() for t in page.locator("#lines-body th").all_text_contents()]


def column_sum(page, selector: str) -> int:
    return sum(int(t.replace(",", "")) for t in page.locator(selector).all_text_contents())


def test_an_admin_walks_the_lines_and_checks_carrier_freshness(open_page, reported):
    browser_page = open_page()
    page = browser_page.page
    browser_page.sign_in("admin@top.test")

    # Top Agency's lines: East (holding East South), its own agent, the unmatched policies
    page.locator("#lines-body tr").first.wait_for()
    names = line_names(page)
    assert any(n.startswith("East") for n in names), names
    assert any(n.startswith("Nora One") for n in names), names
    assert "No matching agent" in names
    submitted = column_sum(page, "#lines-body td:nth-of-type(1)")
    assert submitted == 4
    assert page.locator("#lines-table tfoot td").first.text_content() == "4"
    total = page.locator("#summary-table tfoot td").first.text_content()
    assert int(total) == submitted  # the lines add up to the whole production

    # into East, then East South, then back to the top by the breadcrumb
    page.locator("#lines-body").get_by_role("button", name="East").click()
    page.locator("#lines-path [aria-current]").filter(has_text="East").wait_for()
    assert sorted(line_names(page)) == ["East South · sub-agency", "Eve East · agent"]
    page.locator("#lines-body").get_by_role("button", name="East South").click()
    page.locator("#lines-path [aria-current]").filter(has_text="East South").wait_for()
    assert line_names(page) == ["Dan Deep · agent"]
    assert page.locator("#lines-path li").count() == 3
    page.locator("#lines-path").get_by_role("button", name="Top Agency").click()
    page.locator("#lines-path [aria-current]").filter(has_text="Top Agency").wait_for()
    assert page.locator("#lines-body tr").count() == len(names)

    # Humana: stale, its last report 30 days ago, one policy left out of it
    humana = page.locator("#freshness-body tr[data-carrier=humana]")
    assert "stale" in humana.get_attribute("class")
    assert "Stale" in humana.locator("th").text_content()
    cells = humana.locator("td").all_text_contents()
    assert cells[2:] == ["4", "1"], cells
    aetna = page.locator("#freshness-body tr[data-carrier=aetna]")
    assert "No report yet" in aetna.text_content()

    humana.get_by_role("button", name="1 Humana policies not in the last report").click()
    missing = page.locator("#missing-list")
    missing.locator("tbody tr").first.wait_for()
    assert missing.locator("tbody tr").count() == 1
    row = missing.locator("tbody tr").first.text_content()
    assert "H3" in row and "Dan Deep" in row, row
    assert "1 policy" in missing.locator(".total").text_content()
    browser_page.screenshot("production-insight-admin.png")

    # policies changed since today: all four (each was written today); since tomorrow, none
    page.get_by_label("Policies changed since").fill(TODAY.isoformat())
    page.get_by_role("button", name="Show changes").click()
    changed = page.locator("#changed-list")
    changed.locator(".total").filter(has_text="4 policies").wait_for()
    assert changed.locator("tbody tr").count() == 4
    browser_page.screenshot("production-insight-changed.png")
    page.get_by_label("Policies changed since").fill((TODAY + timedelta(days=2)).isoformat())
    page.get_by_role("button", name="Show changes").click()
    changed.locator(".total").filter(has_text="0 policies").wait_for()
    browser_page.check_clean()


def test_an_agent_sees_its_one_line_and_its_freshness(open_page, reported):
    browser_page = open_page()
    page = browser_page.page
    browser_page.sign_in("eve@t.test")
    page.locator("#lines-body tr").first.wait_for()
    assert line_names(page) == ["Eve East · agent"]
    assert page.locator("#lines-body td").first.text_content() == "1"
    humana = page.locator("#freshness-body tr[data-carrier=humana]")
    assert humana.locator("td").all_text_contents()[2:] == ["1", "0"]
    browser_page.screenshot("production-insight-agent.png")
    browser_page.check_clean()
