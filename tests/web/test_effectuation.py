"""The export centre's effectuation view, in headless Chromium (the same server harness and
browser as test_export_centre.py): one server and two page loads, an agency admin's then an
agent's.

The book (tests/core/production/effectuation.py's agencies and agents): applications of every
status across Top Agency's lines (East with East South below it, West, its own agent Ann) and
carriers (UnitedHealthcare's report as of 2026-04-01, an Aetna application with no Aetna report,
carriers no plugin answers to), and more effectuated applications in East than a page of the list
holds. What the page shows, the rate and each count by line, by carrier and in all, and the
applications a count lists with their reasons and policies, must be what `reconciliationSummary`
and `reconciliation` answer the same user. Screenshots go under var/test-artifacts/.
"""

import httpx
import pytest

from tests.core.production.effectuation import HIERARCHY, client, ingest, policy
from tests.web import test_export_centre as centre

server = centre.server  # the served test database

pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)

STATUSES = [
    "EFFECTUATED", "PENDING", "ENDED", "UNKNOWN", "AGENT_OF_RECORD_ELSEWHERE",
    "NOT_IN_CARRIER_REPORTS", "AWAITING_CARRIER", "NO_CARRIER_FEED",
]  # fmt: skip
EFFECTUATED_IN_EAST = 27  # Eve's; with Dan's one, more than the list's page of 25

LINE = "line { agency { id } agent { id } }"
SUMMARIES = f"""query($of: ID) {{
  lines: reconciliationSummary(groupBy: [DOWNLINE], downlineOf: $of) {{
    {LINE} count effectuationRate }}
  lineStatuses: reconciliationSummary(groupBy: [DOWNLINE, STATUS], downlineOf: $of) {{
    {LINE} status count }}
  carriers: reconciliationSummary(groupBy: [CARRIER], downlineOf: $of) {{
    carrier count effectuationRate }}
  carrierStatuses: reconciliationSummary(groupBy: [CARRIER, STATUS], downlineOf: $of) {{
    carrier status count }}
  all: reconciliationSummary(groupBy: [], downlineOf: $of) {{ count effectuationRate }} }}"""
LIST = """query($f: ReconciliationFilter) { reconciliation(filter: $f, first: 500) { edges { node {
  status reason client { id }
  policy { carrierPolicyId status agentNpn agent { name } } } } } }"""

# What the page shows of the tables: per row, its rate (as given and as shown), counts, total.
READ_TABLE = """(name) => Object.fromEntries(
  [...document.querySelectorAll(`#effect-${name}-table tr[data-row]`)].map((tr) => [
    tr.dataset.row, {
      rate: tr.querySelector("td.rate").dataset.rate,
      shown: tr.querySelector("td.rate").textContent,
      count: tr.querySelector("td.total").textContent,
      statuses: Object.fromEntries([...tr.querySelectorAll("td[data-status]")].map(
        (td) => [td.dataset.status, td.textContent])),
    }]))"""
READ_LIST = """() => [...document.querySelectorAll("#effect-list-body tr")].map((tr) => ({
  client: tr.dataset.client, status: tr.dataset.status,
  reason: tr.querySelector("td.reason").textContent,
  policy: Object.fromEntries([...tr.querySelectorAll("td[data-policy]")].map(
    (td) => [td.dataset.policy, td.textContent])),
}))"""


@pytest.fixture
def book(server, load_book, cli, tmp_path) -> str:
    """Applications of every status over Top Agency's lines and three carriers; returns the
    server's base URL."""
    eve = [client(f"e-{n:02}", "a-east") for n in range(1, EFFECTUATED_IN_EAST + 1)]
    clients = [
        *eve,
        client("pending", "a-east"),
        client("cancelled", "a-east"),
        client("aor", "a-east"),  # UHC lists it under Will West's NPN
        client("notin", "a-east"),
        client("oscar", "a-east", carrier="Oscar"),
        client("await", "a-east", submitted_at="2026-03-20T10:00:00Z"),
        client("aetna", "a-east", carrier="Aetna"),
        client("deep", "a-deep"),
        client("unknown", "a-deep"),
        client("deep-aor", "a-deep"),  # under Eve's NPN
        client("ann", "a-top"),
        client("deceased", "a-top"),
        client("west-notin", "a-west"),
        client("west-feedless", "a-west", carrier="Florida Blue"),
    ]
    assert not load_book(dict(HIERARCHY, clients=clients)).rejections
    rows = [policy(f"U-E{n:02}", "200", f"E-{n:02}") for n in range(1, EFFECTUATED_IN_EAST + 1)]
    rows += [
        policy("U-PENDING", "200", "Pending", status="Pending", effective="2026-05-01"),
        policy("U-CANCEL", "200", "Cancelled", status="Cancelled", term="2026-01-20"),
        policy("U-AOR", "400", "Aor"),
        policy("U-DEEP", "300", "Deep"),
        policy("U-UNKNOWN", "300", "Unknown", status="Suspended"),
        policy("U-DEEP-AOR", "200", "Deep-Aor"),
        policy("U-ANN", "100", "Ann"),
        policy("U-DEAD", "100", "Deceased", status="Deceased", term="2026-03-15"),
        policy("U-ALONE", "100", "Nobody"),  # no application
    ]
    ingest(cli, tmp_path, rows)
    return server


def gql(base: str, query: str, variables: dict, email: str) -> dict:
    from downline.core import tokens
    from downline.core.config import get_settings

    answer = httpx.post(
        f"{base}/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {tokens.mint(get_settings(), email)}"},
        timeout=30,  # httpx waits 5 s by default: too little on a loaded CI machine
    ).json()
    assert "errors" not in answer, answer
    return answer["data"]


def line_key(bucket: dict) -> str:
    line = bucket["line"]
    return f"agency:{line['agency']['id']}" if line["agency"] else f"agent:{line['agent']['id']}"


def expected_tables(base: str, email: str, of: str | None = None) -> dict[str, dict]:
    """The tables the page should show `email` under agency `of`, from the API."""
    data = gql(base, SUMMARIES, {"of": of}, email)

    def table(rated, counted, key) -> dict:
        rows = {
            key(b): {"rate": b["effectuationRate"], "count": b["count"], "statuses": {}}
            for b in rated
        }
        for b in counted:
            rows[key(b)]["statuses"][b["status"]] = b["count"]
        (everything,) = data["all"]
        rows["all"] = {
            "rate": everything["effectuationRate"],
            "count": everything["count"],
            "statuses": {s: sum(r["statuses"].get(s, 0) for r in rows.values()) for s in STATUSES},
        }
        return rows

    return {
        "lines": table(data["lines"], data["lineStatuses"], line_key),
        "carriers": table(
            data["carriers"], data["carrierStatuses"], lambda b: b["carrier"] or "none"
        ),
        "all": data["all"][0],
    }


def assert_tables_show(page, expected: dict) -> None:
    for name in ("lines", "carriers"):
        shown = page.evaluate(READ_TABLE, name)
        assert set(shown) == set(expected[name]), name
        for key, want in expected[name].items():
            got = shown[key]
            assert int(got["count"].replace(",", "")) == want["count"], (name, key)
            counts = {s: int(n.replace(",", "")) for s, n in got["statuses"].items()}
            assert counts == {s: want["statuses"].get(s, 0) for s in STATUSES}, (name, key)
            if want["rate"] is None:
                assert (got["rate"], got["shown"]) == ("", "—"), (name, key)
            else:
                assert float(got["rate"]) == pytest.approx(want["rate"]), (name, key)
                percent = float(got["shown"].rstrip("%"))
                assert percent == pytest.approx(want["rate"] * 100, abs=0.051), (name, key)
    rate = page.locator("#effect-rate")
    assert float(rate.get_attribute("data-rate")) == pytest.approx(
        expected["all"]["effectuationRate"]
    )
    assert page.locator("#effect-total").text_content() == str(expected["all"]["count"])


def assert_list_shows(page, base: str, email: str, f: dict) -> list[dict]:
    """The open list holds what `reconciliation(filter: f)` gives `email`, in its order."""
    nodes = [e["node"] for e in gql(base, LIST, {"f": f}, email)["reconciliation"]["edges"]]
    shown = page.evaluate(READ_LIST)
    assert [r["client"] for r in shown] == [n["client"]["id"] for n in nodes]
    for row, node in zip(shown, nodes, strict=True):
        assert (row["status"], row["reason"]) == (node["status"], node["reason"])
        p = node["policy"]
        if p is None:
            assert set(row["policy"].values()) == {"—"}
        else:
            assert row["policy"]["id"] == p["carrierPolicyId"]
            assert p["agentNpn"] in row["policy"]["agent"]
            if p["agent"]:
                assert row["policy"]["agent"].startswith(p["agent"]["name"])
    return shown


def open_count(page, table: str, row: str, status: str) -> None:
    """Choose a count (the list empties at once, then fills): focus moves to the list."""
    cell = page.locator(f"#effect-{table}-table tr[data-row='{row}'] td[data-status={status}]")
    cell.get_by_role("button").click()
    page.locator("#effect-list-body tr").first.wait_for()
    page.wait_for_function("document.activeElement.id === 'effect-list-title'")


def test_effectuation_by_line_and_carrier_for_an_admin_and_an_agent(browser, book):
    base = book
    admin = centre.Page(browser, base)
    agent = centre.Page(browser, base)
    try:
        page = admin.page
        admin.sign_in("admin@top.test")
        assert_tables_show(page, expected_tables(base, "admin@top.test"))
        lines = page.locator("#effect-lines-body th").all_text_contents()
        assert sorted(lines) == ["Ann Top · agent", "East · sub-agency", "West · sub-agency"]
        carriers = page.locator("#effect-carriers-body th").all_text_contents()
        assert sorted(carriers) == ["Aetna", "No carrier feed", "UnitedHealthcare"]

        # East's effectuated applications: two pages of the list
        open_count(page, "lines", "agency:east", "EFFECTUATED")
        assert page.locator("#effect-list-body tr").count() == 25
        total = page.locator("#effect-list-total").text_content()
        assert total == "28 applications; the first 25 shown"
        assert page.locator("#effect-list-title").text_content() == "East: Effectuated"
        page.get_by_role("button", name="Show more").click()
        # The total said "28 applications" before the click too: wait for the 28th row itself.
        page.locator("#effect-list-body tr").nth(27).wait_for()
        east = {"agencyIds": ["east"], "statuses": ["EFFECTUATED"]}
        assert len(assert_list_shows(page, base, "admin@top.test", east)) == 28
        assert page.locator("#effect-more").is_hidden()

        # UnitedHealthcare's policies under another agent's NPN: the admin sees both policies
        open_count(page, "carriers", "uhc", "AGENT_OF_RECORD_ELSEWHERE")
        elsewhere = {"carriers": ["uhc"], "statuses": ["AGENT_OF_RECORD_ELSEWHERE"]}
        shown = assert_list_shows(page, base, "admin@top.test", elsewhere)
        assert {r["client"] for r in shown} == {"aor", "deep-aor"}
        assert {r["policy"]["agent"] for r in shown} == {"Will West (400)", "Eve East (200)"}
        assert {r["policy"]["carrier"] for r in shown} == {"UnitedHealthcare"}
        admin.screenshot("effectuation-admin.png")
        page.get_by_role("button", name="Close").click()
        assert page.locator("#effect-list").is_hidden()

        # into East: its lines and carriers, then its effectuation export
        page.locator("#effect-lines-body").get_by_role("button", name="East · sub-agency").click()
        page.locator("#effect-path [aria-current]").filter(has_text="East").wait_for()
        page.locator("#effect-lines-caption").filter(has_text="under East").wait_for()
        under_east = expected_tables(base, "admin@top.test", "east")
        assert_tables_show(page, under_east)
        page.get_by_role("button", name="Request the effectuation export").click()
        page.locator("#effect-note").filter(has_text="under East requested").wait_for()
        row = page.locator("#exports-body tr").first
        row.locator(".status").filter(has_text="SUCCEEDED").wait_for()
        assert row.locator("td").nth(1).text_content() == "Effectuation"
        assert row.locator("td.num").text_content() == str(under_east["all"]["count"])
        admin.check_clean()

        # an agent: its own line only, and a policy of another agent's it may not see
        page = agent.page
        agent.sign_in("eve@t.test")
        assert_tables_show(page, expected_tables(base, "eve@t.test"))
        assert page.locator("#effect-lines-body th").all_text_contents() == ["Eve East · agent"]
        assert page.locator("#effect-path li").count() == 1
        open_count(page, "lines", "agent:a-east", "AGENT_OF_RECORD_ELSEWHERE")
        mine = {"agentIds": ["a-east"], "statuses": ["AGENT_OF_RECORD_ELSEWHERE"]}
        (aor,) = assert_list_shows(page, base, "eve@t.test", mine)
        assert aor["client"] == "aor" and set(aor["policy"].values()) == {"—"}
        assert "another agent's NPN" in aor["reason"]
        open_count(page, "carriers", "none", "NO_CARRIER_FEED")
        feedless = assert_list_shows(page, base, "eve@t.test", {"statuses": ["NO_CARRIER_FEED"]})
        assert [r["client"] for r in feedless] == ["oscar"]
        agent.screenshot("effectuation-agent.png")
        agent.check_clean()
    finally:
        admin.close()
        agent.close()
