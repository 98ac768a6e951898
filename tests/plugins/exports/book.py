"""The book the built-in export types run over: BOOK (tests/conftest.py) extended with what each
type lists, on BOOK's agents and Eli, Eve's colleague in East, and the callers who export it."""

from datetime import UTC, date, datetime, timedelta

TODAY = datetime.now(UTC).date()

ADMIN, EAST, OTHER = "admin@top.test", "admin@east.test", "admin@other.test"
EVE, DAN = "eve@t.test", "dan@t.test"


def day(offset: int) -> str:
    return (TODAY + timedelta(days=offset)).isoformat()


def client(book: dict, cid: str, agent: str, **fields) -> dict:
    """A client shaped like BOOK's, with its own id, name and nothing on any follow-up list."""
    record = dict(book["clients"][0])
    record.update(
        id=cid,
        agent_id=agent,
        first_name="Client",
        last_name=cid.upper(),
        email=f"{cid}@mail.test",
        application_id=f"APP-{cid}",
        intake_link=None,
        submitted_at="2026-02-20T10:00:00Z",
    )
    record.update(fields)
    return record


def aor(since: str | None, npn: str) -> dict:
    return {"reason": "AOR changed at the Marketplace", "since": since, "current_agent_npn": npn}


def invalid(error_at: str, link: str | None, resumed: bool | None) -> dict:
    return {
        "error_at": error_at,
        "resume_link": link,
        "resumed": resumed,
        "three_way_call_completed": False,
    }


def dmi(due: str | None, status: str = "open") -> dict:
    return {"type": "income", "due_date": due, "status": status}


def follow_up(type_: str, due: str | None, note: str | None = None, done: bool = False) -> dict:
    return {"type": type_, "due_date": due, "note": note, "done": done}


def eap(pid: str, agent: str, client_id: str, consent: bool | None, at: str, amount=25) -> dict:
    return {
        "id": pid,
        "kind": "eap",
        "agent_id": agent,
        "client_id": client_id,
        "amount": amount,
        "consent_uploaded": consent,
        "submitted_at": at,
    }


def program(pid: str, agent: str, paid_at: str, client_id: str | None = None, amount=25) -> dict:
    return {
        "id": pid,
        "kind": "program",
        "agent_id": agent,
        "client_id": client_id,
        "amount": amount,
        "program": "Spring bonus",
        "paid_at": paid_at,
    }


def extra_book(book: dict) -> dict:
    """What the catalogue's other types list, on BOOK's agents (and Eli, Eve's colleague in East)."""
    boundary = two_months_before_(TODAY)
    c = lambda cid, agent, **fields: client(book, cid, agent, **fields)  # noqa: E731
    clients = [
        # AOR at risk: r1 moved to Eli (same agency as Eve: an internal transfer).
        c("r1", "a-east", aor_at_risk=aor(day(-10), "210")),
        c("r2", "a-east", aor_at_risk=aor(day(-20), "500")),
        c("r3", "a-deep", aor_at_risk=aor(day(-30), "200")),
        c("r4", "a-east", aor_at_risk=aor(None, "999") | {"reason": None}),
        # EDE permission lost.
        c(
            "e1",
            "a-east",
            ede_permission_lost_at="2026-03-05T10:00:00Z",
            last_synced_at="2026-03-01T00:00:00Z",
        ),
        c("e2", "a-deep", ede_permission_lost_at="2026-03-10T05:00:00-05:00"),
        c("e3", "a-east", ede_permission_lost_at="2026-03-05T10:00:00Z"),
        # Invalid Action errors (BOOK's c6, in West, is another).
        c(
            "i1",
            "a-east",
            invalid_action=invalid("2026-02-01T08:00:00Z", "https://resume.test/i1", None),
        ),
        c("i2", "a-deep", invalid_action=invalid("2026-02-10T08:00:00Z", None, False)),
        # DMIs and SVIs around the two-months-before-today boundary.
        c(
            "v1",
            "a-east",
            dmis=[dmi(day(-70)), dmi(day(-30)), dmi(day(30), "submitted"), dmi(None)],
            svis=[{"type": "loss of coverage", "due_date": day(0), "status": "open"}],
        ),
        c(
            "v2",
            "a-deep",
            dmis=[dmi(str(boundary)), dmi(str(boundary - timedelta(days=1))), dmi(day(-30))],
        ),
        # Follow-ups: done ones and archived clients' are not listed.
        c(
            "f1",
            "a-east",
            follow_ups=[
                follow_up("call", day(5), "=1+1 ask for docs"),
                follow_up("email", day(-1), done=True),
                follow_up("docs", None),
            ],
        ),
        c("f2", "a-deep", follow_ups=[follow_up("call", day(5), "x")]),
        c("f3", "a-deep", archived=True, follow_ups=[follow_up("call", day(1))]),
        # PII absent; an intake link; a timestamp given with an offset.
        c(
            "m1",
            "a-east",
            ssn=None,
            date_of_birth=None,
            household_income=None,
            intake_link="https://intake.test/m1?é=1",
            submitted_at="2026-03-04T05:00:00-05:00",
        ),
        c("t1", "a-other", intake_link="https://intake.test/t1"),
    ]
    payouts = [
        eap("p1", "a-east", "c2", False, "2026-03-02T12:00:00Z"),
        eap("p2", "a-deep", "c4", None, "2026-03-01T12:00:00Z", amount=12.5),
        eap("p3", "a-east", "c3", True, "2026-03-01T10:00:00Z"),
        eap("p4", "a-other", "c7", False, "2026-03-01T10:00:00Z"),
        program("q1", "a-top", "2026-03-01T00:00:00Z", amount=100.5),
        program("q2", "a-top", "2026-03-31T23:59:59Z", client_id="c1"),
        program("q3", "a-top", "2026-04-01T00:00:00Z"),
        program("q4", "a-east", "2026-03-15T00:00:00Z", client_id="c2"),
        program("q5", "a-top", "2026-02-28T23:59:59Z"),
        program("q6", "a-other", "2026-03-15T00:00:00Z"),
    ]
    eli = {
        "id": "a-east2",
        "name": "Eli East",
        "npn": "210",
        "email": "eli@t.test",
        "agency_id": "east",
    }
    return {"agents": [eli], "clients": clients, "payouts": payouts}


def two_months_before_(d: date) -> date:
    """An independent spelling of "two months before", the day clamped to the month's length."""
    months = d.year * 12 + d.month - 1 - 2
    year, month = divmod(months, 12)
    first_of_next = date(year + (month == 11), (month + 1) % 12 + 1, 1)
    return date(year, month + 1, min(d.day, (first_of_next - timedelta(days=1)).day))
