"""clients: an agent's clients, exactly the rows of the clients list under the same filter."""

from tests.plugins.exports.book import DAN, EVE, client
from tests.plugins.exports.catalogue import CLIENT_FILTERS, assert_catalogue_header, ids, list_ids


def test_clients_export_holds_exactly_the_clients_list(books, api, export, load_book):
    load_book(
        {
            "clients": [
                client(books, "o1", "a-deep", exchange="off_ex", state="TX"),
                client(books, "u1", "a-east", submitted_at=None, application_status="unsubmitted"),
            ]
        }
    )
    for email in (EVE, DAN):
        for filter in CLIENT_FILTERS:
            file = export("clients", email, **filter)
            assert_catalogue_header(file, "clients")
            assert ids(file) == list_ids(api, "clients", email, filter), (email, filter)
    assert len(ids(export("clients", EVE))) > 10
