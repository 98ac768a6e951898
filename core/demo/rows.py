"""The rows of the demo book, as plain dicts ready for a Core `insert(table)` executemany.

Determinism: every value comes from a `random.Random` seeded with the book's seed and the part
being drawn (`"<seed>:clients:<block number>"`, ...), never the global generator, so
a seed always gives the same rows, and one part (say the leads) does not change when another's
size does. The one exception is the calendar: follow-up, DMI and SVI exports look at what is due
around *today* ("from two months before today"), so every date and timestamp is an offset from
today's date (midnight UTC) and the offsets are drawn from the seed. The same seed on the same
day gives identical rows; on another day the same rows, shifted in time.

Whatever the size, the first clients (`SHOWCASE`) belong to the first agent (`agent@demo...`)
and each shows one thing an export looks for, so every export has something to show for both
the agent user and the admins above it; the rest of the book draws them at realistic rates.
"""

import functools
import random
import unicodedata
import zlib
from bisect import bisect
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from itertools import accumulate

from downline.core.demo import names as N
from downline.core.models import Role
from downline.core.production import naming

DAY = 86400
BLOCK = 1000  # rows drawn from one generator (insert chunks are whole blocks)
MAX_LEVEL = 3  # levels 0..3: trees at most 4 deep

# What each of the first clients is made to show (one feature each). The demo agent's
# applications the carriers answer (every reconciliation status) follow them (pairs.SHOWCASE).
SHOWCASE = [
    "follow_up", "dmi", "svi", "aor", "aor_internal", "ede_lost", "invalid_action",
    "three_way_call", "eap_awaiting_consent", "intake", "no_feed",
]  # fmt: skip


def cum(weighted: Sequence[tuple]) -> list[float]:
    return list(accumulate(item[1] for item in weighted))


def pick(rng: random.Random, items: Sequence, cum: list[float]):
    return items[bisect(cum, rng.random() * cum[-1])]


def _slug(text: str) -> str:
    ascii_ = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in ascii_.lower() if ch.isalnum())


# The keys effectuation matches on, of names drawn from short lists: each worked out once.
last_name_key = functools.cache(naming.last_name_key)
carrier_key = functools.cache(naming.normalised)

STATE_CUM = cum(N.STATES)
SLUGS = {name: _slug(name) for name in N.FIRST_NAMES + N.LAST_NAMES}


class Book:
    """The hierarchy (small: built at once) and generators of the large tables, chunk by chunk."""

    def __init__(self, seed: int, today: date, agencies: int, agents: int) -> None:
        if agencies < 1 or agents < 1:
            raise ValueError("a demo book needs at least one agency and one agent")
        self.seed = seed
        self.today = today
        self.midnight = datetime.combine(today, time(), tzinfo=UTC)
        self._plans: dict[tuple[str, str, str, str], str] = {}
        self._owned: tuple = (None, None, [])  # (part, block, its owners): see `owner`
        self._build_hierarchy(agencies, agents)

    def ago(self, days: float) -> datetime:
        """A timestamp `days` before today's midnight UTC, to the second."""
        return self.midnight - timedelta(seconds=int(days * DAY))

    def rng(self, part: str) -> random.Random:
        return random.Random(f"{self.seed}:{part}")

    # -- hierarchy ---------------------------------------------------------------------------

    def _build_hierarchy(self, n_agencies: int, n_agents: int) -> None:
        rng = self.rng("hierarchy")
        # NPNs are unique across agencies and agents; "external" AOR NPNs come from another range.
        npns = [str(n) for n in rng.sample(range(1_000_000, 30_000_000), n_agencies + n_agents)]
        levels = [0]
        self.agencies = [self._agency(rng, 0, N.TOP_AGENCY, None, npns[0])]
        used = {N.TOP_AGENCY}
        for i in range(1, n_agencies):
            if i <= MAX_LEVEL:  # a chain top > 1 > 2 > 3, so the tree is as deep as allowed
                parent = i - 1
            else:
                while True:
                    parent = rng.randrange(i)
                    if (
                        levels[parent] < MAX_LEVEL
                        and rng.random() < (1.0, 0.8, 0.5)[levels[parent]]
                    ):
                        break
            levels.append(levels[parent] + 1)
            name = self._agency_name(rng, used, i)
            npn = npns[i] if rng.random() < 0.85 else None
            row = self._agency(rng, i, name, self.agencies[parent]["id"], npn)
            # One deep sub-agency has "Prevent exports" on; the top and the first sub-agency
            # (whose admin is a demo user) keep exports on for their agents.
            row["exports_allowed_for_agents"] = i <= 2 or (i != MAX_LEVEL and rng.random() > 0.12)
            self.agencies.append(row)

        self.agents: list[dict] = []
        self.agent_agency: list[int] = []
        emails: set[str] = set()
        for j in range(n_agents):
            if j < 2:
                agency = 0  # two agents directly under the top: program payouts, transfers
            elif j <= n_agencies:
                agency = j - 1  # every sub-agency gets an agent while there are agents
            else:
                agency = 0 if rng.random() < 0.15 else rng.randrange(n_agencies)
            first, last = rng.choice(N.FIRST_NAMES), rng.choice(N.LAST_NAMES)
            if j == 0:
                email = N.AGENT_EMAIL
            else:
                base = f"{SLUGS[first]}.{SLUGS[last]}"
                email, k = f"{base}@{N.DEMO_DOMAIN}", 1
                while email in emails:
                    k += 1
                    email = f"{base}{k}@{N.DEMO_DOMAIN}"
            emails.add(email)
            _state, _w, areas, _counties = pick(rng, N.STATES, STATE_CUM)
            self.agents.append(
                {
                    "id": f"agt_{j + 1:06d}",
                    "name": f"{first} {last}",
                    "npn": npns[n_agencies + j],
                    "email": email,
                    "phone": f"({rng.choice(areas)}) 555-{rng.randrange(10000):04d}",
                    "agency_id": self.agencies[agency]["id"],
                    "created_at": self.ago(rng.uniform(30, 1900)),
                }
            )
            self.agent_agency.append(agency)
        # Books are uneven: a few agents hold most clients.
        self.agent_cum = list(accumulate(rng.lognormvariate(0, 0.9) for _ in range(n_agents)))
        self.agency_agents: list[list[int]] = [[] for _ in range(n_agencies)]
        for j, agency in enumerate(self.agent_agency):
            self.agency_agents[agency].append(j)

    def _agency(self, rng, i: int, name: str, parent_id, npn) -> dict:
        return {
            "id": f"agy_{i + 1:05d}",
            "name": name,
            "npn": npn,
            "parent_id": parent_id,
            "exports_allowed_for_agents": True,
            "created_at": self.ago(rng.uniform(2500, 3000) if i == 0 else rng.uniform(60, 2000)),
        }

    @staticmethod
    def _agency_name(rng: random.Random, used: set[str], i: int) -> str:
        for _ in range(5):
            name = " ".join(
                (
                    rng.choice(N.AGENCY_PLACES),
                    rng.choice(N.AGENCY_WORDS),
                    rng.choice(N.AGENCY_SUFFIXES),
                )
            )
            if name not in used:
                break
        else:
            name = f"{name} {i + 1}"
        used.add(name)
        return name

    def users(self) -> list[dict]:
        rows = [_user(N.ADMIN_EMAIL, Role.AGENCY_ADMIN, agency_id=self.agencies[0]["id"])]
        if len(self.agencies) > 1:
            rows.append(
                _user(N.SUBADMIN_EMAIL, Role.AGENCY_ADMIN, agency_id=self.agencies[1]["id"])
            )
        rows += [_user(a["email"], Role.AGENT, agent_id=a["id"]) for a in self.agents]
        return rows

    def subadmin_email(self) -> str | None:
        return N.SUBADMIN_EMAIL if len(self.agencies) > 1 else None

    def transfer_npn(self, rng: random.Random, agent: int) -> str | None:
        """The NPN of another agent of the same agency (an internal transfer), if there is one."""
        peers = self.agency_agents[self.agent_agency[agent]]
        if len(peers) < 2:
            return None
        while (other := rng.choice(peers)) == agent:
            pass
        return self.agents[other]["npn"]

    # -- people and places ---------------------------------------------------------------------

    def person(self, rng: random.Random, serial: int, known: tuple | None = None) -> dict:
        """A client's or lead's name, contact and place; `known`, (first, last, state, county,
        ZIP prefix, area codes), when a carrier's policy already says who and where."""
        if known is None:
            first, last = rng.choice(N.FIRST_NAMES), rng.choice(N.LAST_NAMES)
            state, _w, areas, counties = pick(rng, N.STATES, STATE_CUM)
            county, zip3 = rng.choice(counties)
        else:
            first, last, state, county, zip3, areas = known
        email = None
        if rng.random() < 0.92:
            domain = rng.choice(N.EMAIL_DOMAINS)
            email = f"{SLUGS[first]}.{SLUGS[last]}{serial % 97 + 1}@{domain}"
        phone = digits = None
        if rng.random() < 0.96:
            area, line = rng.choice(areas), rng.randrange(10000)
            phone, digits = f"({area}) 555-{line:04d}", f"{area}555{line:04d}"
        return {
            "first_name": first,
            "last_name": last,
            "email": email,
            "phone": phone,
            "phone_digits": digits,
            "state": state,
            "county": county,
            "zip": f"{zip3}{rng.randrange(100):02d}",
        }

    def draws(self, part: str, start: int, stop: int) -> Iterator[tuple[int, random.Random, int]]:
        """(row index, generator, agent index) for rows `start` to `stop - 1` of `part`. Each
        block of BLOCK rows has its own generator, so rows do not depend on how inserts are
        chunked, and a smaller book is a prefix of a larger one with the same seed."""
        if start % BLOCK:
            raise ValueError(f"chunks start on a block boundary ({BLOCK} rows)")
        for first in range(start, stop, BLOCK):
            rng = self.rng(f"{part}:{first // BLOCK}")
            owners = self._owners(rng)
            for i in range(first, min(first + BLOCK, stop)):
                yield i, rng, owners[i - first]

    def owner(self, part: str, i: int) -> int:
        """The agent (index) `draws` gives row `i` of `part`, without drawing the rows before
        it: the first draw of its block's generator (the last block asked for is kept)."""
        block = i // BLOCK
        if self._owned[:2] != (part, block):
            self._owned = (part, block, self._owners(self.rng(f"{part}:{block}")))
        return self._owned[2][i % BLOCK]

    def _owners(self, rng: random.Random) -> list[int]:
        return rng.choices(range(len(self.agents)), cum_weights=self.agent_cum, k=BLOCK)

    def plan(self, rng: random.Random, carrier: str, state: str, metal: str, exchange: str):
        lines = N.PLAN_LINES.get(carrier, N.GENERIC_LINES)
        name = rng.choice(lines).format(metal=metal.title(), carrier=carrier)
        key = (carrier, state, name, exchange)
        hios = self._plans.get(key)
        if hios is None:
            issuer = 10000 + zlib.crc32(f"{carrier}|{state}".encode()) % 90000
            plan = zlib.crc32(name.encode())
            variant = "00" if exchange == "off_ex" else "01"
            hios = f"{issuer}{state}{plan % 1000:03d}{plan // 1000 % 10000:04d}-{variant}"
            self._plans[key] = hios
        return name, hios


def _user(email: str, role: Role, *, agent_id=None, agency_id=None) -> dict:
    return {"email": email, "role": role, "agent_id": agent_id, "agency_id": agency_id}
