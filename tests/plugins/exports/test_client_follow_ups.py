"""client_follow_ups: the open follow-ups of unarchived clients, soonest first."""

from tests.plugins.exports.book import ADMIN, DAN, EAST, EVE, OTHER, day
from tests.plugins.exports.catalogue import assert_rows_for_each_caller


def test_lists_its_rows_in_order_for_each_callers_scope(books, export):
    assert_rows_for_each_caller(
        export,
        "client_follow_ups",
        {
            EVE: ["f1", "f1"],
            DAN: ["f2"],
            EAST: ["f1", "f2", "f1"],
            ADMIN: ["f1", "f2", "f1"],
            OTHER: [],
        },
    )


def test_follow_ups_are_the_open_ones_soonest_first_with_their_type_date_and_note(books, export):
    rows = export("client_follow_ups", EAST).dicts()
    assert [(r["client_id"], r["follow_up_type"], r["due_date"]) for r in rows] == [
        ("f1", "call", day(5)),
        ("f2", "call", day(5)),
        ("f1", "docs", ""),
    ]
    assert rows[0]["note"] == "'=1+1 ask for docs"
    assert (rows[0]["agent_name"], rows[0]["agent_npn"]) == ("Eve East", "200")
    assert (rows[1]["agent_name"], rows[1]["agent_npn"]) == ("Dan Deep", "300")
