"""Loading the JSON Lines book (docs/domain.md): validation at the edge, then what reaches the
database, on SQLite and PostgreSQL."""

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Table, select

from downline.core import db
from downline.core.loading import batches, loader, records, tree
from downline.core.loading.reasons import parse_line
from downline.core.models import (
    Agency,
    AgencyClosure,
    Agent,
    Client,
    ClientFollowUp,
    ClientVerification,
    Lead,
    Payout,
    Role,
    User,
)

FREE_TEXT = 'Ann "The Closer" O\'Neil, Jr.\tof\nMiami =SUM(A1:A9)'


def agency(id_, parent=None, **extra) -> dict:
    return {"id": id_, "name": f"Agency {id_}", "parent_id": parent, **extra}


def agent(id_, agency_id, npn, **extra) -> dict:
    return {"id": id_, "name": f"Agent {id_}", "npn": npn, "agency_id": agency_id, **extra}


def client(id_, agent_id="a1", **extra) -> dict:
    return {
        "id": id_,
        "agent_id": agent_id,
        "first_name": "Maria",
        "last_name": "Lopez",
        "phone": "+1 (305) 555-0100",
        "ssn": "123-45-6789",
        "date_of_birth": "1960-04-02",
        "household_income": 42000,
        "state": "FL",
        "exchange": "on_ex",
        "premium": 400.25,
        "aptc": 350,
        "application_status": "submitted",
        "submitted_at": "2026-03-01T10:00:00Z",
        "created_at": "2025-10-01T00:00:00Z",
        **extra,
    }


TREE = [agency("top"), agency("east", "top"), agency("west", "top"), agency("south", "east")]
BOOK = {
    "agencies": TREE,
    "agents": [agent("a1", "east", "100"), agent("a2", "west", "200")],
    "users": [
        {"email": "Admin@Top.test", "role": "agency_admin", "agency_id": "top"},
        {"email": "ann@a1.test", "role": "agent", "agent_id": "a1"},
    ],
    "clients": [
        client(
            "k1",
            aor_at_risk={
                "reason": "other agent",
                "since": "2026-02-01",
                "current_agent_npn": "077",
            },
            invalid_action={
                "error_at": "2026-01-19T08:00:00-05:00",
                "resume_link": "https://resume.test/k1",
                "resumed": False,
                "three_way_call_completed": True,
            },
            dmis=[{"type": "income", "due_date": "2026-04-01", "status": "open"}],
            svis=[{"type": "move", "due_date": None, "status": "sent"}],
            follow_ups=[{"type": "call", "due_date": "2026-03-10", "note": "ask", "done": False}],
        ),
        client("k2", "a2", submitted_at=None, application_status="unsubmitted"),
    ],
    "leads": [
        {
            "id": "l1",
            "agent_id": "a1",
            "first_name": "Lee",
            "last_name": "One",
            "phone": "555-0101",
            "status": "new",
            "created_at": "2026-03-01T09:00:00",
        }
    ],
    "payouts": [
        {"id": "p1", "kind": "eap", "agent_id": "a1", "client_id": "k1", "amount": 10.5},
        {"id": "p2", "kind": "program", "agent_id": "a2", "amount": 250, "program": "Q1"},
    ],
}
TABLES = [Agency, AgencyClosure, Agent, User, Client, ClientVerification, ClientFollowUp, Lead]


def table_rows(model) -> list[dict]:
    table: Table = model.__table__
    with db.session() as session:
        query = select(table).order_by(*table.primary_key.columns)
        return [dict(row) for row in session.execute(query).mappings()]


def row_of(model, key: str) -> dict:
    table: Table = model.__table__
    (column,) = table.primary_key.columns
    return next(row for row in table_rows(model) if row[column.name] == key)


def counts(report) -> dict[str, tuple[int, int, int, int]]:
    return {f.file: (f.inserted, f.updated, f.unchanged, f.rejected) for f in report.files}


def closure() -> set[tuple[str, str, int]]:
    return {(r["ancestor_id"], r["descendant_id"], r["depth"]) for r in table_rows(AgencyClosure)}


def reasons(report) -> list[str]:
    return [str(rejection) for rejection in report.rejections]


# --- validation of one line (no database) ---------------------------------------------------


@pytest.mark.parametrize(
    ("model", "line", "reason"),
    [
        (records.AgentRecord, '{"id": "a", "npn": "1", "agency_id": "g"}', "name is missing"),
        (
            records.AgentRecord,
            '{"id": "a", "name": "A", "npn": "12a", "agency_id": "g"}',
            "npn '12a' is not 1-10 digits",
        ),
        (
            records.AgentRecord,
            '{"id": "a", "name": "A", "npn": "12345678901", "agency_id": "g"}',
            "npn '12345678901' is not 1-10 digits",
        ),
        (
            records.AgentRecord,
            '{"id": "a", "name": "A", "npn": 123, "agency_id": "g"}',
            "npn 123 is not a string",
        ),
        (
            records.AgentRecord,
            '{"id": "a", "name": ["A"], "npn": "1", "agency_id": "g"}',
            "name […] is not a string",
        ),
        (
            records.AgencyRecord,
            '{"id": "g", "name": "G", "exports_allowed_for_agents": "no"}',
            "exports_allowed_for_agents 'no' is not true or false",
        ),
        (
            records.AgencyRecord,
            '{"id": "g", "name": "G", "created_at": "31/01/2026"}',
            "created_at '31/01/2026' is not an ISO 8601 timestamp",
        ),
        (records.AgencyRecord, '{"id": "", "name": "G"}', "id '' is empty"),
        (records.AgencyRecord, '{"id": "g", "name": "G\\u0000"}', "name 'G\\x00' contains a NUL"),
        (records.AgencyRecord, '["g", "G"]', "is not a JSON object"),
        (records.AgencyRecord, '"g"', "is not a JSON object"),
        (records.AgencyRecord, '{"id": "g", "name": }', "is not valid JSON ("),
        (
            records.UserRecord,
            '{"email": "a@b.test", "role": "owner", "agent_id": "a"}',
            "role 'owner' is not one of 'agent' or 'agency_admin'",
        ),
        (
            records.UserRecord,
            '{"email": "a@b.test", "role": "agent"}',
            "agent_id is required for role agent",
        ),
        (
            records.UserRecord,
            '{"email": "a@b.test", "role": "agent", "agent_id": "a", "agency_id": "g"}',
            "agency_id must be null for role agent",
        ),
        (
            records.UserRecord,
            '{"email": "a@b.test", "role": "agency_admin", "agent_id": "a"}',
            "agency_id is required for role agency_admin",
        ),
        (
            records.UserRecord,
            '{"email": "nobody", "role": "agency_admin", "agency_id": "g"}',
            "email 'nobody' is not an email address",
        ),
        (
            records.LeadRecord,
            '{"id": "l", "agent_id": "a", "first_name": "F", "last_name": "L", "status": "hot",'
            ' "created_at": "2026-03-01T09:00:00Z"}',
            "status 'hot' is not one of 'new', 'contacted', 'quoted', 'converted' or 'lost'",
        ),
        (
            records.PayoutRecord,
            '{"id": "p", "kind": "bonus", "agent_id": "a", "amount": 1}',
            "kind 'bonus' is not one of 'eap' or 'program'",
        ),
        (
            records.PayoutRecord,
            '{"id": "p", "kind": "eap", "agent_id": "a", "amount": 1}',
            "client_id is required for kind eap",
        ),
        (
            records.PayoutRecord,
            '{"id": "p", "kind": "program", "agent_id": "a", "amount": "1.00"}',
            "amount '1.00' is not a number",
        ),
        (
            records.PayoutRecord,
            '{"id": "p", "kind": "program", "agent_id": "a", "amount": 1.005}',
            "amount 1.005 has more than 2 decimal places",
        ),
    ],
)
def test_a_bad_record_is_refused_with_a_reason_naming_the_field(model, line, reason):
    assert parse_line(model, line.encode()).startswith(reason)


def client_line(**changes) -> bytes:
    return json.dumps(client("k", **changes)).encode()


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"exchange": "ON_EX"}, "exchange 'ON_EX' is not one of 'on_ex' or 'off_ex'"),
        ({"application_status": "pending"}, "application_status 'pending' is not one of"),
        (
            {"effective_date": "2026-02-30"},
            "effective_date '2026-02-30' is not a date (YYYY-MM-DD)",
        ),
        ({"effective_date": "2026-2-3"}, "effective_date '2026-2-3' is not a date (YYYY-MM-DD)"),
        ({"members": 2.0}, "members 2.0 is not an integer"),
        ({"members": "2"}, "members '2' is not an integer"),
        ({"archived": 1}, "archived 1 is not true or false"),
        ({"state": "Florida"}, "state 'Florida' is not a two-letter state"),
        ({"dmis": [{"due_date": "2026-04-01"}]}, "dmis[0].type is missing"),
        ({"follow_ups": [{"type": "call", "done": "no"}]}, "follow_ups[0].done 'no' is not true"),
        ({"aor_at_risk": {"since": "soon"}}, "aor_at_risk.since 'soon' is not a date"),
        ({"invalid_action": True}, "invalid_action true is not an object"),
        ({"submitted_at": "2026-03-01 at noon"}, "submitted_at '2026-03-01 at noon' is not an ISO"),
    ],
)
def test_a_bad_client_is_refused_with_the_path_of_the_field(changes, reason):
    assert parse_line(records.ClientRecord, client_line(**changes)).startswith(reason)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"ssn": "123456789"}, "ssn is not in the form 123-45-6789"),
        ({"date_of_birth": "04/02/1960"}, "date_of_birth is not a date (YYYY-MM-DD)"),
        ({"household_income": "42000"}, "household_income is not a number"),
    ],
)
def test_a_rejected_pii_value_is_not_echoed(changes, reason):
    assert parse_line(records.ClientRecord, client_line(**changes)) == reason


def test_several_faults_of_one_record_are_all_named():
    line = b'{"id": "a", "npn": "x", "agency_id": 7}'
    assert parse_line(records.AgentRecord, line) == (
        "name is missing; npn 'x' is not 1-10 digits; agency_id 7 is not a string"
    )


def test_unknown_keys_are_ignored_and_npn_leading_zeros_dropped():
    line = b'{"id": "a", "name": "A", "npn": "000123", "agency_id": "g", "nickname": 5}'
    assert parse_line(records.AgentRecord, line).row()["npn"] == "123"


def test_timestamps_become_aware_utc_and_no_offset_means_utc():
    naive = parse_line(records.ClientRecord, client_line(submitted_at="2026-03-01T10:00:00"))
    offset = parse_line(records.ClientRecord, client_line(submitted_at="2026-03-01T10:00:00-05:00"))
    assert naive.row()["submitted_at"] == datetime(2026, 3, 1, 10, tzinfo=UTC)
    assert offset.row()["submitted_at"] == datetime(2026, 3, 1, 15, tzinfo=UTC)
    assert offset.row()["submitted_at"].tzinfo is UTC


# --- what reaches the database --------------------------------------------------------------


def test_a_book_loads_with_every_record_counted(database, load_book):
    report = load_book(BOOK)
    assert reasons(report) == []
    assert counts(report) == {
        "agencies.jsonl": (4, 0, 0, 0),
        "agents.jsonl": (2, 0, 0, 0),
        "users.jsonl": (2, 0, 0, 0),
        "clients.jsonl": (2, 0, 0, 0),
        "leads.jsonl": (1, 0, 0, 0),
        "payouts.jsonl": (2, 0, 0, 0),
    }
    assert ("top", "south", 2) in closure()


def test_reloading_the_same_book_changes_nothing(database, load_book):
    load_book(BOOK)
    before = {model.__name__: table_rows(model) for model in [*TABLES, Payout]}
    report = load_book(BOOK)
    assert reasons(report) == []
    assert {f.file: (f.inserted, f.updated) for f in report.files} == {
        f.file: (0, 0) for f in report.files
    }
    assert sum(f.unchanged for f in report.files) == 13
    # Same rows, same child-row ids (nothing deleted and re-inserted), same created_at.
    assert {model.__name__: table_rows(model) for model in [*TABLES, Payout]} == before


def test_a_client_is_stored_flattened_with_only_the_last_four_ssn_digits(database, load_book):
    load_book(BOOK)
    stored = row_of(Client, "k1")
    assert stored["ssn_last4"] == "6789"
    assert not any("123-45" in str(v) or "12345" in str(v) for v in stored.values())
    assert stored["phone_digits"] == "13055550100"
    assert (stored["aor_at_risk"], stored["aor_reason"]) == (True, "other agent")
    assert stored["aor_current_agent_npn"] == "77"
    assert stored["invalid_action"] and stored["ia_three_way_call_completed"]
    assert stored["ia_error_at"] == datetime(2026, 1, 19, 13, tzinfo=UTC)
    assert (stored["premium"], stored["aptc"]) == (Decimal("400.25"), Decimal("350.00"))
    assert row_of(Client, "k2")["submitted_at"] is None
    assert row_of(Client, "k2")["aor_at_risk"] is False
    kinds = sorted((r["kind"], r["type"]) for r in table_rows(ClientVerification))
    assert kinds == [("dmi", "income"), ("svi", "move")]
    assert [r["note"] for r in table_rows(ClientFollowUp)] == ["ask"]
    assert row_of(Payout, "p1")["amount"] == Decimal("10.50")
    assert row_of(Lead, "l1")["created_at"] == datetime(2026, 3, 1, 9, tzinfo=UTC)


def test_changed_child_lists_replace_the_stored_ones(database, load_book):
    load_book(BOOK)
    changed = dict(BOOK["clients"][0], follow_ups=[{"type": "call", "note": "ask", "done": True}])
    report = load_book({"clients": [changed, BOOK["clients"][1]]})
    assert counts(report) == {"clients.jsonl": (0, 1, 1, 0)}
    assert [(r["client_id"], r["done"]) for r in table_rows(ClientFollowUp)] == [("k1", True)]
    assert len(table_rows(ClientVerification)) == 2
    cleared = dict(changed, dmis=[], svis=None)
    load_book({"clients": [cleared]})
    assert table_rows(ClientVerification) == []


def test_free_text_is_stored_as_given(database, load_book):
    load_book({"agencies": [agency("top", name=FREE_TEXT)]})
    follow_up = {"type": "call", "note": FREE_TEXT}
    report = load_book(
        {
            "agents": [agent("a1", "top", "1", name=FREE_TEXT, email="=1+1@x.test")],
            "clients": [client("k1", first_name=FREE_TEXT, follow_ups=[follow_up])],
        }
    )
    assert reasons(report) == []
    assert row_of(Agency, "top")["name"] == FREE_TEXT
    assert (row_of(Agent, "a1")["name"], row_of(Agent, "a1")["email"]) == (FREE_TEXT, "=1+1@x.test")
    assert row_of(Client, "k1")["first_name"] == FREE_TEXT
    assert table_rows(ClientFollowUp)[0]["note"] == FREE_TEXT


def test_an_agent_moved_to_another_agency_is_moved(database, load_book):
    load_book(BOOK)
    report = load_book({"agents": [agent("a1", "west", "100"), agent("a2", "west", "200")]})
    assert counts(report) == {"agents.jsonl": (0, 1, 1, 0)}
    assert row_of(Agent, "a1")["agency_id"] == "west"


def test_reparenting_an_agency_rebuilds_the_closure(database, load_book):
    load_book({"agencies": TREE})
    report = load_book({"agencies": [agency("south", "west")]})
    assert counts(report) == {"agencies.jsonl": (0, 1, 0, 0)}
    assert {(a, d) for a, d, _ in closure() if d == "south"} == {
        ("south", "south"),
        ("west", "south"),
        ("top", "south"),
    }
    assert ("west", "south", 1) in closure() and ("top", "south", 2) in closure()


def test_a_parent_later_in_the_same_file_is_accepted(database, load_book):
    report = load_book({"agencies": [agency("leaf", "mid"), agency("mid", "root"), agency("root")]})
    assert counts(report) == {"agencies.jsonl": (3, 0, 0, 0)}
    assert ("root", "leaf", 2) in closure()


def test_a_reparenting_that_closes_a_cycle_is_rejected_and_the_rest_loads(database, load_book):
    load_book({"agencies": TREE})
    report = load_book({"agencies": [agency("top", "south"), agency("north", "top")]})
    assert reasons(report) == [
        "agencies.jsonl:1: parent_id 'south' makes a cycle: top -> south -> east -> top"
    ]
    assert row_of(Agency, "top")["parent_id"] is None
    assert ("top", "north", 1) in closure()


def test_new_agencies_in_a_cycle_are_rejected_with_those_below_them(database, load_book):
    report = load_book(
        {"agencies": [agency("x", "y"), agency("y", "x"), agency("z", "x"), agency("ok")]}
    )
    assert reasons(report) == [
        "agencies.jsonl:1: parent_id 'y' makes a cycle: x -> y -> x",
        "agencies.jsonl:2: parent_id 'x' makes a cycle: y -> x -> y",
        "agencies.jsonl:3: parent_id 'x' was rejected (line 1)",
    ]
    assert [row["id"] for row in table_rows(Agency)] == ["ok"]


def test_an_unknown_parent_or_a_repeated_agency_is_rejected(database, load_book):
    report = load_book({"agencies": [agency("a"), agency("b", "ghost"), agency("a", name="again")]})
    assert reasons(report) == [
        "agencies.jsonl:2: parent_id 'ghost' is not a known agency",
        "agencies.jsonl:3: id 'a' repeats line 1",
    ]
    assert row_of(Agency, "a")["name"] == "Agency a"


def test_an_npn_held_by_another_agent_is_rejected(database, load_book):
    load_book({"agencies": TREE, "agents": [agent("a1", "east", "100")]})
    report = load_book(
        {
            "agents": [
                agent("a3", "east", "0100"),
                agent("a4", "east", "700"),
                agent("a5", "east", "700"),
                agent("a1", "east", "101"),  # gives 100 up ...
                agent("a6", "east", "100"),  # ... so a later record may take it
            ]
        }
    )
    assert reasons(report) == [
        "agents.jsonl:1: npn '100' already belongs to agent 'a1'",
        "agents.jsonl:3: npn '700' already belongs to agent 'a4'",
    ]
    npns = {row["id"]: row["npn"] for row in table_rows(Agent)}
    assert npns == {"a1": "101", "a4": "700", "a6": "100"}


def test_an_id_another_type_uses_is_rejected(database, load_book):
    load_book(BOOK)
    report = load_book(
        {
            "agencies": [agency("a1")],
            "agents": [agent("east", "east", "900")],
            "clients": [client("l1")],
            "leads": [dict(BOOK["leads"][0], id="p1")],
            "payouts": [dict(BOOK["payouts"][1], id="k2")],
        }
    )
    assert reasons(report) == [
        "agencies.jsonl:1: id 'a1' is already used by an agent",
        "agents.jsonl:1: id 'east' is already used by an agency",
        "clients.jsonl:1: id 'l1' is already used by a lead",
        "leads.jsonl:1: id 'p1' is already used by a payout",
        "payouts.jsonl:1: id 'k2' is already used by a client",
    ]


def test_a_reference_to_nothing_is_rejected(database, load_book):
    load_book({"agencies": TREE})
    report = load_book(
        {
            "agents": [agent("a1", "nowhere", "1"), agent("a2", "east", "2")],
            "users": [
                {"email": "u@x.test", "role": "agent", "agent_id": "a1"},
                {"email": "v@x.test", "role": "agency_admin", "agency_id": "ghost"},
            ],
            "clients": [client("k1", "a1")],
            "leads": [dict(BOOK["leads"][0], agent_id="a9")],
            "payouts": [
                {"id": "p", "kind": "eap", "agent_id": "a2", "client_id": "k1", "amount": 1}
            ],
        }
    )
    assert reasons(report) == [
        "agents.jsonl:1: agency_id 'nowhere' is not a known agency",
        "users.jsonl:1: agent_id 'a1' is not a known agent",
        "users.jsonl:2: agency_id 'ghost' is not a known agency",
        "clients.jsonl:1: agent_id 'a1' is not a known agent",
        "leads.jsonl:1: agent_id 'a9' is not a known agent",
        "payouts.jsonl:1: client_id 'k1' is not a known client",
    ]
    assert [row["id"] for row in table_rows(Agent)] == ["a2"]


def test_users_are_keyed_by_lower_cased_email(database, load_book):
    load_book(BOOK)
    report = load_book({"users": [{"email": "ADMIN@top.TEST", "role": "agent", "agent_id": "a2"}]})
    assert counts(report) == {"users.jsonl": (0, 1, 0, 0)}
    admin = row_of(User, "admin@top.test")
    assert (admin["role"], admin["agent_id"], admin["agency_id"]) == (Role.AGENT, "a2", None)
    assert len(table_rows(User)) == 2


def test_columns_a_record_leaves_out_keep_their_stored_value(database, load_book):
    load_book({"agencies": [agency("top", exports_allowed_for_agents=False)]})
    created = row_of(Agency, "top")["created_at"]
    report = load_book({"agencies": [agency("top"), agency("new", "top")]})
    assert counts(report) == {"agencies.jsonl": (1, 0, 1, 0)}
    top, new = row_of(Agency, "top"), row_of(Agency, "new")
    assert (top["exports_allowed_for_agents"], top["created_at"]) == (False, created)
    assert new["exports_allowed_for_agents"] is True
    assert new["created_at"].tzinfo is not None


def test_batches_apply_in_line_order(database, load_book, monkeypatch):
    # Batches of two, so checks and repeats cross batch boundaries.
    for module in (loader, tree, batches):
        monkeypatch.setattr(module, "BATCH", 2)
    deep = [agency(f"g{n}", f"g{n - 1}" if n else None) for n in range(5)]
    report = load_book(
        {
            "agencies": list(reversed(deep)),
            "agents": [
                agent("a1", "g4", "1"),
                agent("a2", "g4", "2"),
                agent("a3", "g4", "1"),
                agent("a1", "g0", "11"),
                agent("a4", "g4", "1"),
            ],
        }
    )
    assert reasons(report) == ["agents.jsonl:3: npn '1' already belongs to agent 'a1'"]
    assert counts(report) == {"agencies.jsonl": (5, 0, 0, 0), "agents.jsonl": (3, 1, 0, 1)}
    assert ("g0", "g4", 4) in closure()
    assert {r["id"]: (r["npn"], r["agency_id"]) for r in table_rows(Agent)} == {
        "a1": ("11", "g0"),
        "a2": ("2", "g4"),
        "a4": ("1", "g4"),
    }
