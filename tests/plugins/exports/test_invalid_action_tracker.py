"""invalid_action_tracker: clients whose application hit an Invalid Action error, with the link
to resume it and whether it was resumed, as Yes or No."""

from tests.plugins.exports.book import ADMIN, EAST, EVE, OTHER
from tests.plugins.exports.catalogue import assert_rows_for_each_caller


def test_lists_its_rows_in_order_for_each_callers_scope(books, export):
    assert_rows_for_each_caller(
        export,
        "invalid_action_tracker",
        {EVE: ["i1"], ADMIN: ["i2", "i1", "c6"], EAST: ["i2", "i1"], OTHER: []},
    )


def test_invalid_action_tracker_says_yes_or_no(books, export):
    rows = export("invalid_action_tracker", ADMIN).by("client_id")
    assert (rows["c6"]["resumed"], rows["c6"]["three_way_call_completed"]) == ("Yes", "Yes")
    assert (rows["i1"]["resumed"], rows["i1"]["three_way_call_completed"]) == ("No", "No")
    assert rows["i1"]["error_at"] == "2026-02-01T08:00:00+00:00"
    assert rows["i1"]["resume_link"] == "https://resume.test/i1"
    assert rows["i2"]["resume_link"] == ""
