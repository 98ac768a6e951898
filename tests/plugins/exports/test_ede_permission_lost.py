"""ede_permission_lost: clients whose EDE permission was lost, with the times in UTC."""

from tests.plugins.exports.book import ADMIN, DAN, EVE, OTHER
from tests.plugins.exports.catalogue import assert_rows_for_each_caller


def test_lists_its_rows_in_order_for_each_callers_scope(books, export):
    assert_rows_for_each_caller(
        export,
        "ede_permission_lost",
        {EVE: ["e1", "e3"], DAN: ["e2"], ADMIN: ["e2", "e1", "e3"], OTHER: []},
    )


def test_ede_permission_lost_lists_times_in_utc(books, export):
    rows = export("ede_permission_lost", ADMIN).by("client_id")
    assert rows["e1"]["permission_lost_at"] == "2026-03-05T10:00:00+00:00"
    assert rows["e1"]["last_synced_at"] == "2026-03-01T00:00:00+00:00"
    assert rows["e2"]["permission_lost_at"] == "2026-03-10T10:00:00+00:00"
    assert rows["e2"]["last_synced_at"] == ""
    assert rows["e1"]["plan_year"] == "2026"
