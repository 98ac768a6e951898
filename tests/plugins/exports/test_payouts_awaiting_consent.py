"""payouts_awaiting_consent: Enrollee Assistance Program payouts still waiting for the consent
documentation, oldest submission first."""

from tests.plugins.exports.book import ADMIN, EAST, OTHER
from tests.plugins.exports.catalogue import assert_rows_for_each_caller


def test_lists_its_rows_in_order_for_each_callers_scope(books, export):
    assert_rows_for_each_caller(
        export,
        "payouts_awaiting_consent",
        {ADMIN: ["p2", "p1"], EAST: ["p2", "p1"], OTHER: ["p4"]},
    )


def test_payouts_awaiting_consent_name_the_client_and_amount(books, export):
    rows = export("payouts_awaiting_consent", ADMIN).by("payout_id")
    assert (rows["p2"]["client_id"], rows["p2"]["application_id"], rows["p2"]["amount"]) == (
        "c4",
        "APP-c4",
        "12.50",
    )
    assert (rows["p1"]["last_name"], rows["p1"]["submitted_at"], rows["p1"]["agent_name"]) == (
        "C2",
        "2026-03-02T12:00:00+00:00",
        "Eve East",
    )
