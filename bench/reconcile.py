"""Effectuation on PostgreSQL: `reconciliationSummary(groupBy: [STATUS])`, `reconciliation`
paging and the `effectuation` export, each against a hand-written SQL of the same join and
precedence measured in the same run.

The book: the demo book of `common.ensure_book` (1,000,000 clients by default), in a database of
its own (`downline_bench_reconcile`, unless DOWNLINE_BENCH_DATABASE_URL says otherwise: these
policies are not the ones bench/summary.py keeps), plus `--policies` policies (5,000,000): for
most applications naming an installed carrier, one or two policies of the same person (one in
eight under another agent's NPN, a few without their plan year), the rest the demo's own
production (every third policy the enrollment of one of its applications, core/demo/pairs.py,
the others matching nothing); and one SUCCEEDED report per carrier but three, as of ten days
ago. Written once (COPY), then reused while the `bench_reconcile` marker says so.

Targets: the summary for the top admin <= 1.5 x the hand-written GROUP BY (both return the same
counts, asserted); `reconciliation(first: 50)` page 1000 <= 1.2 x page 1 (in the ASGI app, for
the top admin, cursors walked once); the export end to end (bench/export.py's child: request ->
SUCCEEDED) <= 1.5 x raw `COPY (hand-written SELECT)`, worker peak RSS < 200 MB.

    .venv/bin/python bench/reconcile.py [--clients 1000000] [--policies 5000000] [--repeat 3]
"""

import argparse
import asyncio
import os
import random
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

import common

os.environ.setdefault(common.URL_ENV, common.DEFAULT_URL.replace("bench", "bench_reconcile"))

import export as exports  # noqa: E402 - bench/export.py: the export's child run and COPY baseline
import keyset  # noqa: E402 - bench/keyset.py: GraphQL in the ASGI app, cursors walked

SUMMARY_TARGET, PAGE_TARGET, EXPORT_TARGET, RSS_TARGET_MB = 1.5, 1.2, 1.5, 200
STATUSES = [("ACTIVE", None, 60), ("APPROVED", None, 10), ("ATTRITED", "CANCELED", 8),
            ("POLICY_DISENROLLMENT", "PLAN_CHANGE", 12), ("DECEASED", None, 2),
            ("UNKNOWN", None, 8)]  # fmt: skip
UNREPORTED = 3  # carriers with no report yet: their applications await it
REPORT_AGE_DAYS = 10  # every other carrier's one report, as of this many days ago


def carrier_values(parsers) -> str:
    from downline.core.production.naming import carrier_names

    return ", ".join(f"('{n.prefix}', '{n.key}')" for n in carrier_names(parsers))


# What the hand-written queries share: the carrier each application names, the newest report of
# each carrier, and each application's policy by the choice rule; LATERAL, as one writes it.
HAND_APPLICATIONS = """
WITH plugin_name(prefix, key) AS (VALUES {names}),
carrier_of AS (
  SELECT w.name, min(n.key) AS key
  FROM (SELECT DISTINCT carrier_name_key AS name FROM client) w
  JOIN plugin_name n ON starts_with(w.name, n.prefix)
  GROUP BY w.name HAVING count(DISTINCT n.key) = 1),
reported AS (
  SELECT carrier, max(as_of) AS as_of FROM carrier_report WHERE status = 'SUCCEEDED'
  GROUP BY carrier),
application AS (
  SELECT c.*, a.name AS agent_name, a.npn AS agent_npn, co.key AS carrier_key,
         r.as_of AS reported_as_of, (c.submitted_at AT TIME ZONE 'UTC')::date AS submitted_day,
         p.id AS policy_id, p.carrier_policy_id, p.status AS policy_status,
         p.agent_npn AS policy_npn, p.effective_date AS policy_effective,
         p.term_date AS policy_term, p.term_reason AS policy_term_reason
  FROM client c
  JOIN agent a ON a.id = c.agent_id
  LEFT JOIN carrier_of co ON co.name = c.carrier_name_key
  LEFT JOIN reported r ON r.carrier = co.key
  LEFT JOIN LATERAL (
    SELECT * FROM policy p
    WHERE p.tenant_id = '{tenant}' AND p.carrier = co.key
      AND p.last_name_key = c.last_name_key AND p.date_of_birth = c.date_of_birth
      AND upper(p.state) = c.state
      AND CASE WHEN c.plan_year IS NOT NULL
               THEN extract(year FROM p.effective_date) = c.plan_year
               ELSE p.effective_date BETWEEN (c.submitted_at AT TIME ZONE 'UTC')::date
                    AND (c.submitted_at AT TIME ZONE 'UTC')::date + 366 END
    ORDER BY p.agent_npn = a.npn DESC, p.effective_date DESC, p.id LIMIT 1) p ON true
  WHERE c.submitted_at IS NOT NULL AND NOT c.archived),
reconciled AS (
  SELECT *, CASE
    WHEN carrier_key IS NULL THEN 'NO_CARRIER_FEED'
    WHEN policy_id IS NOT NULL AND policy_npn <> agent_npn THEN 'AGENT_OF_RECORD_ELSEWHERE'
    WHEN policy_status = 'ACTIVE' THEN 'EFFECTUATED'
    WHEN policy_status = 'APPROVED' THEN 'PENDING'
    WHEN policy_status IN ('ATTRITED', 'POLICY_DISENROLLMENT', 'DECEASED') THEN 'ENDED'
    WHEN policy_id IS NOT NULL THEN 'UNKNOWN'
    WHEN reported_as_of >= submitted_day + {grace} THEN 'NOT_IN_CARRIER_REPORTS'
    ELSE 'AWAITING_CARRIER' END AS status
  FROM application)
"""
HAND_SUMMARY = "SELECT status, count(*) FROM reconciled GROUP BY status ORDER BY status"
# The export's columns, unformatted (COPY writes its own CSV), the reason left out: a sentence
# per row is downline's extra work, counted against it.
HAND_EXPORT = """SELECT id, first_name, last_name, agent_name, agent_npn, carrier, carrier_key,
  plan_name, submitted_at, status, carrier_policy_id, policy_status, policy_npn, policy_effective,
  policy_term, policy_term_reason FROM reconciled ORDER BY submitted_at DESC NULLS LAST, id"""


def hand_sql(tail: str) -> str:
    from downline.core.config import get_settings
    from downline.core.plugins import installed_parsers

    with common.raw_connect() as conn:
        (tenant,) = conn.execute("SELECT id FROM agency WHERE parent_id IS NULL").fetchone()
    grace = get_settings().reconcile_grace_days
    names = carrier_values(installed_parsers())
    return HAND_APPLICATIONS.format(names=names, tenant=tenant, grace=grace) + tail


# ---- the policies ------------------------------------------------------------------------------


def ensure_policies(count: int) -> tuple[bool, float]:
    what = f"{count:,} policies and the carrier reports"
    return common.ensure_policies("bench_reconcile", count, write_policies, what)


def write_policies(conn, count: int) -> None:
    """Empty `policy` and `carrier_report`, then COPY the applications' policies and the demo's
    production up to `count`, and the reports."""
    from downline.core.carriers.staging import time_ordered_ids
    from downline.core.demo.policies import Production
    from downline.core.demo.rows import Book
    from downline.core.plugins import installed_parsers
    from downline.core.production.naming import carrier_names, carriers_named

    book = Book(common.SEED, date.today(), common.AGENCIES, common.AGENTS)
    tenant = book.agencies[0]["id"]
    names, npns = carrier_names(installed_parsers()), [a["npn"] for a in book.agents]
    rng, ids, now = random.Random(common.SEED), time_ordered_ids(), common_now()
    as_of = date.today() - timedelta(days=REPORT_AGE_DAYS)  # the reports' (below): they listed them
    columns = ["id", "tenant_id", "carrier", "carrier_policy_id", "agent_npn", "product_type",
               "client_name", "last_name_key", "date_of_birth", "state", "status", "term_reason",
               "effective_date", "first_seen_at", "updated_at", "last_seen_as_of"]  # fmt: skip
    conn.execute("DELETE FROM policy")
    conn.execute("DELETE FROM carrier_report")
    written, weights = 0, [w for *_, w in STATUSES]
    with common.raw_connect() as reader, reader.cursor(name="applications") as apps:
        apps.itersize = 20_000
        apps.execute(
            "SELECT c.first_name, c.last_name, c.last_name_key, c.date_of_birth, c.state,"
            " c.carrier, c.plan_year, c.submitted_at, a.npn FROM client c"
            " JOIN agent a ON a.id = c.agent_id"
            " WHERE c.submitted_at IS NOT NULL AND NOT c.archived ORDER BY c.id"
        )
        with conn.cursor() as cur, cur.copy(f"COPY policy ({', '.join(columns)}) FROM STDIN") as cp:
            for first, last, key, born, state, carrier, year, submitted, npn in apps:
                named = carriers_named(carrier, names)
                draw = rng.random()
                if len(named) != 1 or draw >= 0.78 or written >= count:
                    continue
                for other in range(1 if draw < 0.70 else 2):
                    status, reason, _ = rng.choices(STATUSES, weights)[0]
                    own = rng.random() >= 0.125 and not other
                    effective = (
                        date(year, rng.randint(1, 12), 1)
                        if year and rng.random() > 0.05
                        else submitted.date() + timedelta(days=rng.randint(1, 90))
                    )
                    holder = npn if own else rng.choice(npns)
                    cp.write_row([next(ids), tenant, next(iter(named)), f"EF{written:09d}",
                                  holder, "MAPD", f"{first} {last}", key, born, state, status,
                                  reason, effective, now, now, as_of])  # fmt: skip
                    written += 1
            production, rest = Production(book), count - written
            for start in range(0, rest, 5000):  # demo chunks start on its blocks
                for row in production.chunk(start, min(start + 5000, rest)):
                    cp.write_row([row[c] for c in columns])
    reported = sorted({n.key for n in names})[UNREPORTED:]
    for key in reported:
        conn.execute(
            "INSERT INTO carrier_report (id, carrier, filename, storage_key, as_of, status,"
            " rows_read, rows_inserted, rows_updated, rows_unchanged, rows_rejected,"
            " unmatched_npns, uploaded_at, attempts) VALUES (%s, %s, 'bench.csv', 'none', %s,"
            " 'SUCCEEDED', 0, 0, 0, 0, 0, '[]', now(), 1)",
            (f"bench-{key}", key, as_of),
        )
    conn.commit()


def common_now():
    from downline.core.models import utcnow

    return utcnow()


# ---- the three measures ------------------------------------------------------------------------


def summary_case(book: common.BenchBook, repeat: int) -> float:
    from sqlalchemy import text

    from downline.core import db
    from downline.core.book.scope import load_principal
    from downline.core.production import reconciliation
    from downline.core.production.filters import ReconciliationFilter

    sql = hand_sql(HAND_SUMMARY)
    with db.session() as session:
        principal = load_principal(session, book.admin_email)

        def ours() -> dict:
            rows = reconciliation.summary(session, principal, ["STATUS"], ReconciliationFilter())
            return {r["STATUS"]: r["count"] for r in rows}

        def hand() -> dict:
            return dict(session.execute(text(sql)).all())

        mine, theirs = ours(), hand()  # warm-up, and the counts compared
        ours_sw, hand_sw = common.Stopwatch(), common.Stopwatch()
        for _ in range(repeat):
            with ours_sw:
                ours()
            with hand_sw:
                hand()
    assert mine == theirs, f"the summary and the hand-written SQL differ: {mine} != {theirs}"
    counts = ", ".join(f"{status} {n:,}" for status, n in mine.items())
    print(f"   {sum(mine.values()):,} applications: {counts}")
    print("   both count the same (asserted)")
    ratio = ours_sw.ms() / hand_sw.ms()
    print(f"   reconciliationSummary  median {ours_sw.ms():8.0f} ms   min {ours_sw.ms(0):8.0f} ms")
    print(f"   hand-written SQL       median {hand_sw.ms():8.0f} ms   min {hand_sw.ms(0):8.0f} ms")
    print(f"   summary/hand = {ratio:.2f}")
    return ratio


PAGE = """query Page($first: Int!, $after: String) {
  reconciliation(first: $first, after: $after) {
    edges { node { client { id lastName } status reason policy { carrierPolicyId } } }
    pageInfo { hasNextPage endCursor }
  }
}"""


async def paging_case(book: common.BenchBook, page: int, repeat: int) -> float:
    import httpx

    from downline.server.app import create_app

    token = common.mint_token(book.admin_email)
    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        # Cursors of the reconciliation list are the clients list's: walk that one, cheaper.
        after = await keyset.cursor_before(client, token, (page - 1) * 50)
        first_sw, deep_sw = common.Stopwatch(), common.Stopwatch()
        for _ in range(repeat + 1):
            for sw, cursor in ((first_sw, None), (deep_sw, after)):
                with sw:
                    await keyset.gql(client, token, PAGE, {"first": 50, "after": cursor})
    first_sw.times.pop(0), deep_sw.times.pop(0)  # the warm-up
    ratio = deep_sw.ms() / first_sw.ms()
    print(f"   page 1        median {first_sw.ms():7.1f} ms")
    print(f"   page {page:<8,} median {deep_sw.ms():7.1f} ms   page{page}/page1 = {ratio:.2f}")
    return ratio


def export_case(book: common.BenchBook, rounds: int) -> tuple[float, float, int]:
    best, base, peak = None, None, 0.0
    sql = hand_sql(HAND_EXPORT)
    with tempfile.TemporaryDirectory(prefix="downline-bench-reconcile-") as tmp:
        for _ in range(rounds):
            run = exports.end_to_end("effectuation", book.admin_email, {})
            Path(run["path"]).unlink(missing_ok=True)
            copied = exports.baseline(sql, Path(tmp) / "hand.csv")
            print(f"   round: downline {run['total_s']:.2f}s, COPY {copied['seconds']:.2f}s")
            peak = max(peak, run["maxrss_mb"])
            best = run if best is None or run["total_s"] < best["total_s"] else best
            base = copied if base is None or copied["seconds"] < base["seconds"] else base
    assert base["lines"] - 1 == best["rows"], "the export and the hand-written SELECT differ"
    ratio = best["total_s"] / base["seconds"]
    print(f"   effectuation export {best['rows']:,} rows in {best['total_s']:.2f}s, worker peak")
    print(f"   RSS {peak:.0f} MiB; COPY of the hand-written SELECT {base['seconds']:.2f}s")
    print(f"   export/COPY = {ratio:.2f}")
    return ratio, peak, best["rows"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=common.default_clients())
    parser.add_argument("--policies", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--page", type=int, default=1000)
    args = parser.parse_args()
    common.header(
        "effectuation: summary, paging and export vs hand-written SQL of the same join",
        f"database {common.bench_url()}; {common.machine_load()}",
    )
    book = common.ensure_book(args.clients)
    print(f"   book: {book.shape} ({'reused' if book.reused else 'generated'})")
    reused, seconds = ensure_policies(args.policies)
    how = "reused" if reused else f"written in {seconds:.0f}s"
    print(f"   policies: {args.policies:,} ({how})")
    print("\n  reconciliationSummary(groupBy: [STATUS]) for the top admin")
    summary = summary_case(book, args.repeat)
    print(f"\n  reconciliation(first: 50): page 1 vs page {args.page:,}, top admin")
    paging = asyncio.run(paging_case(book, args.page, args.repeat * 5))
    print("\n  the effectuation export, top admin, end to end")
    exported, rss, rows = export_case(book, max(1, args.repeat - 1))
    print(f"\n   {common.machine_load()}")
    common.verdict(
        "reconcile",
        (f"summary/hand = {summary:.2f}", f"<= {SUMMARY_TARGET}", summary <= SUMMARY_TARGET),
        (f"page{args.page}/page1 = {paging:.2f}", f"<= {PAGE_TARGET}", paging <= PAGE_TARGET),
        (
            f"export/COPY = {exported:.2f} at {rows:,} rows",
            f"<= {EXPORT_TARGET}",
            exported <= EXPORT_TARGET,
        ),  # fmt: skip
        (f"worker peak RSS {rss:.0f} MiB", f"< {RSS_TARGET_MB} MB", rss < RSS_TARGET_MB),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
