"""Production summaries and carrier freshness on PostgreSQL, for the top agency's admin over the
bench book's policies (bench/policies.py; 5M by default), each against hand-written SQL of the
same numbers in the same run:

1. `production.summary` grouped by AGENT, PRODUCT_TYPE and MONTH vs a GROUP BY over policy LEFT
   JOIN agent ON npn (target <= 1.3);
2. grouped by DOWNLINE and MONTH over a 10-level tree vs a GROUP BY over the closure table
   (target <= 1.3). The bench book's tree is the demo's, 4 levels deep: inside the measuring
   transaction (rolled back at the end, so the book stays as it was) its agencies are re-parented
   into a chain 10 levels deep and the closure rebuilt, as a load would;
3. `freshness.carrier_freshness` vs one statement (target <= 1.5), over a SUCCEEDED report of
   every installed carrier uploaded by the top agency (inserted in the same transaction), as of
   7 to 35 days ago, so that part of each carrier's policies was last seen before its report.

The book lives in a database of its own (`downline_bench_summary`, unless
DOWNLINE_BENCH_DATABASE_URL says otherwise): its millions of policies would otherwise stay in the
book the other benchmarks share, and bench/load.py, run after it, would measure another book.

The hand-written SQL applies the same scope (the top agency's tenant and downline) in the plainest
joins. Each pair runs alternately `--repeat` times after a warm-up: the medians, their ratio and an
assertion that both return the same numbers; a missed target (or --plans) prints both plans.

    .venv/bin/python bench/summary.py [--policies 5000000] [--clients 1000000] [--repeat 5]
"""

import argparse
import os
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import common
import policies

os.environ.setdefault(common.URL_ENV, common.sibling_url(common.DEFAULT_URL, "summary"))

LEVELS = 10  # the deepest tree the hierarchy allows
COUNTS = ("submitted", "approved", "active", "attrited", "disenrolled")
_MONTH = "CAST(date_trunc('month', p.effective_date) AS date)"
_COUNTS = """count(*) AS submitted,
       count(*) FILTER (WHERE p.status = 'APPROVED') AS approved,
       count(*) FILTER (WHERE p.status = 'ACTIVE') AS active,
       count(*) FILTER (WHERE p.status = 'ATTRITED') AS attrited,
       count(*) FILTER (WHERE p.status IN ('POLICY_DISENROLLMENT', 'DECEASED')) AS disenrolled"""
BY_AGENT_SQL = f"""
SELECT a.id AS agent, p.product_type, {_MONTH} AS month, {_COUNTS}
FROM policy p LEFT JOIN agent a ON a.npn = p.agent_npn
GROUP BY 1, 2, 3
ORDER BY 1 NULLS LAST, 2 NULLS LAST, 3 NULLS LAST
"""
# The line: the root's child above the policy's agency (one step below the root), or the agent
# when its agency is the root itself; unmatched policies (no agent) in a line of their own.
BY_LINE_SQL = f"""
SELECT head.ancestor_id AS line_agency, CASE WHEN below.depth = 0 THEN m.id END AS line_agent,
       {_MONTH} AS month, {_COUNTS}
FROM policy p
LEFT JOIN agent m ON m.npn = p.agent_npn
JOIN agency_closure below
  ON below.ancestor_id = :root AND below.descendant_id = coalesce(m.agency_id, p.owner_agency_id)
LEFT JOIN agency_closure head
  ON m.id IS NOT NULL AND head.descendant_id = m.agency_id AND head.depth = below.depth - 1
WHERE p.tenant_id = :tenant
GROUP BY 1, 2, 3
ORDER BY 1 NULLS LAST, 2 NULLS LAST, 3 NULLS LAST
"""
FRESHNESS_SQL = """
WITH latest AS (
  SELECT carrier, max(as_of) AS as_of, max(uploaded_at) AS uploaded_at
  FROM carrier_report
  WHERE status = 'SUCCEEDED'
    AND uploader_agency_id IN (SELECT descendant_id FROM agency_closure WHERE ancestor_id = :root)
  GROUP BY carrier
)
SELECT p.carrier, l.as_of, l.uploaded_at, count(*) AS policies,
       count(*) FILTER (WHERE p.last_seen_as_of < l.as_of) AS not_seen
FROM policy p
LEFT JOIN agent m ON m.npn = p.agent_npn
LEFT JOIN latest l ON l.carrier = p.carrier
WHERE p.tenant_id = :tenant
  AND coalesce(m.agency_id, p.owner_agency_id)
      IN (SELECT descendant_id FROM agency_closure WHERE ancestor_id = :root)
GROUP BY 1, 2, 3
"""


@dataclass
class Case:
    name: str
    target: float
    ours: Callable[[], dict]  # the numbers, keyed by group
    hand: Callable[[], dict]  # the same numbers from the hand-written SQL
    hand_sql: str
    ours_sw: common.Stopwatch = field(default_factory=common.Stopwatch)
    hand_sw: common.Stopwatch = field(default_factory=common.Stopwatch)
    mine: dict = field(default_factory=dict)  # ours' numbers, from the warm-up
    theirs: dict = field(default_factory=dict)
    plans: list[tuple[str, list[str]]] = field(default_factory=list)  # (whose, EXPLAIN lines)

    @property
    def ratio(self) -> float:
        return self.ours_sw.ms() / self.hand_sw.ms()


def counts(row) -> tuple[int, ...]:
    return tuple(int(row[c]) for c in COUNTS)


def deepen(session, levels: int) -> int:
    """Re-parent the book's agencies into a chain `levels` deep below the top (the others keep
    their parents, so they hang below it) and rebuild the closure; the tree's depth after."""
    from sqlalchemy import select, text, update

    from downline.core.book.hierarchy import rebuild_closure
    from downline.core.models import Agency

    ids = session.scalars(select(Agency.id).order_by(Agency.parent_id.is_not(None), Agency.id))
    chain = list(ids)[:levels]
    for parent, child in zip(chain, chain[1:], strict=False):
        session.execute(update(Agency).where(Agency.id == child).values(parent_id=parent))
    rebuild_closure(session)
    return session.execute(text("SELECT max(depth) + 1 FROM agency_closure")).scalar_one()


def add_reports(session, agency_id: str) -> int:
    """A SUCCEEDED report of every installed carrier, uploaded by the agency, as of 7 to 35 days
    ago; how many."""
    from downline.core import plugins
    from downline.core.models import CarrierReport, utcnow

    now = utcnow()
    for i, carrier in enumerate(plugins.installed_parsers()):
        session.add(
            CarrierReport(
                carrier=carrier,
                filename=f"bench-{carrier}.csv",
                storage_key="bench",
                as_of=now.date() - timedelta(days=7 + i * 7 % 29),
                status="SUCCEEDED",
                uploader_agency_id=agency_id,
                uploaded_at=now - timedelta(hours=i),
            )
        )
    session.flush()
    return len(plugins.installed_parsers())


def cases(session, principal) -> list[Case]:
    from sqlalchemy import text

    from downline.core import plugins
    from downline.core.production import freshness
    from downline.core.production import queries as production

    everything = production.ProductionFilter()
    keys = {"root": principal.agency_id, "tenant": principal.tenant_id}
    carriers = list(plugins.installed_parsers())

    def hand(sql: str) -> list:
        return session.execute(text(sql), keys).mappings().all()

    def by_agent() -> dict:
        rows = production.summary(
            session, principal, ["AGENT", "PRODUCT_TYPE", "MONTH"], everything
        )
        return {(r["AGENT"], r["PRODUCT_TYPE"], r["MONTH"]): counts(r) for r in rows}

    def by_line() -> dict:
        rows = production.summary(session, principal, ["DOWNLINE", "MONTH"], everything)
        return {(*r["DOWNLINE"], r["MONTH"]): counts(r) for r in rows}

    def fresh() -> dict:
        rows = freshness.carrier_freshness(session, principal, carriers)
        return {
            r.carrier: (
                r.last_report_as_of,
                r.last_uploaded_at,
                r.policies,
                r.not_seen_in_last_report,
            )
            for r in rows
            if r.policies
        }

    return [
        Case(
            "summary by AGENT, PRODUCT_TYPE, MONTH",
            1.3,
            by_agent,
            lambda: {
                (r["agent"], r["product_type"], r["month"]): counts(r) for r in hand(BY_AGENT_SQL)
            },
            BY_AGENT_SQL,
        ),
        Case(
            f"summary by DOWNLINE, MONTH ({LEVELS}-level tree)",
            1.3,
            by_line,
            lambda: {
                (r["line_agency"], r["line_agent"], r["month"]): counts(r)
                for r in hand(BY_LINE_SQL)
            },
            BY_LINE_SQL,
        ),
        Case(
            "carrierFreshness",
            1.5,
            fresh,
            lambda: {
                r["carrier"]: (r["as_of"], r["uploaded_at"], r["policies"], r["not_seen"])
                for r in hand(FRESHNESS_SQL)
            },
            FRESHNESS_SQL,
        ),
    ]


def run(args) -> tuple[list[Case], dict]:
    """Every case measured in one transaction (rolled back: the deeper tree and the reports are
    the bench's alone); the cases and what the run found (the total, the tree, each case's
    numbers)."""
    from sqlalchemy import event, text

    from downline.core import db
    from downline.core.book.scope import load_principal

    engine = db.get_engine()
    found: dict = {}
    with db.session() as session:
        principal = load_principal(session, args.admin)
        assert principal is not None and principal.is_admin, f"no admin {args.admin}"
        found["levels_before"] = session.execute(
            text("SELECT max(depth) + 1 FROM agency_closure")
        ).scalar_one()
        found["levels"] = deepen(session, LEVELS)
        found["reports"] = add_reports(session, principal.agency_id)
        found["total"] = session.execute(text("SELECT count(*) FROM policy")).scalar_one()
        measured = cases(session, principal)
        captured: list[tuple[str, dict]] = []

        def capture(_conn, _cursor, statement, parameters, _context, _many) -> None:
            if "FROM policy" in statement:
                captured.append((statement, parameters))

        for case in measured:
            event.listen(engine, "before_cursor_execute", capture)
            try:
                case.mine = case.ours()  # warm-up, and the numbers compared
            finally:
                event.remove(engine, "before_cursor_execute", capture)
            case.theirs = case.hand()
            for _ in range(args.repeat):
                with case.ours_sw:
                    case.ours()
                with case.hand_sw:
                    case.hand()
            if args.plans or case.ratio > case.target:
                statement, parameters = captured[-1]  # the one reading the policies
                explain = "EXPLAIN (ANALYZE, BUFFERS) "
                ours = session.connection().exec_driver_sql(explain + statement, parameters)
                keys = {"root": principal.agency_id, "tenant": principal.tenant_id}
                hand = session.execute(text(explain + case.hand_sql), keys)
                case.plans = [
                    ("downline", [row[0] for row in ours]),
                    ("hand-written", [row[0] for row in hand]),
                ]
        session.rollback()
    return measured, found


def check(case: Case, found: dict) -> None:
    """Both sides agree, and they count what they should."""
    assert case.mine == case.theirs, (
        f"{case.name}: ours and the hand-written SQL differ: "
        f"{len(case.mine.keys() ^ case.theirs.keys())} groups on one side only, "
        f"{sum(case.mine[k] != case.theirs[k] for k in case.mine.keys() & case.theirs.keys())} "
        "with other numbers"
    )
    if case.name.startswith("carrierFreshness"):
        assert sum(v[2] for v in case.mine.values()) == found["total"], "freshness misses policies"
        assert 0 < sum(v[3] for v in case.mine.values()) < found["total"], "nothing left out"
    else:
        assert sum(v[0] for v in case.mine.values()) == found["total"], f"{case.name} misses some"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--policies", type=int, default=5_000_000)
    parser.add_argument("--clients", type=int, default=common.default_clients())
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--plans", action="store_true", help="print both query plans")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    common.header(
        "production summaries and carrier freshness: downline vs hand-written SQL",
        f"database {common.bench_url()}; {common.machine_load()}",
    )
    book = common.ensure_book(args.clients)
    print(f"   book: {book.shape} ({'reused' if book.reused else 'generated'})")
    reused, seconds = policies.ensure_policies(args.policies)
    print(
        f"   policies: {args.policies:,} "
        f"({'reused' if reused else f'written and vacuumed in {seconds:.0f}s'})"
    )
    args.admin = book.admin_email
    measured, found = run(args)
    print(
        f"   tree: {found['levels_before']} levels in the book, {found['levels']} while measured; "
        f"{found['reports']} carrier reports added; {found['total']:,} policies"
    )
    print(f"\n   as {book.admin_email}, {args.repeat} runs each, alternating, after a warm-up")
    for case in measured:
        check(case, found)
        ours, hand = case.ours_sw, case.hand_sw
        print(f"\n   {case.name}: {len(case.mine):,} groups, same numbers (asserted)")
        print(f"     downline          median {ours.ms():8.1f} ms   min {ours.ms(0):8.1f} ms")
        print(f"     hand-written SQL  median {hand.ms():8.1f} ms   min {hand.ms(0):8.1f} ms")
        print(
            f"     downline/hand = {case.ratio:.2f} (of the minimums: "
            f"{ours.ms(0) / hand.ms(0):.2f}; target <= {case.target})"
        )
        for label, plan in case.plans:
            print(f"\n     EXPLAIN ANALYZE, {label}:")
            for line in plan:
                print(f"       {line}")
    print(f"\n   {common.machine_load()}")
    common.verdict(
        "summary",
        *(
            (f"{case.name}: {case.ratio:.2f}", f"<= {case.target}", case.ratio <= case.target)
            for case in measured
        ),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
