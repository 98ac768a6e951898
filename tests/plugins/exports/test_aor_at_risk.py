"""aor_at_risk: clients whose Agent of Record changed at the Marketplace; a move to a colleague in
the same agency is at risk for the agency's admins only."""

from tests.plugins.exports.book import ADMIN, DAN, EAST, EVE, OTHER, day
from tests.plugins.exports.catalogue import assert_rows_for_each_caller, ids


def test_lists_its_rows_in_order_for_each_callers_scope(books, export):
    assert_rows_for_each_caller(
        export,
        "aor_at_risk",
        {
            EVE: ["r2", "r4"],
            DAN: ["r3"],
            ADMIN: ["r3", "r2", "r1", "r4"],
            EAST: ["r3", "r2", "r1", "r4"],
            OTHER: [],
        },
    )


def test_aor_at_risk_keeps_internal_transfers_for_the_agency_only(books, export):
    agency = export("aor_at_risk", ADMIN).by("client_id")
    assert agency["r1"]["current_agent_npn"] == "210"  # Eli, Eve's colleague in East
    assert agency["r1"]["at_risk_since"] == day(-10)
    assert agency["r1"]["at_risk_reason"] == "AOR changed at the Marketplace"
    assert agency["r4"]["at_risk_since"] == ""
    # Dan (East South) at risk to Eve (East): another agency, so not internal for Dan.
    assert ids(export("aor_at_risk", DAN)) == ["r3"]
    assert "r1" not in ids(export("aor_at_risk", EVE))
