"""productionSummary grouped by DOWNLINE: the lines under one agency (each direct sub-agency with
its whole downline, each direct agent, the unmatched policies), scoped, combined with other
dimensions, following re-parenting at once, in one statement whatever the depth."""

import pytest

from tests.conftest import every_statement
from tests.core.production.humana import Row, humana_report


def agent(agent_id: str, npn: str, agency: str) -> dict:
    return {"id": agent_id, "name": f"Agent {agent_id}", "npn": npn, "agency_id": agency}


# top > east > east-south > east-deep, and top > west; `other` is another tenant.
LINES_BOOK = {
    "agencies": [
        {"id": "top", "name": "Top", "parent_id": None},
        {"id": "east", "name": "East", "parent_id": "top"},
        {"id": "east-south", "name": "East South", "parent_id": "east"},
        {"id": "east-deep", "name": "East Deep", "parent_id": "east-south"},
        {"id": "west", "name": "West", "parent_id": "top"},
        {"id": "other", "name": "Other", "parent_id": None},
    ],
    "agents": [
        agent("t1", "700", "top"),
        agent("e1", "701", "east"),
        agent("s1", "702", "east-south"),
        agent("d1", "703", "east-deep"),
        agent("w1", "704", "west"),
        agent("o1", "705", "other"),
    ],
    "users": [
        {"email": "admin@top.test", "role": "agency_admin", "agency_id": "top"},
        {"email": "admin@east.test", "role": "agency_admin", "agency_id": "east"},
        {"email": "admin@other.test", "role": "agency_admin", "agency_id": "other"},
        {"email": "agent@east.test", "role": "agent", "agent_id": "e1"},
    ],
}

ROWS = [
    Row("T1", "700"),
    Row("T2", "700", status="Pending", effective="12/01/2026"),
    Row("E1", "701"),
    Row("S1", "702"),
    Row("S2", "702", effective="12/01/2026"),
    Row("D1", "703"),
    Row("D2", "703"),
    Row("D3", "703", status="Deceased"),
    Row("W1", "704"),
    Row("U1", "799"),  # matches no agent: the unmatched line
    Row("U2", "799"),
]

SUMMARY = """query($g: [ProductionDimension!]!, $of: ID, $f: ProductionFilter) {
  productionSummary(groupBy: $g, downlineOf: $of, filter: $f) {
    line { agency { id } agent { id } } month submitted net
  }
}"""


@pytest.fixture
def lines_book(api, load_book, cli, tmp_path):
    assert not load_book(LINES_BOOK).rejections
    report = humana_report(tmp_path, "humana.csv", ROWS)
    result = cli("ingest", report, "--as-of", "2026-11-24", "--as", "admin@top.test")
    assert "inserted 11" in result.output, result.output


def lines(api, email, group_by=("DOWNLINE",), of=None, filter=None) -> list[tuple]:
    """(sub-agency id, agent id, submitted) per bucket, in the summary's order."""
    buckets = api.gql(SUMMARY, {"g": list(group_by), "of": of, "f": filter}, as_=email)
    return [
        (
            (b["line"]["agency"] or {}).get("id"),
            (b["line"]["agent"] or {}).get("id"),
            b["submitted"],
        )
        for b in buckets["productionSummary"]
    ]


def total(api, email, filter=None) -> int:
    (bucket,) = api.gql(SUMMARY, {"g": [], "f": filter}, as_=email)["productionSummary"]
    return bucket["submitted"]


def test_the_lines_under_the_viewers_agency(api, lines_book):
    assert lines(api, "admin@top.test") == [
        ("east", None, 6),  # east's own agent and its whole downline, three levels
        ("west", None, 1),
        (None, "t1", 2),  # the agent directly in top
        (None, None, 2),  # the unmatched line
    ]
    assert total(api, "admin@top.test") == 11


def test_the_lines_under_a_sub_agency_in_scope(api, lines_book):
    under_east = [("east-south", None, 5), (None, "e1", 1)]
    assert lines(api, "admin@top.test", of="east") == under_east
    assert lines(api, "admin@east.test") == under_east
    assert lines(api, "admin@east.test", of="east-south") == [
        ("east-deep", None, 3),
        (None, "s1", 2),
    ]


def test_an_agent_users_only_line_is_its_own_agent(api, lines_book):
    assert lines(api, "agent@east.test") == [(None, "e1", 1)]
    assert lines(api, "agent@east.test", of="east") == [(None, "e1", 1)]


@pytest.mark.parametrize(
    ("email", "of"),
    [
        ("admin@east.test", "top"),  # up
        ("admin@east.test", "west"),  # sideways
        ("admin@east.test", "other"),  # another tenant
        ("admin@top.test", "other"),
        ("admin@top.test", "nope"),  # unknown looks the same
        ("agent@east.test", "east-south"),  # an agent user may name only its own agency
        ("agent@east.test", "top"),
    ],
)
def test_a_downline_out_of_scope_is_not_found(api, lines_book, email, of):
    (error,) = api.errors(SUMMARY, {"g": ["DOWNLINE"], "of": of}, as_=email)
    assert error["extensions"]["code"] == "NOT_FOUND"
    assert error["message"] == f"no agency {of!r}"


def test_unmatched_policies_owned_below_form_the_unmatched_line_there(
    api, lines_book, cli, tmp_path
):
    report = humana_report(tmp_path, "east.csv", [Row("U3", "798"), Row("E2", "701")])
    assert cli("ingest", report, "--as-of", "2026-11-24", "--as", "admin@east.test").exit_code == 0
    assert lines(api, "admin@east.test") == [
        ("east-south", None, 5),
        (None, "e1", 2),
        (None, None, 1),
    ]
    assert lines(api, "admin@top.test")[-1] == (None, None, 3)


def test_lines_combine_with_months_and_filters(api, lines_book):
    rows = api.gql(SUMMARY, {"g": ["DOWNLINE", "MONTH"], "of": "east"}, as_="admin@top.test")[
        "productionSummary"
    ]
    assert [
        ((r["line"]["agency"] or {}).get("id"), (r["line"]["agent"] or {}).get("id"), r["month"])
        + (r["submitted"], r["net"])
        for r in rows
    ] == [
        ("east-south", None, "2026-03-01", 4, 3),  # D3 died: not net
        ("east-south", None, "2026-12-01", 1, 1),
        (None, "e1", "2026-03-01", 1, 1),
    ]
    active = {"statuses": ["ACTIVE"]}
    assert lines(api, "admin@top.test", filter=active) == [
        ("east", None, 5),
        ("west", None, 1),
        (None, "t1", 1),
        (None, None, 2),
    ]
    assert sum(n for *_, n in lines(api, "admin@top.test", filter=active)) == total(
        api, "admin@top.test", active
    )


def test_line_is_null_unless_grouped_by_downline(api, lines_book):
    rows = api.gql(SUMMARY, {"g": ["MONTH"]}, as_="admin@top.test")["productionSummary"]
    assert all(r["line"] is None for r in rows)


def test_a_downline_of_restricts_the_summary_to_that_agency_even_ungrouped(api, lines_book):
    (bucket,) = api.gql(SUMMARY, {"g": [], "of": "east"}, as_="admin@top.test")["productionSummary"]
    assert bucket["submitted"] == 6 == total(api, "admin@top.test", {"agencyIds": ["east"]})


def test_a_re_parented_sub_agency_moves_its_whole_line_at_once(api, lines_book, load_book):
    moved = {"id": "east-south", "name": "East South", "parent_id": "west"}
    assert not load_book({"agencies": [moved]}).rejections
    assert lines(api, "admin@top.test") == [
        ("east", None, 1),
        ("west", None, 6),  # west's agent, east-south and east-deep below it
        (None, "t1", 2),
        (None, None, 2),
    ]
    assert lines(api, "admin@east.test") == [(None, "e1", 1)]


@pytest.fixture
def policy_statements():
    """The SQL statements reading the policy table."""
    seen: list[str] = []

    def count(statement, _parameters):
        if "FROM policy" in statement:
            seen.append(statement)

    with every_statement(count):
        yield seen


def test_one_statement_whatever_the_depth(api, lines_book, load_book, policy_statements):
    chain = [{"id": f"deep{i}", "name": f"Deep {i}", "parent_id": f"deep{i - 1}"} for i in range(8)]
    chain[0]["parent_id"] = "east-deep"
    assert not load_book({"agencies": chain, "agents": [agent("d9", "709", "deep7")]}).rejections
    policy_statements.clear()

    assert lines(api, "admin@top.test") == lines(api, "admin@top.test")
    assert len(policy_statements) == 2  # one per summary
    assert "agency_closure" in policy_statements[0]
