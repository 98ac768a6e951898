"""`downline demo`: a deterministic, realistic demo book (core/demo), on SQLite and PostgreSQL."""

import hashlib
import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel
from typer.testing import CliRunner

from downline.core import db, tokens
from downline.core.config import get_settings
from downline.core.demo import BookNotEmpty, generate
from downline.core.demo import book as demo_book
from downline.core.models import (
    Agency,
    AgencyClosure,
    Agent,
    Client,
    ClientFollowUp,
    ClientVerification,
    Lead,
    Payout,
    User,
)
from downline.server.cli import app

TODAY = date(2026, 3, 10)
SMALL = {"agencies": 5, "agents": 9, "clients": 120, "leads": 45}
runner = CliRunner()


def scalar(query):
    with db.get_engine().connect() as conn:
        return conn.execute(query).scalar()


def count(model, *where) -> int:
    return scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def book_hash() -> str:
    """A digest of every row of every table, sorted; surrogate integer keys left out."""
    digest = hashlib.sha256()
    with db.get_engine().connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            columns = [
                c
                for c in table.columns
                if not (c.primary_key and isinstance(c.type, sa.Integer) and c.autoincrement)
            ]
            rows = sorted(repr(tuple(row)) for row in conn.execute(sa.select(*columns)))
            digest.update(f"{table.name}:{len(rows)}\n".encode())
            digest.update("\n".join(rows).encode())
    return digest.hexdigest()


def wipe() -> None:
    with db.get_engine().begin() as conn:
        for table in reversed(SQLModel.metadata.sorted_tables):
            conn.execute(table.delete())


def test_same_seed_same_rows_and_chunking_does_not_matter(database, monkeypatch):
    first = generate(db.get_engine(), **SMALL, seed=7, today=TODAY)
    digest = book_hash()
    wipe()
    monkeypatch.setattr(demo_book, "CHUNK", 1000)  # other insert chunks, same rows
    again = generate(db.get_engine(), **SMALL | {"clients": 2500}, seed=7, today=TODAY)
    assert again.counts["clients"] == 2500
    with db.get_engine().begin() as conn:  # a smaller book is a prefix of a larger one
        for model in (Payout, ClientFollowUp, ClientVerification, Client):
            key = model.id if model is Client else model.client_id
            conn.execute(sa.delete(model).where(key > "cli_0000120"))
    assert book_hash() == digest
    assert again.counts["program_payouts"] == first.counts["program_payouts"]

    wipe()
    generate(db.get_engine(), **SMALL, seed=8, today=TODAY)
    assert book_hash() != digest


def test_counts_match_the_options(database):
    summary = generate(db.session, **SMALL, seed=3, today=TODAY)  # a session factory works too
    expected = {
        Agency: 5,
        Agent: 9,
        User: 9 + 2,
        Client: 120,
        Lead: 45,
        ClientFollowUp: summary.counts["follow_ups"],
        Payout: summary.counts["eap_payouts"] + summary.counts["program_payouts"],
    }
    assert {model: count(model) for model in expected} == expected
    assert summary.counts["agencies"] == 5 and summary.counts["users"] == 11
    assert count(ClientVerification, ClientVerification.kind == "dmi") == summary.counts["dmis"]
    assert count(ClientVerification, ClientVerification.kind == "svi") == summary.counts["svis"]


def test_single_agency_single_agent(database):
    summary = generate(db.get_engine(), agencies=1, agents=1, clients=15, leads=2, seed=1)
    assert summary.subadmin_email is None
    assert count(User) == 2 and count(AgencyClosure) == 1


def test_hierarchy_is_a_tree_with_closure_rows_for_every_agent(database):
    generate(db.get_engine(), agencies=40, agents=90, clients=0, leads=0, seed=5, today=TODAY)
    with db.get_engine().connect() as conn:
        tops = conn.execute(sa.select(Agency.id, Agency.name).where(Agency.parent_id.is_(None)))
        assert [name for _id, name in tops] == ["Summit Health Partners"]
        depth = conn.execute(sa.select(sa.func.max(AgencyClosure.depth))).scalar()
        assert depth == 3  # four levels
        orphans = conn.execute(
            sa.select(Agent.id).where(
                ~sa.exists().where(
                    AgencyClosure.ancestor_id == "agy_00001",
                    AgencyClosure.descendant_id == Agent.agency_id,
                )
            )
        ).all()
        assert orphans == []
        npns = conn.execute(sa.select(Agent.npn)).scalars().all()
        assert len(set(npns)) == 90 and all(re.fullmatch(r"[1-9]\d{0,9}", n) for n in npns)
        users = {u.email: u for u in conn.execute(sa.select(User))}
    assert users["admin@demo.downline"].agency_id == "agy_00001"
    assert users["admin@demo.downline"].role == "agency_admin"
    assert users["subadmin@demo.downline"].agency_id == "agy_00002"
    assert users["agent@demo.downline"].agent_id == "agt_000001"
    assert sum(u.role == "agent" for u in users.values()) == 90


def test_if_empty_is_a_no_op_and_a_second_demo_fails(database):
    result = runner.invoke(app, ["demo", "--clients", "30", "--leads", "5", "--agents", "6"])
    assert result.exit_code == 0, result.output
    before = book_hash()

    result = runner.invoke(app, ["demo", "--if-empty", "--clients", "30"])
    assert result.exit_code == 0, result.output
    assert "already holds a book" in result.output
    # `make run` on an existing book still prints a token for each demo user it holds.
    assert result.output.count("Authorization: Bearer ") == 3
    assert book_hash() == before

    result = runner.invoke(app, ["demo", "--clients", "30"])
    assert result.exit_code == 1
    assert "already holds agencies" in result.output
    assert book_hash() == before
    with pytest.raises(BookNotEmpty):
        generate(db.get_engine(), **SMALL)


def test_default_demo_gives_every_export_something_to_show(database):
    result = runner.invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    today = date.today()

    # A ready-to-paste token for the admin, the sub-agency admin and the agent.
    headers = re.findall(r"Authorization: Bearer (\S+)", result.output)
    emails = [tokens.email_from(get_settings(), token) for token in headers]
    assert emails == ["admin@demo.downline", "subadmin@demo.downline", "agent@demo.downline"]

    assert count(Client) == 3000 and count(Lead) == 1500 and count(Agent) == 60
    window = today - timedelta(days=62)
    open_follow_ups = count(ClientFollowUp, ~ClientFollowUp.done, ClientFollowUp.due_date >= window)
    assert open_follow_ups > 0
    for kind in ("dmi", "svi"):
        due = (ClientVerification.kind == kind, ClientVerification.due_date >= window)
        assert count(ClientVerification, *due, ClientVerification.due_date < today) > 0
        assert count(ClientVerification, *due, ClientVerification.due_date > today) > 0
    assert 60 < count(Client, Client.aor_at_risk) < 200  # about 4%
    assert count(Client, Client.ede_permission_lost_at.is_not(None)) > 30  # about 3%
    assert count(Client, Client.invalid_action) > 30
    assert count(Client, Client.invalid_action, Client.ia_three_way_call_completed) > 0
    assert count(Client, Client.invalid_action, Client.ia_resume_link.is_(None)) == 0
    assert count(Payout, Payout.kind == "eap", ~Payout.consent_uploaded) > 0
    assert count(Payout, Payout.kind == "eap", Payout.consent_uploaded) > 0
    assert count(Client, Client.intake_link.is_not(None)) > 1000
    assert scalar(sa.select(sa.func.count(sa.distinct(Client.intake_link)))) == count(
        Client, Client.intake_link.is_not(None)
    )
    assert count(Client, Client.aptc > Client.premium) == 0  # net premium never below zero
    assert count(Client, Client.archived) > 0
    assert (
        count(Client, Client.submitted_at.is_(None), Client.application_status != "unsubmitted")
        == 0
    )
    assert count(Client, Client.exchange == "off_ex") > 0

    agent, peer = sa.orm.aliased(Agent), sa.orm.aliased(Agent)
    transfers = (
        sa.select(sa.func.count())
        .select_from(Client)
        .join(agent, agent.id == Client.agent_id)
        .join(peer, peer.npn == Client.aor_current_agent_npn)
        .where(Client.aor_at_risk, peer.agency_id == agent.agency_id, peer.id != agent.id)
    )
    assert scalar(transfers) > 0
    assert scalar(transfers.where(agent.id == "agt_000001")) > 0  # the demo agent has one too

    direct = sa.select(Agent.id).where(Agent.agency_id == "agy_00001")
    since = datetime.combine(today - timedelta(days=190), time(), tzinfo=UTC)
    paid = (Payout.kind == "program", Payout.agent_id.in_(direct), Payout.paid_at >= since)
    assert count(Payout, *paid) > 0
    assert count(Payout, Payout.kind == "program", Payout.agent_id.not_in(direct)) > 0

    # The demo agent's own book shows every feature (the showcase clients).
    mine = Client.agent_id == "agt_000001"
    assert count(Client, mine, Client.ede_permission_lost_at.is_not(None)) > 0
    assert count(Client, mine, Client.ia_three_way_call_completed) > 0
    follow_ups = sa.select(ClientFollowUp.client_id).where(~ClientFollowUp.done)
    assert count(Client, mine, Client.id.in_(follow_ups)) > 0


def test_no_full_ssn_anywhere_and_phone_digits(database):
    generate(db.get_engine(), **SMALL, seed=11)
    assert "ssn" not in Client.__table__.columns
    ssn = re.compile(r"\d{3}-\d{2}-\d{4}")
    with db.get_engine().connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            for row in conn.execute(sa.select(table)):
                for value in row:
                    assert not (isinstance(value, str) and ssn.search(value)), (table.name, row)
        for last4, phone, digits in conn.execute(
            sa.select(Client.ssn_last4, Client.phone, Client.phone_digits)
        ):
            assert last4 is None or re.fullmatch(r"\d{4}", last4)
            assert digits == (re.sub(r"\D", "", phone) if phone else None)
