"""enrollments: an agency's on-exchange clients, exactly the rows of the clients list under the
same filter, with the agency each client's agent belongs to."""

from tests.plugins.exports.book import ADMIN, EAST, client
from tests.plugins.exports.catalogue import CLIENT_FILTERS, assert_catalogue_header, ids, list_ids


def test_enrollments_hold_exactly_the_admins_on_exchange_clients_list(
    books, api, export, load_book
):
    load_book({"clients": [client(books, "o1", "a-deep", exchange="off_ex", state="TX")]})
    for email in (ADMIN, EAST):
        for filter in [
            *CLIENT_FILTERS,
            {"agencyIds": ["east-south"]},
            {"agentIds": ["a-east", "a-other"], "includeArchived": True},
        ]:
            file = export("enrollments", email, **filter)
            assert_catalogue_header(file, "enrollments")
            expected = list_ids(api, "clients", email, {"exchange": "ON_EX"} | filter)
            assert ids(file) == expected, (email, filter)
    rows = export("enrollments", ADMIN, exchange="OFF_EX").by("client_id")
    assert set(rows) == {"c4", "o1"}
    assert (rows["c4"]["agency_name"], rows["c4"]["agency_npn"], rows["c4"]["exchange"]) == (
        "East South",
        "",
        "off_ex",
    )
    top = export("enrollments", ADMIN).by("client_id")
    assert (top["c1"]["agency_name"], top["c1"]["agency_npn"], top["c1"]["agent_name"]) == (
        "Top Agency",
        "9000",
        "Ann Top",
    )
