"""Over random small books, every application's status (and the policy each viewer is shown)
equals a brute-force reference written here from the rules alone (docs/domain.md,
"Effectuation"), on SQLite and PostgreSQL; so does the summary by status."""

import os
import unicodedata
from collections import Counter
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from downline.core import db, plugins
from downline.core.models import Policy
from tests.core.production.effectuation import AGENTS, HIERARCHY, client, ingest, policy

IN_CI = os.environ.get("CI", "").lower() == "true"
# Spellings that the rules make one last name, and one that differs.
LAST_NAMES = ["O'Neil", "ONEIL", "o neil", "Núñez-Paz", "NUNEZ PAZ", "Smith"]
# Repeated values weigh the draws towards people with several policies.
BIRTHS = ["1950-01-01", "1950-01-01", "1951-02-02"]
STATES = ["FL", "FL", "GA"]
CARRIERS = ["UnitedHealthcare", "AARP Medicare", "uhc choice", "United Healthcare", "Aetna",
            "Oscar", None]  # fmt: skip
SUBMITTED = ["2025-12-20T12:00:00Z", "2026-01-10T23:30:00Z", "2026-03-15T08:00:00Z"]
EFFECTIVE = ["2025-11-01", "2026-01-01", "2026-02-01", "2026-02-01", "2026-12-31", "2027-01-01"]
# UHC's words and the status each reads as.
WORDS = {"Active": "ACTIVE", "Pending": "APPROVED", "Disenrolled": "POLICY_DISENROLLMENT",
         "Cancelled": "ATTRITED", "Deceased": "DECEASED", "Suspended": "UNKNOWN"}  # fmt: skip
AS_OF = ["2026-01-20", "2026-02-15", "2026-04-20"]
# Weighed towards East's agents, so that one person's policies are often under several NPNs.
CLIENT_AGENTS = ["a-east", "a-east", "a-deep", "a-top", "a-west", "a-other"]
NPNS = ["200", "200", "300", "100", "400", "500", "999"]  # 999: nobody's
TENANT = {aid: ("other" if agency == "other" else "top") for aid, (_, _, agency) in AGENTS.items()}
EAST = {"a-east", "a-deep"}  # the agents East's admin sees


def examples(database_url: str) -> int:
    """SQLite explores the rules; PostgreSQL, four times slower per book, checks the dialect."""
    if "DOWNLINE_PROPERTY_EXAMPLES" in os.environ:
        return int(os.environ["DOWNLINE_PROPERTY_EXAMPLES"])
    if database_url.startswith("sqlite"):
        return 60 if IN_CI else 20
    return 20 if IN_CI else 10


@st.composite
def books(draw):
    clients = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "agent": st.sampled_from(CLIENT_AGENTS),
                    "last_name": st.sampled_from(LAST_NAMES),
                    "date_of_birth": st.sampled_from(BIRTHS),
                    "state": st.sampled_from(STATES),
                    "carrier": st.sampled_from(CARRIERS),
                    "plan_year": st.sampled_from([2026, 2026, 2025, None]),
                    "submitted_at": st.sampled_from(SUBMITTED),
                    "archived": st.sampled_from([False, False, False, True]),
                }
            ),
            max_size=7,
        )
    )
    policies = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "npn": st.sampled_from(NPNS),
                    "last": st.sampled_from(LAST_NAMES),
                    "dob": st.sampled_from(BIRTHS),
                    "state": st.sampled_from(STATES),
                    "effective": st.sampled_from(EFFECTIVE),
                    "status": st.sampled_from(sorted(WORDS)),
                }
            ),
            max_size=9,
        )
    )
    return clients, policies, draw(st.sampled_from(AS_OF))


# ---- the reference: the rules, read plainly -----------------------------------------------------


def letters_and_digits(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def same_last_name(a: str, b: str) -> bool:
    def fold(text: str) -> str:
        decomposed = unicodedata.normalize("NFKD", text)
        return letters_and_digits("".join(c for c in decomposed if not unicodedata.combining(c)))

    return fold(a) == fold(b)


def carrier_named(written: str | None) -> str | None:
    """The one installed plugin whose key, name or alias the written carrier starts with."""
    text = letters_and_digits(written or "")
    named = {
        p.key
        for p in plugins.installed_parsers().values()
        for name in (p.key, p.name, *p.aliases)
        if letters_and_digits(name) and text.startswith(letters_and_digits(name))
    }
    return named.pop() if len(named) == 1 else None


def submitted_day(c: dict) -> date:
    return date.fromisoformat(c["submitted_at"][:10])


def in_year(effective: date, c: dict) -> bool:
    if c["plan_year"] is not None:
        return effective.year == c["plan_year"]
    return submitted_day(c) <= effective <= submitted_day(c) + timedelta(days=366)


def reference(clients, policies, as_of: str, ids: dict[str, str]) -> dict[str, tuple]:
    """client id -> (status, the id of the policy matched or None, that policy's agent)."""
    agent_of_npn = {npn: aid for aid, (_, npn, _) in AGENTS.items()}
    expected = {}
    for i, c in enumerate(clients):
        if c["archived"]:
            continue
        carrier, npn = carrier_named(c["carrier"]), AGENTS[c["agent"]][1]
        if carrier is None:
            expected[f"c{i}"] = ("NO_CARRIER_FEED", None, None)
            continue
        matches = [
            p
            for p in policies
            if p["npn"] in agent_of_npn  # else held by the operator: in no tenant
            and TENANT[agent_of_npn[p["npn"]]] == TENANT[c["agent"]]
            and carrier == "uhc"
            and same_last_name(p["last"], c["last_name"])
            and p["dob"] == c["date_of_birth"]
            and p["state"] == c["state"]
            and in_year(date.fromisoformat(p["effective"]), c)
        ]
        if matches:
            own = [p for p in matches if p["npn"] == npn] or matches
            latest = max(p["effective"] for p in own)
            chosen = min((p for p in own if p["effective"] == latest), key=lambda p: ids[p["id"]])
            status = (
                "AGENT_OF_RECORD_ELSEWHERE"
                if chosen["npn"] != npn
                else {
                    "ACTIVE": "EFFECTUATED",
                    "APPROVED": "PENDING",
                    "UNKNOWN": "UNKNOWN",
                }.get(WORDS[chosen["status"]], "ENDED")
            )
            expected[f"c{i}"] = (status, chosen["id"], agent_of_npn[chosen["npn"]])
        elif carrier == "uhc" and date.fromisoformat(as_of) >= submitted_day(c) + timedelta(30):
            expected[f"c{i}"] = ("NOT_IN_CARRIER_REPORTS", None, None)
        else:
            expected[f"c{i}"] = ("AWAITING_CARRIER", None, None)
    return expected


# ---- the property ----------------------------------------------------------------------------

LIST = """{ reconciliation(first: 100) { edges { node {
  client { id } status policy { carrierPolicyId } } } } }"""
SUMMARY = "{ reconciliationSummary(groupBy: [STATUS]) { status count } }"


def test_every_status_is_the_rules_status(api, database, load_book, cli, tmp_path, empty_database):
    @settings(
        max_examples=examples(database),
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=IN_CI,
    )
    @given(books())
    def check(book):
        clients, policies, as_of = book
        empty_database()
        records = [
            client(f"c{i}", c["agent"], **{k: v for k, v in c.items() if k != "agent"})
            for i, c in enumerate(clients)
        ]
        assert not load_book(dict(HIERARCHY, clients=records)).rejections
        rows = [policy(f"P{i}", **p) for i, p in enumerate(policies)]
        for i, row in enumerate(rows):
            policies[i]["id"] = row["id"]
        ingest(cli, tmp_path, rows, as_of=as_of)
        with db.session() as session:
            ids = dict(session.execute(select(Policy.carrier_policy_id, Policy.id)).all())
        expected = reference(clients, policies, as_of, ids)

        for email, tenant in (("admin@top.test", "top"), ("admin@other.test", "other")):
            mine = {
                cid: want
                for cid, want in expected.items()
                if TENANT[clients[int(cid[1:])]["agent"]] == tenant
            }
            edges = api.gql(LIST, as_=email)["reconciliation"]["edges"]
            got = {e["node"]["client"]["id"]: e["node"] for e in edges}
            assert {cid: n["status"] for cid, n in got.items()} == {
                cid: want[0] for cid, want in mine.items()
            }
            assert {cid: (n["policy"] or {}).get("carrierPolicyId") for cid, n in got.items()} == {
                cid: want[1] for cid, want in mine.items()
            }
            buckets = api.gql(SUMMARY, as_=email)["reconciliationSummary"]
            assert {b["status"]: b["count"] for b in buckets} == Counter(
                want[0] for want in mine.values()
            )
        east = {
            e["node"]["client"]["id"]: (e["node"]["policy"] or {}).get("carrierPolicyId")
            for e in api.gql(LIST, as_="admin@east.test")["reconciliation"]["edges"]
        }
        assert east == {
            cid: want[1] if want[2] in EAST else None
            for cid, want in expected.items()
            if clients[int(cid[1:])]["agent"] in EAST
        }

    check()
