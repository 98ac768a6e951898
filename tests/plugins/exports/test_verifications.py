"""dmi_follow_ups and svi_follow_ups: one builder (`verification_export`) makes both, so they are
tested together: the verifications due from two months before today on."""

from datetime import date

import pytest

from downline.plugins import two_months_before
from tests.plugins.exports.book import ADMIN, DAN, EVE, OTHER, TODAY, day, two_months_before_
from tests.plugins.exports.catalogue import assert_rows_for_each_caller


def test_dmi_follow_ups_list_their_rows_in_order_for_each_callers_scope(books, export):
    assert_rows_for_each_caller(
        export,
        "dmi_follow_ups",
        {
            EVE: ["v1", "v1"],
            DAN: ["v2", "v2"],
            ADMIN: ["v2", "v1", "v2", "v1"],
            OTHER: [],
        },
    )


def test_svi_follow_ups_list_their_rows_in_order_for_each_callers_scope(books, export):
    assert_rows_for_each_caller(export, "svi_follow_ups", {EVE: ["v1"], DAN: [], ADMIN: ["v1"]})


def test_verifications_are_due_from_two_months_before_today_on(books, export):
    dmis = export("dmi_follow_ups", ADMIN).dicts()
    boundary = two_months_before_(TODAY).isoformat()
    assert [(r["client_id"], r["due_date"]) for r in dmis] == [
        ("v2", boundary),
        ("v1", day(-30)),
        ("v2", day(-30)),
        ("v1", day(30)),
    ]
    assert [r["dmi_status"] for r in dmis] == ["open", "open", "open", "submitted"]
    assert {r["dmi_type"] for r in dmis} == {"income"}
    svi = export("svi_follow_ups", EVE).dicts()
    assert [(r["svi_type"], r["due_date"], r["svi_status"]) for r in svi] == [
        ("loss of coverage", day(0), "open")
    ]


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 4, 30), date(2026, 2, 28)),
        (date(2024, 4, 30), date(2024, 2, 29)),
        (date(2026, 1, 31), date(2025, 11, 30)),
        (date(2026, 2, 15), date(2025, 12, 15)),
        (date(2026, 12, 31), date(2026, 10, 31)),
        (date(2026, 3, 1), date(2026, 1, 1)),
    ],
)
def test_two_months_before_keeps_the_day_clamped_to_the_month(today, expected):
    assert two_months_before(today) == expected == two_months_before_(today)
