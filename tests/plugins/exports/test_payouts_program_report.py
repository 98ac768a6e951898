"""payouts_program_report: what a payouts program paid the caller's direct agents between two
dates, both required."""

from tests.plugins.exports.book import ADMIN, EAST, OTHER
from tests.plugins.exports.catalogue import PROGRAM_PARAMS, assert_catalogue_header, ids


def test_payouts_program_report_is_the_date_range_of_direct_agents_only(books, export):
    top = export("payouts_program_report", ADMIN, **PROGRAM_PARAMS)
    assert_catalogue_header(top, "payouts_program_report")
    assert ids(top) == ["q1", "q2"]  # q4 is East's (not direct); q3 and q5 are out of range
    rows = top.by("payout_id")
    assert (
        rows["q1"]["paid_at"],
        rows["q1"]["amount"],
        rows["q1"]["client_id"],
        rows["q1"]["application_id"],
    ) == ("2026-03-01T00:00:00+00:00", "100.50", "", "")
    assert (rows["q2"]["client_id"], rows["q2"]["application_id"], rows["q2"]["program"]) == (
        "c1",
        "APP-c1",
        "Spring bonus",
    )
    assert ids(export("payouts_program_report", EAST, **PROGRAM_PARAMS)) == ["q4"]
    assert ids(export("payouts_program_report", OTHER, **PROGRAM_PARAMS)) == ["q6"]
    assert ids(
        export("payouts_program_report", ADMIN, paidFrom="2026-04-01", paidTo="2026-04-01")
    ) == ["q3"]


def test_payouts_program_report_takes_the_first_and_last_days_a_date_can_name(books, export):
    """Found by tests/fuzz: paidTo 9999-12-31 overflowed (its next day) and failed internally."""
    every = export("payouts_program_report", ADMIN, paidFrom="0001-01-01", paidTo="9999-12-31")
    assert ids(every) == ["q5", "q1", "q2", "q3"]


def test_the_program_report_needs_its_dates(books, api):
    mutation = 'mutation($p: JSON) { requestExport(input: {type: "payouts_program_report", params: $p}) { id } }'
    errors = api.errors(mutation, {"p": {"paidFrom": "2026-03-01"}}, as_=ADMIN)
    assert errors[0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "paidTo"}
