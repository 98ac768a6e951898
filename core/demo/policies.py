"""Carrier production for the demo book: policies on the demo agents' NPNs, drawn block by block
like the clients (`Book.draws`), so rows do not depend on how inserts are chunked and a smaller
book is a prefix of a larger one with the same seed.

The carriers are the installed carrier plugins (`installed_parsers()`), each selling the product
types its plugin declares in the states `carriers.CARRIERS` gives it; the same seed gives the same
rows for the same plugins. A state draws a product among those its carriers sell (Medicare
dominates, MAPD most; ACA where Molina or Memorial Hermann sell), then a carrier among the sellers.

Rates, of all policies: statuses 55% ACTIVE, 10% APPROVED, 12% ATTRITED, 18% POLICY_DISENROLLMENT
(PLAN_CHANGE most), 2% DECEASED, 3% UNKNOWN (`carriers.STATUSES`, `carriers.REASONS`); 3% on a
handful of NPNs that match no agent, owned by the top agency (its admins see them, agent null);
the others owned by their agent's agency. Effective dates are firsts of the month from 23 months
back to 2 ahead (January, open enrollment, four times a month's share; recent months more), and
the dates follow the status (docs/domain.md): APPROVED effective in the future; ACTIVE
effective past, no term; ATTRITED ended on or before its effective date; a disenrollment (and a
death) ends at the end of a month after its effective date and before today. `updated_at` falls
in the last 60 days (after the submission), `first_seen_at` on or before it.

Every carrier has sent weekly reports (`reports()`, SUCCEEDED, uploaded by the demo admin the day
after their as-of date), the newest a few days old, except one national carrier whose newest is
STALE_DAYS_BACK days old, past the default DOWNLINE_CARRIER_STALE_DAYS, so carrier freshness has a
stale carrier to show. A policy was last listed by its carrier's newest report, or, for about
DROPPED_RATE of them, by the one before (the newest left it out: "not in the last report");
`last_seen_as_of` and `report_id` say which, and `updated_at` is no later than that report's
upload (a report changed it).

The first policies (`carriers.SHOWCASE`) belong to the demo agent and show every status. From
`pairs.POLICY_START` on, every `pairs.POLICY_STRIDE`-th policy is, when its carrier has listed
it, the enrollment of an application (pairs.py): the application's person, carrier, plan and
dates, under its agent's NPN (or, now and then, another's); the others match no application.
"""

import random
import uuid
import zlib
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta

from downline.core.carriers.parsers import CarrierParser
from downline.core.demo import carriers as C
from downline.core.demo import names as N
from downline.core.demo.pairs import Pairs
from downline.core.demo.rows import Book, cum, last_name_key, pick
from downline.core.plugins import installed_parsers

UNMATCHED_RATE = 0.03
REPORTS_PER_CARRIER = 4  # weekly
STALE_DAYS_BACK = 40  # the stale carrier's newest as-of, in days before today (default stale: 21)
DROPPED_RATE = 0.04
MONTHS_BACK, MONTHS_AHEAD = 23, 2
# Ids grow with the row number, so inserts append to the primary-key and natural-key indexes
# instead of splitting pages all over them (30-40% faster at 300,000 rows on PostgreSQL, more as
# the indexes outgrow memory): policy ids are UUIDv7 (time-ordered: one millisecond a row from a
# seeded start), carrier policy ids a 3-letter prefix and 9 digits (10 past 20 million policies)
# rising by 1 to ID_STEP a row, as carriers number them.
ID_STEP = 29
STATUS_CUM = cum(C.STATUSES)
REASON_CUM = {status: cum(reasons) for status, reasons in C.REASONS.items()}
MBI_SIZES = [len(chars) for chars in C.MBI_POSITIONS]


def add_months(day: date, months: int) -> date:
    """The first of the month `months` after `day`'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def mbi(rng: random.Random) -> str:
    """A well-formed (random) Medicare Beneficiary Identifier."""
    bits, chars = rng.getrandbits(64), []
    for chars_at, size in zip(C.MBI_POSITIONS, MBI_SIZES, strict=True):
        bits, at = divmod(bits, size)
        chars.append(chars_at[at])
    return "".join(chars)


class Production:
    """Draws the demo book's policies, chunk by chunk (`chunk(start, stop)`)."""

    def __init__(self, book: Book, parsers: Mapping[str, CarrierParser] | None = None) -> None:
        self.book = book
        parsers = installed_parsers() if parsers is None else parsers
        self.brands = {key: C.BRANDS.get(key, parser.name) for key, parser in parsers.items()}
        self._markets(parsers)
        self._calendar()
        rng = book.rng("policies:setup")
        # Agents not (yet) in downline: a range no demo agent, agency or AOR NPN comes from.
        pool = range(100_000_000, 1_000_000_000)
        self.unmatched = [str(n) for n in rng.sample(pool, max(5, len(book.agents) // 8))]
        self.top_agency = book.agencies[0]["id"]
        self.uuid_start = 1_600_000_000_000 + rng.randrange(10**11)  # Unix ms, 2020 to 2023
        self.number_start = rng.randrange(10**8, 4 * 10**8)
        self._plans: dict[tuple, tuple[str, str | None]] = {}
        self._schedule(rng)
        self.pairs = Pairs(self, parsers)  # the applications the carriers answer

    def _schedule(self, rng: random.Random) -> None:
        """Each carrier's report as-of dates, newest first, and the one carrier gone quiet."""
        today = self.book.today
        keys = sorted(self.brands)
        national = [k for k in keys if C.CARRIERS.get(k, C.OTHER_CARRIER)[1] is None]
        self.stale_carrier = rng.choice(national or keys)
        self.as_of: dict[str, list[date]] = {}
        for key in keys:
            back = STALE_DAYS_BACK if key == self.stale_carrier else rng.randint(2, 9)
            newest = today - timedelta(days=back)
            self.as_of[key] = [newest - timedelta(weeks=k) for k in range(REPORTS_PER_CARRIER)]
        # rows listed by each report, counted as policies are drawn (chunk by chunk)
        self.listed: dict[tuple[str, date], int] = {}

    def _markets(self, parsers: Mapping[str, CarrierParser]) -> None:
        """Per state, the products sold there, each with its sellers (weights: market share)."""
        self.states, weights = [], []
        for state, weight, counties in C.STATES:
            sellers = []
            for key, parser in parsers.items():
                share, where = C.CARRIERS.get(key, C.OTHER_CARRIER)
                if where is None or state in where:
                    sellers.append((key, share, {str(p) for p in parser.product_types}))
            products = []
            for product, product_weight in C.PRODUCTS:
                keys = [(key, share) for key, share, sold in sellers if product in sold]
                if keys:
                    products.append((product, product_weight, [k for k, _ in keys], cum(keys)))
            if products:
                self.states.append((state, counties, products, cum(products)))
                weights.append(weight)
        if not self.states:
            raise ValueError("no carrier plugin sells a product the demo knows: no policies")
        self.state_cum = cum([(None, w) for w in weights])

    def _calendar(self) -> None:
        """Effective months and their weights: past (incl. this month), ended (before this
        month: room for a term date before today) and any (past and the next two)."""
        this_month = self.book.today.replace(day=1)
        months = [add_months(this_month, k) for k in range(-MONTHS_BACK, MONTHS_AHEAD + 1)]
        weight = {
            m: (4 if m.month == 1 else 1) * (1 + k / MONTHS_BACK) for k, m in enumerate(months)
        }
        weight.update({months[-2]: 3.0, months[-1]: 1.0})  # applications for the next months
        past = [m for m in months if m <= this_month]
        self.past = (past, cum([(m, weight[m]) for m in past]))
        self.ended = (past[:-1], cum([(m, weight[m]) for m in past[:-1]]))
        self.any = (months, cum([(m, weight[m]) for m in months]))
        self.ahead = (months[-2:], cum([(m, weight[m]) for m in months[-2:]]))

    def chunk(self, start: int, stop: int) -> list[dict]:
        """Policies `start` to `stop - 1` (0-based), as dicts for a Core insert."""
        draws = self.book.draws("policies", start, stop)
        return [self._policy(rng, i, agent) for i, rng, agent in draws]

    def _policy(self, rng: random.Random, i: int, agent: int) -> dict:
        pair = self.pairs.of_policy(i)
        if pair is not None:  # an application's enrollment: the pair says what it is
            return self._row(rng, i, pair.policy())
        book = self.book
        if i < len(C.SHOWCASE):
            status, reason = C.SHOWCASE[i]
            agent, unmatched = 0, False
        else:
            status, reason = self.status(rng)
            unmatched = rng.random() < UNMATCHED_RATE
        if unmatched:
            npn, owner = rng.choice(self.unmatched), self.top_agency
        else:
            npn, owner = book.agents[agent]["npn"], book.agents[agent]["agency_id"]
        state, counties, product, carrier = self.market(rng)
        county = rng.choice(counties)[0]
        plan_name, plan_id = self.plan(rng, carrier, state, product)
        submitted, effective, term = self.dates(rng, status)
        row = {
            "agent_npn": npn,
            "owner_agency_id": owner,
            "carrier": carrier,
            "product_type": product,
            "plan_name": plan_name,
            "plan_id": plan_id,
            "client_name": f"{rng.choice(N.FIRST_NAMES)} {(last := rng.choice(N.LAST_NAMES))}",
            "last_name_key": last_name_key(last),
            "date_of_birth": self.birth(rng, product, effective or book.today),
            "county": county,
            "state": state,
            "status": status,
            "term_reason": reason,
            "submitted_date": submitted,
            "effective_date": effective,
            "term_date": term,
        }
        return self._row(rng, i, row)

    def _row(self, rng: random.Random, i: int, drawn: dict) -> dict:
        """Policy `i`'s whole row: what was drawn, its ids, member id, the carrier's wording
        and the report that last listed it."""
        carrier, product = drawn["carrier"], drawn["product_type"]
        prefix = carrier[:3].upper()
        number = self.number_start + i * ID_STEP + rng.randrange(ID_STEP)
        member_id = mbi(rng) if product in C.MEDICARE else f"{prefix}M{rng.randrange(10**8):08d}"
        status, reason = drawn["status"], drawn["term_reason"]
        return {
            "id": self._uuid7(rng, i),
            "tenant_id": self.top_agency,  # the demo book is one tenant
            "carrier_policy_id": f"{prefix}{number}",
            **drawn,
            "member_id": member_id,
            "source_status": rng.choice(C.WORDING[status, reason]),
            **self._last_seen(i, carrier, self._seen(rng, drawn["submitted_date"])),
        }

    def market(self, rng: random.Random) -> tuple:
        """(state, its counties, product, carrier) of a policy: a state, a product sold there,
        a carrier selling it."""
        state, counties, products, products_cum = pick(rng, self.states, self.state_cum)
        product, _weight, keys, keys_cum = pick(rng, products, products_cum)
        return state, counties, product, pick(rng, keys, keys_cum)

    @staticmethod
    def status(rng: random.Random) -> tuple[str, str | None]:
        """A policy's (status, term reason) at the demo's rates."""
        status = pick(rng, C.STATUSES, STATUS_CUM)[0]
        if status in C.REASONS:
            return status, pick(rng, C.REASONS[status], REASON_CUM[status])[0]
        return status, None

    def _last_seen(self, i: int, carrier: str, times: dict) -> dict:
        """The report that last listed policy `i`: its carrier's newest, or (DROPPED_RATE of
        them, by a hash of the seed and row, so the row's generator is left alone) the one
        before. Every report up to that one listed it."""
        reports = self.as_of[carrier]
        hashed = zlib.crc32(f"{self.book.seed}:dropped:{i}".encode()) / 2**32
        seen = reports[1] if hashed < DROPPED_RATE and i >= len(C.SHOWCASE) else reports[0]
        for as_of in reports:
            if as_of <= seen:
                self.listed[carrier, as_of] = self.listed.get((carrier, as_of), 0) + 1
        uploaded = self._uploaded(seen)
        updated = min(times["updated_at"], uploaded)
        return {
            "first_seen_at": min(times["first_seen_at"], updated),
            "updated_at": updated,
            "last_seen_as_of": seen,
            "report_id": report_id(carrier, seen),
        }

    def _uploaded(self, as_of: date) -> datetime:
        """A report goes up the afternoon after its as-of day."""
        return datetime.combine(as_of + timedelta(days=1), time(15), tzinfo=UTC)

    def reports(self, uploader_email: str) -> list[dict]:
        """The carrier reports the drawn policies came from (call after the last chunk: their
        counts are those policies'), as dicts for a Core insert."""
        rows = []
        for key, dates in self.as_of.items():
            for as_of in reversed(dates):
                listed = self.listed.get((key, as_of), 0)
                uploaded = self._uploaded(as_of)
                filename = f"{key}-{as_of.isoformat()}.csv"
                rows.append({
                    "id": report_id(key, as_of),
                    "carrier": key,
                    "filename": filename,
                    "storage_key": f"demo/{filename}",  # no file: the demo wrote the rows
                    "as_of": as_of,
                    "status": "SUCCEEDED",
                    "uploader_email": uploader_email,
                    "uploader_agency_id": self.top_agency,
                    "rows_read": listed,
                    "rows_unchanged": listed,
                    "unmatched_npns": [],
                    "uploaded_at": uploaded,
                    "started_at": uploaded,
                    "finished_at": uploaded + timedelta(seconds=20),
                    "attempts": 1,
                })  # fmt: skip
        return rows

    def _uuid7(self, rng: random.Random, i: int) -> str:
        bits = rng.getrandbits(74)  # 12 + 62 random bits around the version and variant
        value = (self.uuid_start + i) << 80 | 7 << 76 | (bits >> 62) << 64 | 2 << 62
        return str(uuid.UUID(int=value | bits & (1 << 62) - 1))

    def dates(self, rng: random.Random, status: str, dated: bool = False) -> tuple:
        """(submitted, effective, term) consistent with the status, as of today; `dated`: an
        UNKNOWN policy has an effective date too."""
        today, term = self.book.today, None
        if status == "APPROVED":
            effective = pick(rng, *self.ahead)
            return today - timedelta(days=rng.randint(2, 45)), effective, None
        if status == "ACTIVE":
            effective = pick(rng, *self.past)
        elif status == "ATTRITED":  # ended on or before the effective date, and by today
            effective = pick(rng, *self.any)
            submitted = self._submitted(rng, effective)
            latest = min(effective, today)
            if effective <= today and rng.random() < 0.8:
                term = effective  # carriers mostly term a cancelled enrollment on its first day
            else:
                term = submitted + timedelta(days=rng.randint(0, (latest - submitted).days))
            return submitted, effective, term
        elif status in ("POLICY_DISENROLLMENT", "DECEASED"):  # the end of a later month
            months, months_cum = self.ended
            start = months.index(effective := pick(rng, months, months_cum))
            term = add_months(months[rng.randint(start, len(months) - 1)], 1) - timedelta(days=1)
        else:  # UNKNOWN: often no effective date at all
            if not dated and rng.random() < 0.4:
                back = rng.randint(2, 400)
                return (today - timedelta(days=back) if rng.random() < 0.5 else None), None, None
            effective = pick(rng, *self.any)
        return self._submitted(rng, effective), effective, term

    def _submitted(self, rng: random.Random, effective: date) -> date:
        """A week to ten weeks before the effective date, and at least two days before today."""
        submitted = effective - timedelta(days=rng.randint(7, 70))
        if submitted > self.book.today - timedelta(days=2):
            submitted = self.book.today - timedelta(days=rng.randint(2, 45))
        return submitted

    def _seen(self, rng: random.Random, submitted: date | None) -> dict:
        """`updated_at` in the last 60 days (after the submission); `first_seen_at`, the first
        report after the submission, on or before it."""
        if submitted is None:
            updated = rng.uniform(0, 60)
            return self._times(updated + rng.uniform(0, 400), updated)
        since = (self.book.today - submitted).days  # at least 2
        updated = rng.uniform(0, min(60, since - 1))
        seen = max(since - rng.uniform(1, 21), updated)  # days ago: the earlier of the two
        return self._times(seen, updated)

    def _times(self, first_seen: float, updated: float) -> dict:
        """The row's times from days ago; the report that last changed it is the last to list it
        (a demo book has no reports)."""
        updated_at = self.book.ago(updated)
        return {
            "first_seen_at": self.book.ago(first_seen),
            "updated_at": updated_at,
            "last_seen_as_of": updated_at.date(),
        }

    @staticmethod
    def birth(rng: random.Random, product: str, effective: date) -> date:
        if product == "ACA":
            age = rng.uniform(19, 64)
        elif product in ("DSNP", "CSNP") and rng.random() < 0.25:
            age = rng.uniform(30, 64)  # under 65: Medicare through a disability
        elif product in C.MEDICARE or product == "MEDSUPP":
            age = rng.triangular(65, 96, 69)  # age at the effective date
        else:
            age = rng.uniform(30, 85)
        return effective - timedelta(days=int(age * 365.25))

    def plan(self, rng: random.Random, carrier: str, state: str, product: str):
        """(plan name, plan id): a Medicare contract-PBP, an ACA HIOS id, else no id. The same
        plan always gets the same id."""
        lines = C.PLAN_LINES[product]
        line = rng.randrange(len(lines))
        metal = rng.choice(C.ACA_METALS) if product == "ACA" else ""
        key = (carrier, state, product, line, metal)
        plan = self._plans.get(key)
        if plan is None:
            name = lines[line].format(brand=self.brands[carrier], metal=metal)
            market = zlib.crc32(f"{carrier}|{state}|{product}".encode())
            serial = zlib.crc32(f"{state}|{name}".encode())
            plan_id = None
            if product in C.MEDICARE:
                letter = "S" if product == "PDP" else "H"
                plan_id = f"{letter}{1000 + market % 9000}-{1 + serial % 300:03d}"
            elif product == "ACA":
                issuer = 10000 + market % 90000
                plan_id = f"{issuer}{state}{serial % 1000:03d}{serial // 1000 % 10000:04d}-01"
            plan = self._plans[key] = (name, plan_id)
        return plan


def report_id(carrier: str, as_of: date) -> str:
    """The demo report of `carrier` as of a day (at most 36 characters)."""
    return f"demo-{carrier[:20]}-{as_of:%Y%m%d}"
