"""`downline load DIR`: what an operator sees (counts, every rejected record as file:line:
reason) and the exit code, on SQLite and PostgreSQL."""

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from downline.core import db
from downline.core.models import Agency, Agent, Client, Lead, Payout, User
from downline.server.cli import app

runner = CliRunner()


def write_book(folder: Path, files: dict[str, list]) -> Path:
    """JSON Lines files in `folder`: a dict is written as JSON, a string as the raw line."""
    folder.mkdir(exist_ok=True)
    for name, lines in files.items():
        text = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines)
        (folder / name).write_text(text + "\n", encoding="utf-8")
    return folder


def load(folder: Path):
    return runner.invoke(app, ["load", str(folder)])


def ids(model) -> list[str]:
    with db.session() as session:
        return sorted(session.scalars(select(model.__table__.c[0])))


CLIENT = {
    "id": "k1",
    "agent_id": "a1",
    "first_name": "Maria",
    "last_name": "Lopez",
    "ssn": "987-65-4321",
    "date_of_birth": "1960-04-02",
    "state": "FL",
    "exchange": "on_ex",
    "application_status": "submitted",
    "submitted_at": "2026-03-01T10:00:00Z",
}
LEAD = {
    "id": "l1",
    "agent_id": "a1",
    "first_name": "Lee",
    "last_name": "One",
    "status": "new",
    "created_at": "2026-03-01T09:00:00Z",
}
GOOD = {
    "agencies.jsonl": [
        {"id": "top", "name": "Top", "parent_id": None},
        {"id": "east", "name": "East", "parent_id": "top"},
    ],
    "agents.jsonl": [{"id": "a1", "name": "Ann", "npn": "100", "agency_id": "east"}],
    "users.jsonl": [{"email": "ann@x.test", "role": "agent", "agent_id": "a1"}],
    "clients.jsonl": [CLIENT],
    "leads.jsonl": [LEAD],
    "payouts.jsonl": [
        {"id": "p1", "kind": "eap", "agent_id": "a1", "client_id": "k1", "amount": 5}
    ],
}


def test_a_good_book_loads_exits_0_and_a_reload_changes_nothing(database, tmp_path):
    folder = write_book(tmp_path / "book", GOOD)
    first = load(folder)
    assert first.exit_code == 0, first.output
    assert "agencies.jsonl: 2 inserted, 0 updated, 0 unchanged, 0 rejected" in first.stdout
    assert "payouts.jsonl: 1 inserted, 0 updated, 0 unchanged, 0 rejected" in first.stdout
    again = load(folder)
    assert again.exit_code == 0, again.output
    assert again.stdout.splitlines() == [
        "agencies.jsonl: 0 inserted, 0 updated, 2 unchanged, 0 rejected",
        "agents.jsonl: 0 inserted, 0 updated, 1 unchanged, 0 rejected",
        "users.jsonl: 0 inserted, 0 updated, 1 unchanged, 0 rejected",
        "clients.jsonl: 0 inserted, 0 updated, 1 unchanged, 0 rejected",
        "leads.jsonl: 0 inserted, 0 updated, 1 unchanged, 0 rejected",
        "payouts.jsonl: 0 inserted, 0 updated, 1 unchanged, 0 rejected",
    ]
    assert "\x1b[" not in again.output  # no progress bar when not writing to a terminal


BAD = {
    "agencies.jsonl": [
        {"id": "top", "name": "Top", "parent_id": None},
        "",
        {"id": "east", "name": "East", "parent_id": "late"},
        {"id": "late", "name": "Late", "parent_id": "top"},
        {"id": "lost", "name": "Lost", "parent_id": "nowhere"},
        {"id": "c1", "name": "Loop", "parent_id": "c2"},
        {"id": "c2", "name": "Loop", "parent_id": "c1"},
        {"id": "top", "name": "Top again"},
        '{"id": "broken", ',
    ],
    "agents.jsonl": [
        {"id": "a1", "name": "Ann", "npn": "0100", "agency_id": "east"},
        {"id": "a2", "name": "Bob", "npn": "12a", "agency_id": "east"},
        {"id": "a3", "name": "Cy", "npn": "100", "agency_id": "east"},
        "   ",
        {"id": "a4", "name": "Di", "npn": "4", "agency_id": "nope"},
        {"id": "top", "name": "Ed", "npn": "5", "agency_id": "east"},
        "[1, 2]",
        {"id": "a5", "npn": "6", "agency_id": "east"},
        {"id": "a6", "name": 7, "npn": "7", "agency_id": "east"},
        {"id": "a7", "name": "Fay", "npn": "8", "agency_id": "east", "created_at": "yesterday"},
        {"id": "a8", "name": "Gus", "npn": "9", "agency_id": "east", "team": "blue"},
    ],
    "users.jsonl": [
        {"email": "Ann@X.test", "role": "agent", "agent_id": "a1"},
        {"email": "b@x.test", "role": "boss", "agent_id": "a1"},
        {"email": "c@x.test", "role": "agent"},
        {"email": "d@x.test", "role": "agent", "agent_id": "a1", "agency_id": "east"},
        {"email": "e@x.test", "role": "agency_admin", "agency_id": "ghost"},
        {"email": "f@x.test", "role": "agent", "agent_id": "a2"},
    ],
    "clients.jsonl": [
        CLIENT,
        {**CLIENT, "id": "k2", "exchange": "both"},
        {**CLIENT, "id": "k3", "application_status": "pending"},
        {**CLIENT, "id": "k4", "date_of_birth": "04/02/1960"},
        {**CLIENT, "id": "k5", "ssn": "987654321"},
        {**CLIENT, "id": "k6", "agent_id": "ghost"},
        {**CLIENT, "id": "a1"},
        {**CLIENT, "id": "k8", "effective_date": "2026-02-30"},
        {**CLIENT, "id": "k9", "submitted_at": "March 1st"},
    ],
    "leads.jsonl": [
        LEAD,
        {**LEAD, "id": "l2", "status": "hot"},
        {**LEAD, "id": "k1"},
    ],
    "payouts.jsonl": [
        {"id": "p1", "kind": "eap", "agent_id": "a1", "client_id": "k1", "amount": 5},
        {"id": "p2", "kind": "bonus", "agent_id": "a1", "amount": 5},
        {"id": "p3", "kind": "program", "agent_id": "a1", "client_id": "k9", "amount": 5},
        {"id": "p4", "kind": "eap", "agent_id": "a1", "amount": 5},
        {"id": "p5", "kind": "program", "agent_id": "a1", "amount": "12.00"},
    ],
}
EXPECTED = [
    "agencies.jsonl:5: parent_id 'nowhere' is not a known agency",
    "agencies.jsonl:6: parent_id 'c2' makes a cycle: c1 -> c2 -> c1",
    "agencies.jsonl:7: parent_id 'c1' makes a cycle: c2 -> c1 -> c2",
    "agencies.jsonl:8: id 'top' repeats line 1",
    "agencies.jsonl:9: is not valid JSON (",
    "agents.jsonl:2: npn '12a' is not 1-10 digits",
    "agents.jsonl:3: npn '100' already belongs to agent 'a1'",
    "agents.jsonl:5: agency_id 'nope' is not a known agency",
    "agents.jsonl:6: id 'top' is already used by an agency",
    "agents.jsonl:7: is not a JSON object",
    "agents.jsonl:8: name is missing",
    "agents.jsonl:9: name 7 is not a string",
    "agents.jsonl:10: created_at 'yesterday' is not an ISO 8601 timestamp",
    "users.jsonl:2: role 'boss' is not one of 'agent' or 'agency_admin'",
    "users.jsonl:3: agent_id is required for role agent",
    "users.jsonl:4: agency_id must be null for role agent",
    "users.jsonl:5: agency_id 'ghost' is not a known agency",
    "users.jsonl:6: agent_id 'a2' is not a known agent",
    "clients.jsonl:2: exchange 'both' is not one of 'on_ex' or 'off_ex'",
    "clients.jsonl:3: application_status 'pending' is not one of 'unsubmitted', 'submitted', "
    "'effectuated', 'cancelled' or 'terminated'",
    "clients.jsonl:4: date_of_birth is not a date (YYYY-MM-DD)",
    "clients.jsonl:5: ssn is not in the form 123-45-6789",
    "clients.jsonl:6: agent_id 'ghost' is not a known agent",
    "clients.jsonl:7: id 'a1' is already used by an agent",
    "clients.jsonl:8: effective_date '2026-02-30' is not a date (YYYY-MM-DD)",
    "clients.jsonl:9: submitted_at 'March 1st' is not an ISO 8601 timestamp",
    "leads.jsonl:2: status 'hot' is not one of 'new', 'contacted', 'quoted', 'converted' or 'lost'",
    "leads.jsonl:3: id 'k1' is already used by a client",
    "payouts.jsonl:2: kind 'bonus' is not one of 'eap' or 'program'",
    "payouts.jsonl:3: client_id 'k9' is not a known client",
    "payouts.jsonl:4: client_id is required for kind eap",
    "payouts.jsonl:5: amount '12.00' is not a number",
]


def test_every_rejected_record_is_printed_with_its_line_and_the_good_ones_load(database, tmp_path):
    result = load(write_book(tmp_path / "book", BAD))
    assert result.exit_code == 1
    printed = [line for line in result.stdout.splitlines() if re.match(r"\w+\.jsonl:\d+: ", line)]
    assert len(printed) == len(EXPECTED), "\n".join(printed)
    for line, expected in zip(printed, EXPECTED, strict=True):
        assert line.startswith(expected)
    assert "32 record(s) rejected" in result.stderr
    assert "agents.jsonl: 2 inserted, 0 updated, 0 unchanged, 8 rejected" in result.stdout
    assert "987-65-4321" not in result.output and "987654321" not in result.output
    assert "1960" not in result.output  # nor a date of birth
    assert ids(Agency) == ["east", "late", "top"]
    assert ids(Agent) == ["a1", "a8"]
    assert ids(User) == ["ann@x.test"]
    assert (ids(Client), ids(Lead), ids(Payout)) == (["k1"], ["l1"], ["p1"])


def test_one_rejected_record_makes_the_exit_code_1(database, tmp_path):
    book = {**GOOD, "leads.jsonl": [LEAD, {**LEAD, "id": "l2", "agent_id": "ghost"}]}
    result = load(write_book(tmp_path / "book", book))
    assert result.exit_code == 1
    assert "leads.jsonl:2: agent_id 'ghost' is not a known agent" in result.stdout
    assert ids(Lead) == ["l1"]


def test_unknown_files_are_noted_and_ignored(database, tmp_path):
    folder = write_book(tmp_path / "book", {"agencies.jsonl": GOOD["agencies.jsonl"]})
    (folder / "policies.csv").write_text("a,b\n")
    result = load(folder)
    assert result.exit_code == 0, result.output
    assert "note: ignored policies.csv (not a book file)" in result.stdout


@pytest.mark.parametrize("make", ["missing", "empty", "only-other-files"])
def test_a_directory_without_a_book_is_an_error(database, tmp_path, make):
    folder = tmp_path / "book"
    if make != "missing":
        folder.mkdir()
    if make == "only-other-files":
        (folder / "agents.json").write_text("[]")
    result = load(folder)
    assert result.exit_code == 1
    expected = "is not a directory" if make == "missing" else "holds none of the book's files"
    assert expected in result.stderr
    assert ids(Agency) == []
