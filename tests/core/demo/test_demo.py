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
from downline.core.demo import BookNotEmpty, carriers, generate
from downline.core.demo import book as demo_book
from downline.core.demo.policies import Production, report_id
from downline.core.demo.rows import Book
from downline.core.models import (
    Agency,
    AgencyClosure,
    Agent,
    Client,
    ClientFollowUp,
    ClientVerification,
    Lead,
    Payout,
    Policy,
    User,
)
from downline.core.plugins import installed_parsers
from downline.core.production.naming import carrier_names, carriers_named
from downline.core.production.vocabulary import PolicyStatus, ReconciliationStatus
from downline.server.cli import app

TODAY = date(2026, 3, 10)
SMALL = {"agencies": 5, "agents": 9, "clients": 120, "leads": 45, "policies": 1500}
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
    assert again.counts["policies"] == first.counts["policies"] == 1500  # chunks of 1000: 2
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
        Policy: 1500,
        ClientFollowUp: summary.counts["follow_ups"],
        Payout: summary.counts["eap_payouts"] + summary.counts["program_payouts"],
    }
    assert {model: count(model) for model in expected} == expected
    assert summary.counts["agencies"] == 5 and summary.counts["users"] == 11
    assert summary.counts["policies"] == 1500
    assert count(ClientVerification, ClientVerification.kind == "dmi") == summary.counts["dmis"]
    assert count(ClientVerification, ClientVerification.kind == "svi") == summary.counts["svis"]


def test_single_agency_single_agent(database):
    summary = generate(
        db.get_engine(), agencies=1, agents=1, clients=15, leads=2, policies=30, seed=1
    )
    assert summary.subadmin_email is None
    assert count(User) == 2 and count(AgencyClosure) == 1
    assert count(Policy) == 30


def test_hierarchy_is_a_tree_with_closure_rows_for_every_agent(database):
    generate(
        db.get_engine(), agencies=40, agents=90, clients=0, leads=0, policies=0, seed=5, today=TODAY
    )
    assert count(Policy) == 0
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
    result = runner.invoke(app, ["demo", "--policies", "-1"])
    assert result.exit_code == 2 and count(Agency) == 0  # --policies must be at least 0

    demo = ["demo", "--clients", "30", "--leads", "5", "--agents", "6", "--policies", "40"]
    result = runner.invoke(app, demo)
    assert result.exit_code == 0, result.output
    assert re.search(r"policies\s+40\n", result.output) and count(Policy) == 40
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
    emails = [tokens.verify(get_settings(), token).email for token in headers]
    assert emails == ["admin@demo.downline", "subadmin@demo.downline", "agent@demo.downline"]

    assert count(Client) == 3000 and count(Lead) == 1500 and count(Agent) == 60
    assert count(Policy) == 5000 and re.search(r"policies\s+5,000\n", result.output)
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


def test_policies_do_not_depend_on_chunks_and_a_smaller_book_is_a_prefix():
    book = Book(4, TODAY, 5, 9)
    whole = Production(book).chunk(0, 2500)
    assert Production(book).chunk(0, 1000) + Production(book).chunk(1000, 2500) == whole
    assert Production(Book(4, TODAY, 5, 9)).chunk(0, 1200) == whole[:1200]
    assert Production(Book(5, TODAY, 5, 9)).chunk(0, 1200) != whole[:1200]


def first_of_month(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def test_policies_are_realistic_and_consistent_with_their_status(database):
    summary = generate(db.get_engine(), **SMALL | {"policies": 3000}, seed=4, today=TODAY)
    midnight = datetime.combine(TODAY, time(), tzinfo=UTC)
    with db.get_engine().connect() as conn:
        rows = conn.execute(sa.select(Policy)).all()
        agents = {a.npn: a for a in conn.execute(sa.select(Agent))}
    assert len(rows) == summary.counts["policies"] == 3000
    assert len({(p.carrier, p.carrier_policy_id) for p in rows}) == 3000
    assert len({p.id for p in rows}) == 3000

    share = {s: sum(p.status == s for p in rows) / 3000 for s in {p.status for p in rows}}
    assert set(share) == set(PolicyStatus)
    assert 0.50 < share["ACTIVE"] < 0.60 and 0.14 < share["POLICY_DISENROLLMENT"] < 0.22
    assert 0.07 < share["APPROVED"] < 0.13 and 0.09 < share["ATTRITED"] < 0.15
    assert max(share, key=share.get) == "ACTIVE"

    reasons = {
        "ATTRITED": {"DENIED", "WITHDRAWN", "CANCELED", "OTHER"},
        "POLICY_DISENROLLMENT": {"PLAN_CHANGE", "PLAN_EXIT", "OTHER"},
    }
    earliest, latest = first_of_month(TODAY, -23), first_of_month(TODAY, 2)
    for p in rows:
        assert (
            (p.term_reason in reasons[p.status]) if p.status in reasons else p.term_reason is None
        )
        assert p.effective_date is not None or p.status == "UNKNOWN"
        if p.effective_date is not None:
            assert p.effective_date.day == 1 and earliest <= p.effective_date <= latest
            assert p.submitted_date < p.effective_date
        assert p.submitted_date is None or p.submitted_date <= TODAY
        if p.status == "APPROVED":
            assert p.effective_date > TODAY and p.term_date is None
        elif p.status == "ACTIVE":
            assert p.effective_date <= TODAY and p.term_date is None
        elif p.status == "ATTRITED":
            assert p.term_date <= p.effective_date and p.term_date <= TODAY
        elif p.status in ("POLICY_DISENROLLMENT", "DECEASED"):
            assert p.effective_date < p.term_date < TODAY
        else:
            assert p.term_date is None
        assert midnight - timedelta(days=60) <= p.updated_at <= midnight
        assert p.first_seen_at <= p.updated_at
        # the carrier's report that listed it last (a demo report), uploaded the day after
        assert p.report_id == report_id(p.carrier, p.last_seen_as_of)
        assert p.last_seen_as_of < TODAY
        assert p.updated_at.date() <= p.last_seen_as_of + timedelta(days=1)
    disenrolled = [p.term_reason for p in rows if p.status == "POLICY_DISENROLLMENT"]
    assert max(set(disenrolled), key=disenrolled.count) == "PLAN_CHANGE"

    # Mostly the agents' NPNs, owned by their agency; about 3% unmatched, owned by the top agency.
    unmatched = [p for p in rows if p.agent_npn not in agents]
    assert 0.015 < len(unmatched) / 3000 < 0.05
    assert {p.owner_agency_id for p in unmatched} == {"agy_00001"}
    matched = [p for p in rows if p.agent_npn in agents]
    assert all(p.owner_agency_id == agents[p.agent_npn].agency_id for p in matched)
    assert all(re.fullmatch(r"[1-9]\d{0,9}", p.agent_npn) for p in rows)

    # Carriers are plugin keys selling the product; Medicare dominates, MAPD most, some ACA.
    parsers = installed_parsers()
    assert {p.carrier for p in rows} <= set(parsers) and len({p.carrier for p in rows}) >= 10
    assert all(p.product_type in parsers[p.carrier].product_types for p in rows)
    products = [p.product_type for p in rows]
    assert max(set(products), key=products.count) == "MAPD"
    assert 0.02 < products.count("ACA") / 3000 < 0.2
    medicare = [p for p in rows if p.product_type in ("MAPD", "MA", "PDP", "DSNP", "CSNP")]
    assert all(re.fullmatch(r"[HS]\d{4}-\d{3}", p.plan_id) for p in medicare)
    assert all(re.fullmatch(r"[1-9][A-Z0-9]{10}", p.member_id) for p in medicare)

    # Places come from the demo's lists (and California, for the Californian carriers).
    places = {state: {c for c, _zip in counties} for state, _w, counties in carriers.STATES}
    assert all(p.county in places[p.state] for p in rows)
    assert all(re.fullmatch(r"\S+( \S+)+", p.client_name) for p in rows)

    # The demo agent (agent@demo.downline) has a few policies of every status.
    demo_npn = next(npn for npn, agent in agents.items() if agent.id == "agt_000001")
    mine = [p.status for p in rows if p.agent_npn == demo_npn]
    assert all(mine.count(status) >= 3 for status in share)


LINES = """query($of: ID) { productionSummary(groupBy: [DOWNLINE], downlineOf: $of) {
  line { agency { id } } submitted } }"""
FRESHNESS = """{ carrierFreshness {
  carrier { key } lastReportAsOf policies notSeenInLastReport stale } }"""


def test_the_default_demo_gives_lines_and_freshness_something_to_say(api):
    """A sub-agency tree at least three deep with production down it, one carrier stale and
    policies the last reports left out, as the demo admin sees them."""
    summary = generate(db.get_engine(), clients=60, leads=10)  # default hierarchy and policies
    admin = summary.admin_email

    def depth(agency_id: str | None) -> int:
        lines = api.gql(LINES, {"of": agency_id}, as_=admin)["productionSummary"]
        subs = [line["line"]["agency"]["id"] for line in lines if line["line"]["agency"]]
        return 1 + max((depth(sub) for sub in subs), default=0)

    assert depth(None) >= 4  # the top's lines, a sub-agency's, its sub-agency's, and one more

    entries = api.gql(FRESHNESS, as_=admin)["carrierFreshness"]
    sold = [e for e in entries if e["policies"]]
    stale = [e for e in sold if e["stale"]]
    assert len(stale) == 1, stale
    assert all(e["lastReportAsOf"] for e in sold)
    missing = sum(e["notSeenInLastReport"] for e in sold)
    assert 0 < missing < summary.counts["policies"] // 10
    assert summary.counts["carrier_reports"] == 4 * len(entries)

    key = next(e for e in sold if e["notSeenInLastReport"])
    listed = api.gql(
        """query($f: ProductionFilter) { production(filter: $f) {
          totalCount edges { node { lastSeenAsOf } } } }""",
        {"f": {"carriers": [key["carrier"]["key"]], "notSeenSince": key["lastReportAsOf"]}},
        as_=admin,
    )["production"]
    assert listed["totalCount"] == key["notSeenInLastReport"]
    assert all(e["node"]["lastSeenAsOf"] < key["lastReportAsOf"] for e in listed["edges"])


RECONCILIATION_SUMMARY = """{ reconciliationSummary(groupBy: [STATUS]) { status count } }"""
RECONCILED = """query($s: [ReconciliationStatus!]) {
  reconciliation(first: 500, filter: {statuses: $s}) { totalCount edges { node {
    status reason
    client { firstName lastName carrier submittedAt agent { name npn } }
    policy { carrier agentNpn clientName status agent { name } } } } } }"""


def test_the_demo_book_shows_every_reconciliation_status(api):
    """Applications the carriers answer (pairs.py): as the top admin, and in the demo agent's
    own book, every status has clients; among them a policy under another agent's NPN, a
    carrier no plugin answers to, an application too recent for its carrier's report, and
    policies no application matches."""
    summary = generate(db.get_engine(), **SMALL, seed=2)
    today = date.today()
    statuses = {s.value for s in ReconciliationStatus}
    for viewer in (summary.admin_email, summary.agent_email):
        buckets = api.gql(RECONCILIATION_SUMMARY, as_=viewer)["reconciliationSummary"]
        counts = {b["status"]: b["count"] for b in buckets}
        assert set(counts) == statuses and all(counts.values()), (viewer, counts)

    def reconciled(status: str) -> list[dict]:
        answer = api.gql(RECONCILED, {"s": [status]}, as_=summary.admin_email)
        return [edge["node"] for edge in answer["reconciliation"]["edges"]]

    # the agent of record moved: the carrier lists the policy under another agent's NPN
    for node in reconciled("AGENT_OF_RECORD_ELSEWHERE"):
        client, policy = node["client"], node["policy"]
        assert policy["agentNpn"] != client["agent"]["npn"]
        assert policy["clientName"].endswith(client["lastName"])
        assert policy["agentNpn"] in node["reason"] and client["agent"]["npn"] in node["reason"]
    matched = reconciled("EFFECTUATED")
    assert all(n["policy"]["status"] == "ACTIVE" for n in matched)
    assert all(n["policy"]["agentNpn"] == n["client"]["agent"]["npn"] for n in matched)

    # a carrier no installed plugin answers to
    names = carrier_names(installed_parsers())
    unfed = reconciled("NO_CARRIER_FEED")
    assert unfed and all(not carriers_named(n["client"]["carrier"], names) for n in unfed)

    # submitted too recently for the carrier's newest report to list it
    newest = {
        e["carrier"]["key"]: date.fromisoformat(e["lastReportAsOf"])
        for e in api.gql(FRESHNESS, as_=summary.admin_email)["carrierFreshness"]
        if e["lastReportAsOf"]
    }
    grace = timedelta(days=get_settings().reconcile_grace_days)
    for node in reconciled("AWAITING_CARRIER"):
        (key,) = carriers_named(node["client"]["carrier"], names)
        submitted = datetime.fromisoformat(node["client"]["submittedAt"]).date()
        assert newest[key] < submitted + grace <= today + grace
    for node in reconciled("NOT_IN_CARRIER_REPORTS"):
        (key,) = carriers_named(node["client"]["carrier"], names)
        submitted = datetime.fromisoformat(node["client"]["submittedAt"]).date()
        assert newest[key] >= submitted + grace and node["policy"] is None

    # policies no application matches (most of the production), and some that one does
    without = (
        """query($w: Boolean) { production(filter: {withoutApplication: $w}) { totalCount } }"""
    )
    alone = api.gql(without, {"w": True}, as_=summary.admin_email)["production"]["totalCount"]
    answered = api.gql(without, {"w": False}, as_=summary.admin_email)["production"]["totalCount"]
    assert alone > 0 and answered > 0 and alone + answered == SMALL["policies"]
