"""leads: an agent's leads, exactly the rows of the leads list under the same filter."""

from tests.plugins.exports.book import DAN, EVE
from tests.plugins.exports.catalogue import assert_catalogue_header, ids, list_ids

LEADS = [
    {
        "id": f"l{n + 4}",
        "agent_id": "a-east",
        "first_name": first,
        "last_name": "Lead",
        "email": f"{n}@l.test",
        "phone": f"305-555-01{n:02d}",
        "state": state,
        "zip": "33101",
        "source": "web",
        "status": status,
        "created_at": created,
        "notes": None,
    }
    for n, (first, state, status, created) in enumerate(
        [
            ("Ana", "FL", "new", "2026-03-01T09:00:00Z"),  # the same instant as l1
            ("Bo", "TX", "contacted", "2026-02-28T23:59:59Z"),
            ("Cy", "FL", "lost", "2026-03-10T00:00:00Z"),
            ("Di", None, "new", "2026-01-15T12:00:00-05:00"),
        ]
    )
]


def test_leads_export_holds_exactly_the_leads_list(books, api, export, load_book):
    load_book({"leads": LEADS})
    filters = [
        {},
        {"statuses": ["new"]},
        {"statuses": ["NEW", "lost"]},
        {"createdFrom": "2026-03-01"},
        {"createdTo": "2026-02-28"},
        {"createdFrom": "2026-03-01", "createdTo": "2026-03-01"},
        {"search": "ana"},
        {"search": "555-0102"},
        {"agentIds": ["a-deep"]},
    ]
    for email in (EVE, DAN):
        for filter in filters:
            file = export("leads", email, **filter)
            assert_catalogue_header(file, "leads")
            assert ids(file) == list_ids(api, "leads", email, filter), (email, filter)
    rows = export("leads", EVE).by("lead_id")
    assert ids(export("leads", EVE)) == ["l6", "l1", "l4", "l5", "l7"]
    assert (
        rows["l1"]["created_at"],
        rows["l1"]["source"],
        rows["l1"]["status"],
        rows["l1"]["agent_npn"],
    ) == ("2026-03-01T09:00:00+00:00", "facebook", "new", "200")
    assert rows["l7"]["created_at"] == "2026-01-15T17:00:00+00:00" and rows["l7"]["state"] == ""
