"""Writing the demo book: chunks of plain dicts through Core `insert(table)` executemany (pipelined
INSERTs with psycopg 3 on PostgreSQL), a commit per chunk, so a million clients take minutes, a
million policies about one, and memory stays flat. Nothing goes through ORM objects."""

import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import Engine, insert, select
from sqlmodel import Session, SQLModel

from downline.core.book.hierarchy import rebuild_closure
from downline.core.db import analyze
from downline.core.demo import names as N
from downline.core.demo.clients import client_chunk, lead_chunk, program_payouts
from downline.core.demo.policies import Production
from downline.core.demo.rows import Book
from downline.core.errors import BadUserInput
from downline.core.models import (
    Agency,
    AgencyClosure,
    Agent,
    CarrierReport,
    Client,
    ClientFollowUp,
    ClientVerification,
    Lead,
    Payout,
    Policy,
    User,
)

CHUNK = 5000  # rows a commit; a multiple of rows.BLOCK
DEFAULTS = {
    "agencies": 12, "agents": 60, "clients": 3000, "leads": 1500, "policies": 5000, "seed": 1,
}  # fmt: skip

# Every table a demo book writes into (analyzed once it is written).
WRITTEN = (
    Agency, AgencyClosure, Agent, User, Client, ClientFollowUp, ClientVerification, Lead, Policy,
    CarrierReport, Payout,
)  # fmt: skip

# progress(stage, done, total): stages "hierarchy", "clients", "leads", "policies", "payouts", in
# that order.
Progress = Callable[[str, int, int], None]
Bind = Engine | Callable[[], AbstractContextManager[Session]]


class BookNotEmpty(BadUserInput):
    """The database already holds agencies: demo ids would collide with them."""


@dataclass(frozen=True)
class DemoSummary:
    seed: int
    today: date  # the day every date of the book is relative to
    counts: dict[str, int]  # rows written, by kind, in the order written
    admin_email: str  # admin of the top agency
    subadmin_email: str | None  # admin of the first sub-agency (None with a single agency)
    agent_email: str  # the first agent's user, who holds the showcase clients and policies
    seconds: float


def generate(
    bind: Bind,
    *,
    agencies: int = DEFAULTS["agencies"],
    agents: int = DEFAULTS["agents"],
    clients: int = DEFAULTS["clients"],
    leads: int = DEFAULTS["leads"],
    policies: int = DEFAULTS["policies"],
    seed: int = DEFAULTS["seed"],
    today: date | None = None,
    progress: Progress | None = None,
) -> DemoSummary:
    """Write a demo book into an empty database (`bind`: an Engine, or a zero-argument callable
    giving a Session context, like `db.session`). Raises BookNotEmpty when any agency exists.
    `today` (default: today's UTC date) anchors every date; the seed determines the rest."""
    for name, value, least in (
        ("agencies", agencies, 1),
        ("agents", agents, 1),
        ("clients", clients, 0),
        ("leads", leads, 0),
        ("policies", policies, 0),
    ):
        if value < least:
            raise BadUserInput(f"--{name} must be at least {least}", field=name)
    started = time.perf_counter()
    report = progress or (lambda stage, done, total: None)
    book = Book(seed, today or datetime.now(UTC).date(), agencies, agents)
    kinds = (
        "agencies agents users clients follow_ups dmis svis eap_payouts leads policies "
        "carrier_reports program_payouts"
    )
    counts = dict.fromkeys(kinds.split(), 0)

    with _sessions(bind)() as session:
        if session.execute(select(Agency.id).limit(1)).first() is not None:
            raise BookNotEmpty(
                "the database already holds agencies: a demo book's ids would collide with "
                "them; generate it into an empty database (or pass --if-empty to skip)"
            )
        users = book.users()
        hierarchy = len(book.agencies) + len(book.agents) + len(users)
        report("hierarchy", 0, hierarchy)
        _insert(session, Agency, book.agencies)
        rebuild_closure(session)
        _insert(session, Agent, book.agents)
        _insert(session, User, users)
        session.commit()
        counts.update(agencies=len(book.agencies), agents=len(book.agents), users=len(users))
        report("hierarchy", hierarchy, hierarchy)

        production = _production(book, clients, policies)
        pairs = production.pairs if production else None  # the applications carriers answer
        report("clients", 0, clients)
        for start in range(0, clients, CHUNK):
            chunk = client_chunk(book, start, min(start + CHUNK, clients), pairs)
            _insert(session, Client, chunk.clients)
            _insert(session, ClientFollowUp, chunk.follow_ups)
            _insert(session, ClientVerification, chunk.verifications)
            _insert(session, Payout, chunk.payouts)
            session.commit()
            dmis = sum(row["kind"] == "dmi" for row in chunk.verifications)
            counts["clients"] += len(chunk.clients)
            counts["follow_ups"] += len(chunk.follow_ups)
            counts["dmis"] += dmis
            counts["svis"] += len(chunk.verifications) - dmis
            counts["eap_payouts"] += len(chunk.payouts)
            report("clients", counts["clients"], clients)

        report("leads", 0, leads)
        for start in range(0, leads, CHUNK):
            rows = lead_chunk(book, start, min(start + CHUNK, leads))
            _insert(session, Lead, rows)
            session.commit()
            counts["leads"] += len(rows)
            report("leads", counts["leads"], leads)

        report("policies", 0, policies)
        if policies:
            for start in range(0, policies, CHUNK):
                rows = production.chunk(start, min(start + CHUNK, policies))
                _insert(session, Policy, rows)
                session.commit()
                counts["policies"] += len(rows)
                report("policies", counts["policies"], policies)
            reports = production.reports(N.ADMIN_EMAIL)
            _insert(session, CarrierReport, reports)
            session.commit()
            counts["carrier_reports"] = len(reports)

        programs = program_payouts(book, clients)
        report("payouts", 0, len(programs))
        _insert(session, Payout, programs)
        session.commit()
        counts["program_payouts"] = len(programs)
        report("payouts", len(programs), len(programs))
        # A book written from nothing: without statistics PostgreSQL would plan its first
        # queries blind until autovacuum comes round.
        analyze(session, (model.__tablename__ for model in WRITTEN))
        session.commit()

    return DemoSummary(
        seed=seed,
        today=book.today,
        counts=counts,
        admin_email=N.ADMIN_EMAIL,
        subadmin_email=book.subadmin_email(),
        agent_email=book.agents[0]["email"],
        seconds=time.perf_counter() - started,
    )


def _production(book: Book, clients: int, policies: int) -> Production | None:
    """The book's production, reading the carrier plugins, if it has clients or policies.
    Without a plugin selling a product the demo knows, a book without policies still has its
    clients (none answered by a carrier)."""
    if not (clients or policies):
        return None
    try:
        return Production(book)
    except ValueError:
        if policies:
            raise
        return None


def _sessions(bind: Bind) -> Callable[[], AbstractContextManager[Session]]:
    if isinstance(bind, Engine):
        return lambda: Session(bind, expire_on_commit=False)
    return bind


def _insert(session: Session, model: type[SQLModel], rows: list[dict]) -> None:
    # The Table, not the class: a plain Core executemany, not the ORM's bulk path.
    for start in range(0, len(rows), CHUNK):
        session.execute(insert(model.__table__), rows[start : start + CHUNK])
