"""Clients (with their follow-ups, DMIs, SVIs and EAP payouts), leads and program payouts, drawn
chunk by chunk so memory stays flat whatever the size of the book.

A third of the clients are applications a carrier's policy answers (pairs.py): their person,
carrier, plan and dates are the pair's, and a Medicare one is an off-exchange application (no
metal level, no subsidy, one member). The others are ACA enrollments drawn here, whose carriers
(names.NATIONAL_CARRIERS, names.STATE_CARRIERS) a carrier plugin may or may not answer to.

Rates, of all clients (measured at 50,000): 61% on the exchange, 31% Medicare applications; 9%
archived; 2% EDE permission lost; 4% AOR at risk, a third of them internal transfers (the current
agent is another agent of the same agency); 2% Invalid Action errors, a third of them resolved by
a 3-way call; 6% with a DMI, due 95 days after submission, and 3% with an SVI, due after 30, so
their due dates fall before and after today as submissions do; 22% with follow-ups due from six
weeks ago to a month ahead; 70% with an intake link; 2% with an EAP payout, 30% of them awaiting
consent.
"""

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from downline.core.demo import carriers as C
from downline.core.demo import names as N
from downline.core.demo.pairs import Pairs
from downline.core.demo.rows import DAY, SHOWCASE, Book, carrier_key, cum, last_name_key, pick

METAL_CUM = cum(N.METALS)
STATUS_CUM = cum(N.APPLICATION_STATUSES)
DUE_CUM = cum(N.VERIFICATION_STATUSES_DUE)
PAST_CUM = cum(N.VERIFICATION_STATUSES_PAST)
SOURCE_CUM = cum(N.LEAD_SOURCES)
LEAD_STATUS_CUM = cum(N.LEAD_STATUSES)
MEMBERS = [(1, 40), (2, 25), (3, 15), (4, 12), (5, 5), (6, 3)]
MEMBERS_CUM = cum(MEMBERS)
CARRIERS = {state: N.NATIONAL_CARRIERS + N.STATE_CARRIERS[state] for state, *_ in N.STATES}
LIVE = ("submitted", "effectuated")
ENDED = ("cancelled", "terminated")
# Days between submission and today, per status (uniform low-high, or triangular with a mode).
SUBMITTED_DAYS = {
    "submitted": (0.1, 45, None),
    "effectuated": (15, 500, 60),
    "cancelled": (5, 400, 60),
    "terminated": (60, 540, None),
}


@dataclass
class ClientChunk:
    clients: list[dict] = field(default_factory=list)
    follow_ups: list[dict] = field(default_factory=list)
    verifications: list[dict] = field(default_factory=list)  # DMIs and SVIs
    payouts: list[dict] = field(default_factory=list)  # EAP


def money(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def first_of_next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def _between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    return start + timedelta(seconds=int((end - start).total_seconds() * rng.random()))


def client_chunk(book: Book, start: int, stop: int, pairs: Pairs | None = None) -> ClientChunk:
    """Clients `start` to `stop - 1` (0-based) and their child rows; `pairs`, the applications
    the carriers answer (none without carrier plugins)."""
    chunk = ClientChunk()
    for i, rng, agent in book.draws("clients", start, stop):
        show = SHOWCASE[i] if i < len(SHOWCASE) else None
        pair = pairs.of_client(i) if pairs is not None and not show else None
        owner = 0 if show else pair.agent if pair else agent
        _client(book, rng, i, owner, show, pair, pairs, chunk)
    return chunk


def _client(book: Book, rng: random.Random, i: int, agent: int, show, pair, pairs, out) -> None:
    today, cid = book.today, f"cli_{i + 1:07d}"
    person = book.person(rng, i, pair.place if pair else None)
    state = person["state"]
    age = (today - pair.birth).days // 365 if pair else rng.randint(18, 64)
    if show:  # a showcase client is a live on-exchange enrollment submitted in the last weeks
        exchange, status = "on_ex", "effectuated"
        submitted = book.ago(rng.uniform(3, 40))
    elif pair:  # an enrollment its carrier's policy answers (or ought to): pairs.py
        exchange = "on_ex" if pair.product == "ACA" else "off_ex"
        status = pair.application_status
        day = datetime.combine(pair.submitted, time(), tzinfo=UTC)
        submitted = day + timedelta(seconds=rng.randrange(8 * 3600, 20 * 3600))
    else:
        exchange = "on_ex" if rng.random() < 0.88 else "off_ex"
        status = pick(rng, N.APPLICATION_STATUSES, STATUS_CUM)[0]
        submitted = None
        if status != "unsubmitted":
            low, high, mode = SUBMITTED_DAYS[status]
            days = rng.uniform(low, high) if mode is None else rng.triangular(low, high, mode)
            submitted = book.ago(days)
    if submitted is None:
        created = book.ago(rng.uniform(0, 60))
        effective = None
        plan_year = today.year + (today.month >= 11)  # quotes in open enrollment: next year
    else:
        created = submitted - timedelta(seconds=rng.randrange(14 * DAY))
        effective = pair.effective if pair else first_of_next_month(submitted.date())
        plan_year = effective.year

    if pair:
        carrier = pair.written
    elif show == "no_feed":  # a carrier no installed plugin answers to
        carrier = (pairs and pairs.unfed_carrier(rng, state)) or rng.choice(CARRIERS[state])
    else:
        carrier = rng.choice(CARRIERS[state])
    if pair and exchange == "off_ex":  # a Medicare enrollment: one member, no subsidy
        metal, members, aptc = None, 1, 0
        plan_name, hios = pair.plan_name, None
        premium = 100 * rng.choice(C.MEDICARE_PREMIUMS.get(pair.product, C.MEDICARE_PREMIUMS[None]))
    else:
        metal, _weight, base = pick(rng, N.METALS, METAL_CUM)
        if pair:
            plan_name, hios = pair.plan_name, pair.plan_id
        else:
            plan_name, hios = book.plan(rng, carrier, state, metal, exchange)
        members = pick(rng, MEMBERS, MEMBERS_CUM)[0]
        # The ACA age curve, roughly: 0.78 at 21, 1 at 40 (the METALS price), 2.3 at 64.
        curve = 0.78 + 0.0116 * (age - 21) if age < 40 else 1 + 0.056 * (age - 40)
        premium = int(base * 100 * curve * rng.uniform(0.85, 1.15)) + (members - 1) * base * 45
        aptc = 0
        if exchange == "on_ex" and rng.random() < 0.86:
            aptc = premium if rng.random() < 0.25 else int(premium * rng.uniform(0.4, 0.97))

    synced = lost = None
    if exchange == "on_ex" and submitted is not None:
        if show == "ede_lost" or (not show and rng.random() < 0.037):
            lost = _between(rng, submitted, book.midnight)
            synced = _between(rng, submitted, lost)
        else:
            synced = max(submitted, book.ago(rng.uniform(0, 2)))

    aor_reason = aor_since = aor_npn = None
    if show in ("aor", "aor_internal") or (not show and status in LIVE and rng.random() < 0.052):
        internal = show == "aor_internal" or (not show and rng.random() < 0.33)
        aor_npn = book.transfer_npn(rng, agent) if internal else None
        aor_reason = N.AOR_REASONS[0] if aor_npn else rng.choice(N.AOR_REASONS)
        aor_npn = aor_npn or str(rng.randrange(30_000_000, 100_000_000))  # another agency's
        aor_since = max(submitted.date(), today - timedelta(days=rng.randint(1, 75)))

    error_at = resume_link = resumed = None
    three_way = False
    if show in ("invalid_action", "three_way_call") or (
        not show and exchange == "on_ex" and rng.random() < 0.034
    ):
        error_at = _between(rng, created, submitted or book.midnight)
        resume_link = f"https://{N.DEMO_DOMAIN}/resume/{rng.getrandbits(64):016x}"
        three_way = show == "three_way_call" or (not show and rng.random() < 0.33)
        resumed = not three_way and not show and rng.random() < 0.45

    intake = None
    if show == "intake" or (not show and rng.random() < 0.7):
        intake = f"https://{N.DEMO_DOMAIN}/intake/{i:x}{rng.getrandbits(40):010x}"

    out.clients.append(
        {
            "id": cid,
            "agent_id": book.agents[agent]["id"],
            **person,
            "ssn_last4": f"{rng.randrange(10000):04d}" if rng.random() < 0.97 else None,
            "date_of_birth": (
                pair.birth if pair else today - timedelta(days=age * 365 + rng.randrange(365))
            ),
            "household_income": Decimal(rng.randrange(150, 1300) * 100),
            "exchange": exchange,
            "application_id": _application_id(book, i, exchange),
            "plan_year": plan_year,
            "carrier": carrier,
            "carrier_name_key": carrier_key(carrier),
            "last_name_key": last_name_key(person["last_name"]),
            "plan_name": plan_name,
            "plan_hios_id": hios,
            "metal_level": metal,
            "premium": money(premium),
            "aptc": money(aptc),
            "members": members,
            "application_status": status,
            "submitted_at": submitted,
            "effective_date": effective,
            "archived": not show
            and not (pair and pair.showcase)
            and rng.random() < (0.35 if status in ENDED else 0.02),
            "ede_permission_lost_at": lost,
            "last_synced_at": synced,
            "aor_reason": aor_reason,
            "aor_since": aor_since,
            "aor_current_agent_npn": aor_npn,
            "aor_at_risk": aor_npn is not None,
            "ia_error_at": error_at,
            "ia_resume_link": resume_link,
            "ia_resumed": resumed,
            "ia_three_way_call_completed": three_way,
            "invalid_action": error_at is not None,
            "intake_link": intake,
            "created_at": created,
        }
    )

    live = exchange == "on_ex" and status in LIVE
    if show == "dmi" or (not show and live and rng.random() < 0.12):
        for kind in rng.sample(N.DMI_TYPES, 1 if show or rng.random() < 0.8 else 2):
            due = submitted.date() + timedelta(days=95)
            out.verifications.append(_verification(rng, today, cid, "dmi", kind, due, show))
    if show == "svi" or (not show and live and rng.random() < 0.065):
        due = submitted.date() + timedelta(days=30)
        kind = rng.choice(N.SVI_TYPES)
        out.verifications.append(_verification(rng, today, cid, "svi", kind, due, show))
    if show == "follow_up" or (not show and rng.random() < 0.22):
        for _ in range(1 if show else rng.choice((1, 1, 1, 2, 2, 3))):
            kind, note = rng.choice(N.FOLLOW_UPS)
            due = today + timedelta(days=3 if show else rng.randint(-45, 30))
            out.follow_ups.append(
                {
                    "client_id": cid,
                    "type": kind,
                    "due_date": due,
                    "note": note if rng.random() < 0.85 else None,
                    "done": not show and due < today and rng.random() < 0.6,
                }
            )
    if show == "eap_awaiting_consent" or (
        not show and live and status == "effectuated" and rng.random() < 0.055
    ):
        out.payouts.append(
            {
                "id": f"eap_{i + 1:07d}",
                "kind": "eap",
                "agent_id": book.agents[agent]["id"],
                "client_id": cid,
                "amount": Decimal(rng.choice(N.EAP_AMOUNTS)),
                "consent_uploaded": not show and rng.random() < 0.7,
                "submitted_at": _between(rng, submitted, book.midnight),
                "program": None,
                "paid_at": None,
            }
        )


def _application_id(book: Book, i: int, exchange: str) -> str:
    """Unique in the book yet random-looking: `i` times a prime modulo the id space is a
    permutation of it (the prime shares no factor with 9e9 or 1e8), shifted by the seed."""
    if exchange == "on_ex":  # a Marketplace application id: ten digits
        return str(1_000_000_000 + (i * 4_294_967_291 + book.seed) % 9_000_000_000)
    return f"OFX-{(i * 7_919 + book.seed) % 100_000_000:08d}"  # a carrier's own application


def _verification(rng, today: date, cid: str, kind: str, type_: str, due: date, show) -> dict:
    if show:
        status = "open"
    elif due >= today:
        status = pick(rng, N.VERIFICATION_STATUSES_DUE, DUE_CUM)[0]
    else:
        status = pick(rng, N.VERIFICATION_STATUSES_PAST, PAST_CUM)[0]
    return {"client_id": cid, "kind": kind, "type": type_, "due_date": due, "status": status}


def lead_chunk(book: Book, start: int, stop: int) -> list[dict]:
    """Leads `start` to `stop - 1` (0-based)."""
    rows = []
    for i, rng, agent in book.draws("leads", start, stop):
        person = book.person(rng, i)
        status = pick(rng, N.LEAD_STATUSES, LEAD_STATUS_CUM)[0]
        days = rng.uniform(0, 14) if status == "new" else rng.triangular(0, 365, 10)
        rows.append(
            {
                "id": f"lead_{i + 1:07d}",
                "agent_id": book.agents[agent]["id"],
                "first_name": person["first_name"],
                "last_name": person["last_name"],
                "email": person["email"],
                "phone": person["phone"],
                "phone_digits": person["phone_digits"],
                "state": person["state"],
                "zip": person["zip"],
                "source": pick(rng, N.LEAD_SOURCES, SOURCE_CUM)[0],
                "status": status,
                "created_at": book.ago(days),
                "notes": rng.choice(N.LEAD_NOTES) if rng.random() < 0.4 else None,
            }
        )
    return rows


def program_payouts(book: Book, clients: int) -> list[dict]:
    """Monthly program bonuses over the last six months: most agents directly under the top
    agency earn them (its program report), some agents of sub-agencies too (theirs)."""
    rng = book.rng("programs")
    rows: list[dict] = []
    for j, agent in enumerate(book.agents):
        rate = 0.75 if book.agent_agency[j] == 0 else 0.2
        for back in range(1, 7):
            if not ((j == 0 and back == 1) or rng.random() < rate):
                continue
            year, month = book.today.year, book.today.month - back
            if month <= 0:
                year, month = year - 1, month + 12
            paid = date(year, month, 1) + timedelta(days=rng.randint(4, 20))
            # The first agent's latest bonus is for its first (showcase) client.
            client = "cli_0000001" if j == 0 and back == 1 and clients else None
            rows.append(
                {
                    "id": f"prg_{len(rows) + 1:07d}",
                    "kind": "program",
                    "agent_id": agent["id"],
                    "client_id": client,
                    "amount": money(rng.randrange(5_000, 250_000)),
                    "consent_uploaded": None,
                    "submitted_at": None,
                    "program": rng.choice(N.PROGRAMS),
                    "paid_at": datetime.combine(paid, time(16), tzinfo=UTC),
                }
            )
    return rows
