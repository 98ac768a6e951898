"""Production summary on PostgreSQL: `production.summary(...)` grouped by AGENT, PRODUCT_TYPE and
MONTH for the top agency's admin over 5M policies, vs a hand-written GROUP BY of the same counts.

The policies: the demo book's production (core/demo/policies.py, drawn for the bench book's
agents) written once with COPY straight into `policy`, then reused: a `bench_policies` table
records how many were fully written (the book's own marker, dropped with it, says the rest).
The hand-written SQL: policy LEFT JOIN agent ON npn, GROUP BY the agent id, the product type and
the effective month, with FILTERed counts and no scope at all (the top agency's downline is the
whole book). Both run on the same engine, alternately, `--repeat` times after a warm-up; the
medians, their ratio (target <= 1.3) and an assertion that both return the same numbers.

    .venv/bin/python bench/summary.py [--policies 5000000] [--clients 1000000] [--repeat 5]
"""

import argparse
import signal
import sys
import threading
import time
from datetime import date
from queue import Queue

import common

TARGET = 1.3
GROUP_BY = ["AGENT", "PRODUCT_TYPE", "MONTH"]
DRAW = 5000  # policies drawn (and sent) at a time
HAND_SQL = """
SELECT a.id AS agent, p.product_type,
       CAST(date_trunc('month', p.effective_date) AS date) AS month,
       count(*) AS submitted,
       count(*) FILTER (WHERE p.status = 'APPROVED') AS approved,
       count(*) FILTER (WHERE p.status = 'ACTIVE') AS active,
       count(*) FILTER (WHERE p.status = 'ATTRITED') AS attrited,
       count(*) FILTER (WHERE p.status IN ('POLICY_DISENROLLMENT', 'DECEASED')) AS disenrolled
FROM policy p LEFT JOIN agent a ON a.npn = p.agent_npn
GROUP BY 1, 2, 3
ORDER BY 1 NULLS LAST, 2 NULLS LAST, 3 NULLS LAST
"""
COUNTS = ("submitted", "approved", "active", "attrited", "disenrolled")
# Not a target: the proposed fix, measured alongside. The same scope rule, applied through the
# agent the summary already joins (a policy's agency: its matched agent's, else its owner)
# instead of `npn IN (subquery) OR (owner IN (subquery) AND NOT EXISTS (…))`: no SubPlan, so
# PostgreSQL can plan hash joins and a parallel scan.
PROPOSED_SQL = """
SELECT m.id AS agent, p.product_type,
       CAST(date_trunc('month', p.effective_date) AS date) AS month,
       count(*) AS submitted,
       coalesce(sum(CASE WHEN p.status IN ('APPROVED') THEN 1 ELSE 0 END), 0) AS approved,
       coalesce(sum(CASE WHEN p.status IN ('ACTIVE') THEN 1 ELSE 0 END), 0) AS active,
       coalesce(sum(CASE WHEN p.status IN ('ATTRITED') THEN 1 ELSE 0 END), 0) AS attrited,
       coalesce(sum(CASE WHEN p.status IN ('POLICY_DISENROLLMENT', 'DECEASED') THEN 1 ELSE 0 END),
                0) AS disenrolled
FROM policy p LEFT JOIN agent m ON m.npn = p.agent_npn
WHERE (CASE WHEN m.id IS NULL THEN p.owner_agency_id ELSE m.agency_id END)
      IN (SELECT descendant_id FROM agency_closure WHERE ancestor_id = :agency)
GROUP BY 1, 2, 3
ORDER BY 1 NULLS LAST, 2 NULLS LAST, 3 NULLS LAST
"""


# ---- the policies -------------------------------------------------------------------------------


def ensure_policies(count: int) -> tuple[bool, float]:
    """`count` demo policies in `policy` (and nothing else): reused when the marker and the row
    count agree, else the table is emptied and rewritten. (reused, seconds to write)."""
    with common.raw_connect() as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (common.LOCK_KEY,))
        try:
            marker = conn.execute("SELECT to_regclass('public.bench_policies')").fetchone()[0]
            written = None
            if marker is not None:
                row = conn.execute("SELECT policies FROM bench_policies").fetchone()
                written = row[0] if row else None
            present = conn.execute("SELECT count(*) FROM policy").fetchone()[0]
            conn.commit()
            if written == count and present == count:
                return True, 0.0
            print(
                f"   writing {count:,} demo policies into policy "
                f"(it holds {present:,}; marker: {written if written is not None else 'none'}) ..."
            )
            started = time.perf_counter()
            write_policies(conn, count)
            seconds = time.perf_counter() - started
            print(f"   written in {seconds:.0f}s; VACUUM ANALYZE policy ...", flush=True)
            conn.execute("DROP TABLE IF EXISTS bench_policies")
            conn.execute("CREATE TABLE bench_policies (policies bigint, seconds float)")
            conn.execute("INSERT INTO bench_policies VALUES (%s, %s)", (count, seconds))
            conn.commit()
            conn.autocommit = True
            conn.execute("VACUUM ANALYZE policy")
            return False, time.perf_counter() - started
        finally:
            conn.rollback()
            conn.autocommit = True
            conn.execute("SELECT pg_advisory_unlock(%s)", (common.LOCK_KEY,))


def write_policies(conn, count: int) -> None:
    """Empty `policy` and COPY `count` demo policies into it (drawn in a thread ahead of the
    COPY), in one transaction."""
    from downline.core.demo.policies import Production
    from downline.core.demo.rows import Book

    book = Book(common.SEED, date.today(), common.AGENCIES, common.AGENTS)
    agents = dict(conn.execute("SELECT id, npn FROM agent").fetchall())
    drawn = {a["id"]: a["npn"] for a in book.agents}
    if drawn != agents:
        raise SystemExit("the bench book's agents are not the demo's: regenerate the book")
    production = Production(book)
    columns = list(production.chunk(0, 1)[0])
    chunks: Queue = Queue(maxsize=4)

    def draw() -> None:
        for start in range(0, count, DRAW):
            chunks.put(production.chunk(start, min(start + DRAW, count)))
        chunks.put(None)

    drawer = threading.Thread(target=draw, daemon=True)
    drawer.start()
    conn.execute("DELETE FROM policy")
    done, shown = 0, 0
    with conn.cursor() as cur, cur.copy(f"COPY policy ({', '.join(columns)}) FROM STDIN") as copy:
        while (chunk := chunks.get()) is not None:
            for row in chunk:
                copy.write_row([row[c] for c in columns])
            done += len(chunk)
            if done * 10 // count > shown:
                shown = done * 10 // count
                print(f"     policies: {done:,}/{count:,}", flush=True)
    conn.commit()
    drawer.join()


# ---- the two queries -----------------------------------------------------------------------------


def by_group(rows) -> dict:
    return {
        (r["AGENT"], r["PRODUCT_TYPE"], r["MONTH"]): tuple(int(r[c]) for c in COUNTS) for r in rows
    }


def run(args) -> dict:
    from sqlalchemy import event, text

    from downline.core import db
    from downline.core.book.scope import load_principal
    from downline.core.production import queries as production

    engine = db.get_engine()
    with db.session() as session:
        principal = load_principal(session, args.admin)
        assert principal is not None and principal.is_admin, f"no admin {args.admin}"

        def ours() -> list[dict]:
            return production.summary(session, principal, GROUP_BY, production.ProductionFilter())

        def hand(sql: str = HAND_SQL) -> list[dict]:
            rows = session.execute(text(sql), {"agency": principal.agency_id}).mappings().all()
            return [
                {"AGENT": r["agent"], "PRODUCT_TYPE": r["product_type"], "MONTH": r["month"]}
                | {c: r[c] for c in COUNTS}
                for r in rows
            ]

        captured: list[tuple[str, dict]] = []

        def capture(_conn, _cursor, statement, parameters, _context, _many) -> None:
            if "GROUP BY" in statement:
                captured.append((statement, parameters))

        event.listen(engine, "before_cursor_execute", capture)
        try:
            first_ours = ours()  # warm-up, and the rows compared
        finally:
            event.remove(engine, "before_cursor_execute", capture)
        first_hand = hand()
        proposed = by_group(hand(PROPOSED_SQL))
        mine, theirs = by_group(first_ours), by_group(first_hand)
        total = session.execute(text("SELECT count(*) FROM policy")).scalar_one()
        ours_sw, hand_sw, proposed_sw = common.Stopwatch(), common.Stopwatch(), common.Stopwatch()
        for _ in range(args.repeat):
            with ours_sw:
                ours()
            with hand_sw:
                hand()
            with proposed_sw:
                hand(PROPOSED_SQL)
        session.rollback()
    statement, parameters = captured[-1]
    return {
        "ours": ours_sw,
        "hand": hand_sw,
        "proposed": proposed_sw,
        "proposed_rows": proposed,
        "mine": mine,
        "theirs": theirs,
        "total": total,
        "statement": statement,
        "parameters": parameters,
    }


def explain(statement: str, parameters) -> list[str]:
    from downline.core import db

    with db.get_engine().connect() as conn:
        if parameters is None:
            result = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement)
        else:
            result = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
        return [row[0] for row in result.all()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--policies", type=int, default=5_000_000)
    parser.add_argument("--clients", type=int, default=common.default_clients())
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--plans", action="store_true", help="print both query plans")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    common.header(
        f"production summary by {', '.join(GROUP_BY)}: downline vs a hand-written GROUP BY",
        f"database {common.bench_url()}; {common.machine_load()}",
    )
    book = common.ensure_book(args.clients)
    print(f"   book: {book.shape} ({'reused' if book.reused else 'generated'})")
    reused, seconds = ensure_policies(args.policies)
    print(
        f"   policies: {args.policies:,} "
        f"({'reused' if reused else f'written and vacuumed in {seconds:.0f}s'})"
    )
    args.admin = book.admin_email
    result = run(args)
    mine, theirs = result["mine"], result["theirs"]
    submitted = sum(counts[0] for counts in mine.values())
    print(
        f"\n   as {book.admin_email}: {len(mine):,} groups, {submitted:,} policies counted "
        f"of {result['total']:,} in the table"
    )
    assert mine == theirs, (
        f"the summary and the hand-written SQL differ: {len(mine.keys() ^ theirs.keys())} "
        f"groups on one side only, "
        f"{sum(mine[k] != theirs[k] for k in mine.keys() & theirs.keys())} with other counts"
    )
    assert submitted == result["total"], "the top admin's summary misses policies"
    print("   both return the same groups and counts (asserted)")
    assert result["proposed_rows"] == mine, "the proposed scope SQL counts differently"
    ours, hand, proposed = result["ours"], result["hand"], result["proposed"]
    ratio = ours.ms() / hand.ms()
    print(f"\n   {args.repeat} runs each, alternating, after one warm-up run of each")
    print(f"   production.summary   median {ours.ms():8.1f} ms   min {ours.ms(0):8.1f} ms")
    print(f"   hand-written SQL     median {hand.ms():8.1f} ms   min {hand.ms(0):8.1f} ms")
    print(f"   summary/hand = {ratio:.2f} (of the minimums: {ours.ms(0) / hand.ms(0):.2f})")
    print(
        f"   not a target: the proposed scope-through-the-join SQL (same numbers, asserted): "
        f"median {proposed.ms():.1f} ms = {proposed.ms() / hand.ms():.2f} x the hand-written"
    )
    print(f"   {common.machine_load()}")
    if args.plans or ratio > TARGET:
        for label, statement, params in (
            ("production.summary", result["statement"], result["parameters"]),
            ("hand-written SQL", HAND_SQL, None),
        ):
            print(f"\n   EXPLAIN ANALYZE, {label}:")
            if params is not None:
                print("     " + " ".join(statement.split()))
            for line in explain(statement, params):
                print(f"     {line}")
    common.verdict(
        "summary",
        (f"summary/hand-written = {ratio:.2f}", f"<= {TARGET}", ratio <= TARGET),
        ("same numbers", "asserted", True),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
