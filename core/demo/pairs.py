"""Applications the carriers answer: a client of the demo book and the carrier policy that is its
enrollment, drawn once as a `Pair` so that both sides say the same person (name, date of birth,
state), carrier, plan and dates, and effectuation (docs/domain.md) matches them.

Pair k is client CLIENT_START + k * CLIENT_STRIDE and policy POLICY_START + k * POLICY_STRIDE
(a third of each, after the showcase clients and policies). Each comes from a generator of its
own (a block of BLOCK pairs each), so a pair does not depend on how many clients or policies the
book has: with fewer policies than pairs, the last applications simply have no policy (the
carrier never listed them); with fewer clients, the last policies no application. The client's
agent is the one the clients' draws give that row (`Book.owner`).

A pair's policy is in the book (`listed`) when its carrier's newest report is as of at least
LISTED_AFTER days after the submission, except for about DROPPED_RATE of them, which the carrier
never lists (an application lost on the way: NOT_IN_CARRIER_REPORTS once its carrier has reported
for DOWNLINE_RECONCILE_GRACE_DAYS); one submitted since then awaits the carrier
(AWAITING_CARRIER). About ELSEWHERE_RATE are listed under another agent's NPN (the agent of
record moved: a peer of the same agency where there is one). The policy's status follows the
demo's rates (policies.py); the application's status follows the policy's.

A Medicare product is an off-exchange application to the carrier (a person of Medicare age, no
metal level or subsidy); ACA (Molina, Memorial Hermann) an on-exchange one with the policy's plan
and HIOS id. The first pairs (SHOWCASE) belong to the demo agent and give it every
reconciliation status; with the showcase client "no_feed" (rows.SHOWCASE, a carrier no plugin
answers to), so does its book.

The default book (3,000 clients, 5,000 policies) made on 2026-12-05, as the top admin saw it: of
2,595 applications, 471 EFFECTUATED, 69 PENDING, 180 ENDED, 34 UNKNOWN, 37
AGENT_OF_RECORD_ELSEWHERE, 744 NOT_IN_CARRIER_REPORTS (most of them ACA enrollments with carriers
whose plugins read Medicare reports), 186 AWAITING_CARRIER and 874 NO_CARRIER_FEED; 4,209 of the
policies answer none.
"""

import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from downline.core.demo import carriers as C
from downline.core.demo import names as N
from downline.core.demo.rows import BLOCK, last_name_key
from downline.core.demo.rows import SHOWCASE as CLIENT_SHOWCASE
from downline.core.production.naming import carrier_names, carriers_named

if TYPE_CHECKING:
    from downline.core.demo.policies import Production

CLIENT_START, CLIENT_STRIDE = len(CLIENT_SHOWCASE), 3
POLICY_START, POLICY_STRIDE = len(C.SHOWCASE), 3
ELSEWHERE_RATE = 0.05
DROPPED_RATE = 0.08
LISTED_AFTER = 3  # days between a submission and the first report that can list it
KEPT = 2  # blocks of pairs kept drawn

# The demo agent's first pairs, one reconciliation status each: (policy status, term reason, kind)
SHOWCASE = [
    ("ACTIVE", None, "listed"),  # EFFECTUATED
    ("APPROVED", None, "listed"),  # PENDING
    ("POLICY_DISENROLLMENT", "PLAN_CHANGE", "listed"),  # ENDED
    ("UNKNOWN", None, "listed"),  # UNKNOWN
    ("ACTIVE", None, "elsewhere"),  # AGENT_OF_RECORD_ELSEWHERE
    ("ACTIVE", None, "missing"),  # NOT_IN_CARRIER_REPORTS
    ("APPROVED", None, "recent"),  # AWAITING_CARRIER
]
LISTED = ("listed", "elsewhere")
# The application's status, by its policy's (an application the carrier lists nowhere: submitted)
APPLICATION_STATUS = {
    "ACTIVE": "effectuated", "APPROVED": "submitted", "ATTRITED": "cancelled",
    "POLICY_DISENROLLMENT": "terminated", "DECEASED": "terminated", "UNKNOWN": "submitted",
}  # fmt: skip


@dataclass(slots=True)  # not frozen: a frozen dataclass is slower to make, and pairs are many
class Pair:
    agent: int  # the client's agent (index)
    carrier: str  # the policy's plugin key
    written: str  # the carrier as the application writes it
    place: tuple  # (first, last, state, county, ZIP prefix, area codes): Book.person's `known`
    birth: date
    product: str
    plan_name: str
    plan_id: str | None
    status: str  # the policy's
    reason: str | None
    submitted: date
    effective: date
    term: date | None
    listed: bool  # the policy is in the book
    npn: str  # the policy's NPN and owning agency
    owner: str
    showcase: bool  # one of the demo agent's (SHOWCASE): never archived

    @property
    def state(self) -> str:
        return self.place[2]

    @property
    def application_status(self) -> str:
        return APPLICATION_STATUS[self.status] if self.listed else "submitted"

    def policy(self) -> dict:
        """What its policy's row says (policies.py adds the ids, wording and report)."""
        first, last, state, county, *_ = self.place
        return {
            "agent_npn": self.npn,
            "owner_agency_id": self.owner,
            "carrier": self.carrier,
            "product_type": self.product,
            "plan_name": self.plan_name,
            "plan_id": self.plan_id,
            "client_name": f"{first} {last}",
            "last_name_key": last_name_key(last),
            "date_of_birth": self.birth,
            "county": county,
            "state": state,
            "status": self.status,
            "term_reason": self.reason,
            "submitted_date": self.submitted,
            "effective_date": self.effective,
            "term_date": self.term,
        }


class Pairs:
    """The pairs of a book, drawn block by block as they are asked for."""

    def __init__(self, production: "Production", parsers) -> None:
        self.production = production
        self.book = book = production.book
        names = carrier_names(parsers)
        self.written = {key: _spellings(key, parser, names) for key, parser in parsers.items()}
        self.unfed = {  # per state, the carriers written on applications that no plugin answers
            state: [c for c in N.NATIONAL_CARRIERS + N.STATE_CARRIERS[state]
                    if not carriers_named(c, names)]
            for state, *_ in N.STATES
        }  # fmt: skip
        self.agency_of = {a["npn"]: a["agency_id"] for a in book.agents}
        self._blocks: dict[int, tuple[random.Random, list[Pair]]] = {}  # see `_pair`

    def of_client(self, i: int) -> Pair | None:
        k, rest = divmod(i - CLIENT_START, CLIENT_STRIDE)
        return self._pair(k) if i >= CLIENT_START and not rest else None

    def of_policy(self, i: int) -> Pair | None:
        """The listed pair whose policy row `i` is, if any."""
        k, rest = divmod(i - POLICY_START, POLICY_STRIDE)
        pair = self._pair(k) if i >= POLICY_START and not rest else None
        return pair if pair is not None and pair.listed else None

    def unfed_carrier(self, rng: random.Random, state: str) -> str | None:
        """A carrier an application in `state` may name that no installed plugin answers to."""
        return rng.choice(self.unfed[state]) if self.unfed.get(state) else None

    def _pair(self, k: int) -> Pair:
        """Pair `k`: its block's generator draws the block's pairs in order, as far as asked
        (the last KEPT blocks stay, so the policies find the first clients' pairs drawn)."""
        block, at = divmod(k, BLOCK)
        drawn = self._blocks.pop(block, None)
        if drawn is None:
            drawn = (self.book.rng(f"pairs:{block}"), [])
        self._blocks[block] = drawn  # the most recent last
        while len(self._blocks) > KEPT:
            del self._blocks[next(iter(self._blocks))]
        rng, pairs = drawn
        while len(pairs) <= at:
            pairs.append(self._draw(rng, block * BLOCK + len(pairs)))
        return pairs[at]

    def _draw(self, rng: random.Random, k: int) -> Pair:
        book, production = self.book, self.production
        show = SHOWCASE[k] if k < len(SHOWCASE) else None
        agent = 0 if show else book.owner("clients", CLIENT_START + k * CLIENT_STRIDE)
        for _attempt in range(200 if show else 1):  # a showcase pair draws until it shows
            state, counties, product, carrier = production.market(rng)
            if show:
                status, reason, kind = show
            else:
                status, reason = production.status(rng)
                draw = rng.random()
                kind = (
                    "elsewhere"
                    if draw < ELSEWHERE_RATE
                    else "dropped"
                    if draw < ELSEWHERE_RATE + DROPPED_RATE
                    else "listed"
                )
            submitted, effective, term = self._dates(rng, kind, status)
            reported = production.as_of[carrier][0]
            listed = kind in LISTED and submitted <= reported - timedelta(days=LISTED_AFTER)
            if not show or listed == (kind in LISTED):
                break
        first, last = rng.choice(N.FIRST_NAMES), rng.choice(N.LAST_NAMES)
        county, zip3 = rng.choice(counties)
        plan_name, plan_id = production.plan(rng, carrier, state, product)
        npn, owner = book.agents[agent]["npn"], book.agents[agent]["agency_id"]
        if kind == "elsewhere":
            npn = self._elsewhere(rng, agent)
            owner = self.agency_of.get(npn, production.top_agency)
        return Pair(
            agent=agent,
            carrier=carrier,
            written=rng.choice(self.written[carrier]),
            place=(first, last, state, county, zip3, C.AREAS[state]),
            birth=production.birth(rng, product, effective),
            product=product,
            plan_name=plan_name,
            plan_id=plan_id,
            status=status,
            reason=reason,
            submitted=submitted,
            effective=effective,
            term=term,
            listed=listed,
            npn=npn,
            owner=owner,
            showcase=show is not None,
        )

    def _dates(self, rng: random.Random, kind: str, status: str) -> tuple:
        """(submitted, effective, term) of the policy; an effective date always (the match needs
        one), in the application's plan year."""
        today = self.book.today
        if kind == "missing":  # long enough ago for every carrier to have reported since
            submitted = today - timedelta(days=rng.randint(75, 150))
        elif kind == "recent":  # within the grace days of every carrier's newest report
            submitted = today - timedelta(days=rng.randint(3, 20))
        else:
            return self.production.dates(rng, status, dated=True)
        month = submitted.replace(day=1)
        return submitted, date(month.year + month.month // 12, month.month % 12 + 1, 1), None

    def _elsewhere(self, rng: random.Random, agent: int) -> str:
        """The NPN the carrier lists instead of the agent's: a peer's in the same agency, else
        another demo agent's, else one no agent of the book holds."""
        book = self.book
        peer = book.transfer_npn(rng, agent)
        if peer is not None:
            return peer
        if len(book.agents) > 1:
            other = (agent + 1 + rng.randrange(len(book.agents) - 1)) % len(book.agents)
            return book.agents[other]["npn"]
        return rng.choice(self.production.unmatched)


def _spellings(key: str, parser, names) -> list[str]:
    """How applications write the carrier of plugin `key`: those of its spellings that name it
    alone (else its name, else its key)."""
    for candidates in (C.WRITTEN.get(key, []), [parser.name], [key]):
        named = [text for text in candidates if carriers_named(text, names) == {key}]
        if named:
            return named
    return [parser.name]
