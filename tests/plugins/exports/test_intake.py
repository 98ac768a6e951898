"""intake: the intake links of the clients under the caller's agency, by name."""

from tests.plugins.exports.book import ADMIN, EAST, OTHER
from tests.plugins.exports.catalogue import assert_catalogue_header, ids


def test_intake_lists_the_links_by_name(books, export):
    for email in (ADMIN, EAST, OTHER):
        file = export("intake", email)
        assert_catalogue_header(file, "intake")
        visible = (
            {"a-top", "a-east", "a-east2", "a-deep", "a-west"}
            if email == ADMIN
            else {"a-east", "a-deep"}
            if email == EAST
            else {"a-other"}
        )
        linked = [c for c in books["clients"] if c["agent_id"] in visible and c["intake_link"]]
        linked.sort(key=lambda c: (c["last_name"], c["first_name"], c["id"]))
        assert ids(file) == [c["id"] for c in linked], email
        assert file.column("intake_link") == [c["intake_link"] for c in linked]
