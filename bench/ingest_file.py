"""The file bench/ingest.py ingests, and the baseline it is measured against: a deterministic
generated Humana CSV (a smaller file is a prefix of a bigger one); the same rows parsed once,
untimed, into a CSV of the staging columns; and that CSV loaded by raw COPY and one upsert."""

import csv
import random
import time
from datetime import date, timedelta
from pathlib import Path

import common

CARRIER = "humana"
ID_PREFIX = "HBN"  # the bench's policy ids; the demo book's Humana ids start with HUM
SEED = 7
UNMATCHED = ("990000001", "990000002", "990000003", "990000004", "990000005")
UNMATCHED_RATE = 0.01
HEADER = [
    "Agent SAN", "Agent NPN", "Humana ID", "MBI", "First Name", "Last Name", "Birth Date",
    "Contract", "PBP", "Segment", "Plan Name", "Product Type", "County", "State",
    "Application Received", "Effective Date", "Term Date", "Status", "Status Reason",
]  # fmt: skip
# (weight, Status, Status Reason, dates): the Humana format's status table, at a book's rates.
STATUSES = [
    (55, "Active", "", "active"),
    (10, "Pending", "", "pending"),
    (9, "Inactive", "Enrolled in other plan", "ended"),
    (4, "Inactive", "Moved out of service area", "ended"),
    (4, "Inactive", "Cancelled before effective date", "cancelled"),
    (3, "Inactive", "Application denied", "cancelled"),
    (3, "Inactive", "Application withdrawn", "cancelled"),
    (3, "Inactive", "Other", "ended"),
    (2, "Inactive", "Other", "cancelled"),
    (2, "Deceased", "", "ended"),
]
PRODUCTS = [(52, "MAPD"), (13, "DSNP"), (9, "PDP"), (6, "MA"), (4, "CSNP")]
PLANS = {
    "MAPD": ["Humana Gold Plus (HMO)", "Humana Choice (PPO)", "Humana Honor (PPO)"],
    "MA": ["Humana Honor Giveback (PPO)", "Humana USAA Honor (PPO)"],
    "PDP": ["Humana Basic Rx Plan (PDP)", "Humana Premier Rx Plan (PDP)"],
    "DSNP": ["Humana Gold Plus SNP-DE (HMO D-SNP)", "Humana Dual Integrated (HMO D-SNP)"],
    "CSNP": ["Humana Gold Plus SNP-C (HMO C-SNP)"],
}
MBI_LETTERS = "ACDEFGHJKMNPQRTUVWXY"
STAGED: list[str] = []  # the staging columns, in order (filled from core.staging.FIELDS)


def months_around(today: date, back: int, ahead: int) -> list[date]:
    index = today.year * 12 + today.month - 1
    return [date(i // 12, i % 12 + 1, 1) for i in range(index - back, index + ahead + 1)]


def write_humana(path: Path, rows: int, npns: list[str], as_of: date) -> int:
    """A deterministic Humana CSV of `rows` rows (streamed); returns its size in bytes."""
    from downline.core.demo import carriers as C
    from downline.core.demo import names as N

    rng = random.Random(SEED)
    statuses = [s[1:] for s in STATUSES for _ in range(s[0])]
    products = [p for weight, p in PRODUCTS for _ in range(weight)]
    places = [(state, county) for state, _w, counties in C.STATES for county, *_ in counties]
    months = months_around(as_of, 23, 0)
    past, ended, ahead = months[:-1], months[:-2], months_around(as_of, -1, 2)[:2]
    later = {m: [x for x in months if x > m] for m in months}
    fmt = "%m/%d/%Y"
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(HEADER)
        for i in range(rows):
            unmatched = rng.random() < UNMATCHED_RATE
            npn = rng.choice(UNMATCHED) if unmatched else rng.choice(npns)
            status, reason, kind = rng.choice(statuses)
            product = rng.choice(products)
            state, county = rng.choice(places)
            if kind == "pending":
                effective, term = rng.choice(ahead), None
                received = as_of - timedelta(days=rng.randint(2, 40))
            else:
                effective = rng.choice(past if kind != "ended" else ended)
                received = effective - timedelta(days=rng.randint(7, 70))
                term = None
                if kind == "cancelled":
                    term = effective
                elif kind == "ended":
                    term = rng.choice(later[effective]) - timedelta(days=1)
            born = as_of - timedelta(days=rng.randint(65 * 365, 95 * 365))
            mbi = (
                f"{rng.randint(1, 9)}{rng.choice(MBI_LETTERS)}{rng.choice(MBI_LETTERS)}"
                f"{rng.randint(0, 9)}{rng.choice(MBI_LETTERS)}{rng.choice(MBI_LETTERS)}"
                f"{rng.randint(0, 9)}{rng.choice(MBI_LETTERS)}{rng.choice(MBI_LETTERS)}"
                f"{rng.randint(10, 99)}"
            )
            writer.writerow(
                (
                    f"SAN{npn[-5:]}",
                    npn,
                    f"{ID_PREFIX}{i:09d}",
                    mbi,
                    rng.choice(N.FIRST_NAMES),
                    rng.choice(N.LAST_NAMES),
                    born.strftime(fmt),
                    f"H{5000 + rng.randrange(400)}",
                    str(rng.randrange(1, 40)),
                    "000",
                    rng.choice(PLANS[product]),
                    product,
                    county,
                    state,
                    received.strftime(fmt),
                    effective.strftime(fmt),
                    term.strftime(fmt) if term else "",
                    status,
                    reason,
                )
            )
    return path.stat().st_size


def normalize(source: Path, target: Path, as_of: date, tenant: str) -> tuple[int, int, float]:
    """Parse `source` once with the Humana parser into a CSV of the staging columns (what the
    baseline COPYs, with ids made as downline makes them); (records, rejected, seconds spent
    parsing alone)."""
    from downline.core import plugins
    from downline.core.carriers.staging import FIELDS, time_ordered_ids
    from downline.core.production.naming import last_name_key
    from downline.core.production.vocabulary import RowError

    STAGED[:] = ["carrier_policy_id", "tenant_id", "line", "id", *FIELDS]

    parser = plugins.installed_parsers()[CARRIER]
    ids = time_ordered_ids()
    records = rejected = 0
    parse_s = 0.0
    with source.open("rb") as stream, target.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        items = parser.parse(stream, as_of)
        while True:
            started = time.perf_counter()
            item = next(items, None)
            parse_s += time.perf_counter() - started
            if item is None:
                break
            if isinstance(item, RowError):
                rejected += 1
                continue
            records += 1
            row = {
                "carrier_policy_id": item.carrier_policy_id,
                "tenant_id": "" if item.agent_npn in UNMATCHED else tenant,  # "": held
                "line": item.line,
                "id": next(ids),
                "status": item.status.value,
                "term_reason": item.term_reason.value if item.term_reason else None,
                "plan_id": item.plan_id,
                "plan_name": item.plan_name,
                "product_type": item.product_type.value,
                "agent_npn": item.agent_npn,
                "effective_date": item.effective_date,
                "term_date": item.term_date,
                "county": item.county,
                "state": item.state,
                "client_name": item.client_name,
                "member_id": item.member_id,
                "date_of_birth": item.date_of_birth,
                "source_status": item.source_status,
                "submitted_date": item.submitted_date,
                "owner_agency_id": None,  # the operator's report has no owner
                "last_name_key": last_name_key(item.last_name),  # as staging keys the person
            }
            writer.writerow([row[name] for name in STAGED])
    return records, rejected, parse_s


# ---- the baseline: COPY + one INSERT … ON CONFLICT ----------------------------------------------

# An empty tenant is a value (held by the operator), where CSV reads an unquoted empty cell as NULL.
CSV = "(FORMAT csv, FORCE_NOT_NULL (tenant_id))"


def baseline(normalized: Path, as_of: date) -> dict:
    """COPY the normalized rows into a temporary staging table, then one upsert into `policy`,
    in one transaction (each policy seen as of `as_of`, moved forward only); the seconds of each
    step."""
    from downline.core.carriers.staging import FIELDS, TRACKED

    staged = ", ".join(("carrier_policy_id", "tenant_id", "line", "id", *FIELDS))
    columns = ", ".join(("id", "tenant_id", "carrier", "carrier_policy_id", *FIELDS))
    changed = " OR ".join(f"policy.{f} IS DISTINCT FROM EXCLUDED.{f}" for f in FIELDS)
    tracked = " OR ".join(f"policy.{f} IS DISTINCT FROM EXCLUDED.{f}" for f in TRACKED)
    updates = ", ".join(f"{f} = EXCLUDED.{f}" for f in FIELDS)
    upsert = (
        f"INSERT INTO policy ({columns}, first_seen_at, updated_at, last_seen_as_of, report_id) "
        f"SELECT id, tenant_id, %(carrier)s, carrier_policy_id, {', '.join(FIELDS)}, now(), now(), "
        f"%(as_of)s, NULL FROM baseline_staging "
        f"ON CONFLICT (tenant_id, carrier, carrier_policy_id) DO UPDATE SET {updates}, "
        f"updated_at = CASE WHEN {tracked} THEN EXCLUDED.updated_at "
        f"ELSE policy.updated_at END, "
        f"last_seen_as_of = greatest(policy.last_seen_as_of, EXCLUDED.last_seen_as_of), "
        f"report_id = EXCLUDED.report_id "
        f"WHERE {changed} OR EXCLUDED.last_seen_as_of > policy.last_seen_as_of"
    )
    with common.raw_connect() as conn:
        started = time.perf_counter()
        with conn.cursor() as cur:
            cur.execute(
                "CREATE TEMPORARY TABLE baseline_staging ON COMMIT DROP AS "
                f"SELECT carrier_policy_id, tenant_id, 0 AS line, {', '.join(('id', *FIELDS))} "
                "FROM policy WITH NO DATA"
            )
            with (
                cur.copy(f"COPY baseline_staging ({staged}) FROM STDIN WITH {CSV}") as copy,
                normalized.open("rb") as source,
            ):
                while block := source.read(1 << 20):
                    copy.write(block)
            copied = time.perf_counter()
            cur.execute(upsert, {"carrier": CARRIER, "as_of": as_of})
            written = cur.rowcount
        conn.commit()
        done = time.perf_counter()
    return {
        "copy_s": copied - started,
        "upsert_s": done - copied,
        "total_s": done - started,
        "written": written,
    }
