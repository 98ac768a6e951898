"""agent_roster: every agent under the caller's agency, with the path of agencies down to it, its
agency's export switch and its submission volume."""

import re
from datetime import UTC, datetime

from tests.plugins.exports.book import ADMIN, EAST, OTHER
from tests.plugins.exports.catalogue import assert_catalogue_header, ids


def test_agent_roster_lists_every_agent_with_its_path_switch_and_volume(books, export):
    top = export("agent_roster", ADMIN)
    assert_catalogue_header(top, "agent_roster")
    assert top.column("agent_name") == ["Ann Top", "Dan Deep", "Eli East", "Eve East", "Will West"]
    rows = top.by("agent_id")
    assert rows["a-deep"]["agency_path"] == "Top Agency > East > East South"
    assert rows["a-east"]["agency_path"] == "Top Agency > East"
    assert rows["a-top"]["agency_path"] == "Top Agency"
    assert rows["a-west"]["exports_allowed"] == "No" and rows["a-east"]["exports_allowed"] == "Yes"
    assert (
        rows["a-east"]["agent_npn"],
        rows["a-east"]["email"],
        rows["a-east"]["agency_name"],
    ) == ("200", "eve@t.test", "East")
    for agent, row in rows.items():
        submitted = [
            c["submitted_at"]
            for c in books["clients"]
            if c["agent_id"] == agent and c["submitted_at"]
        ]
        assert row["clients_submitted"] == str(len(submitted)), agent
        last = max(
            (datetime.fromisoformat(s.replace("Z", "+00:00")) for s in submitted), default=None
        )
        assert row["last_submitted_at"] == (last.astimezone(UTC).isoformat() if last else ""), agent
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00", row["created_at"])
    assert rows["a-west"]["clients_submitted"] == "1"
    east = export("agent_roster", EAST).by("agent_id")
    assert set(east) == {"a-east", "a-east2", "a-deep"}
    assert east["a-deep"]["agency_path"] == "East > East South"
    assert ids(export("agent_roster", OTHER)) == ["a-other"]
