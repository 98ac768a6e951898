"""Carrier report ingest on PostgreSQL: a generated Humana CSV through downline's whole path vs
raw COPY + one upsert of the same rows, in the same run.

(a) downline: `uploads.create_report(...)` (stores the raw file) then `ingesting.run_report(...)`
    as the operator (principal None), in a child process: rows/s, wall time, and where the time
    went (parse / stage / upsert, from timers wrapped around core's functions in the child).
(b) baseline: the same rows parsed once beforehand (untimed) into a CSV of the staging columns,
    loaded with psycopg `COPY` into a temporary staging table, then ONE
    `INSERT … ON CONFLICT (tenant_id, carrier, carrier_policy_id) DO UPDATE … WHERE <changed>`
    into `policy`, each row in the tenant downline puts it in (the book's, or held: unmatched).
    The bench's policies are deleted (and the table vacuumed) between runs, so both insert.
(c) peak RSS of the ingest child (wait4's ru_maxrss) at --rows and at --rows/10: flat, < 300 MB.
Then re-ingests of the same file, for downline and the baseline: as of the same day (every row
unchanged: nothing is written), and as of a later day (every row unchanged but seen anew: each
row's last_seen_as_of moves, so each is rewritten). When a target is missed, a 200k-row run
under cProfile says where the time goes.

The file: `--rows` deterministic rows (a smaller file is a prefix of a bigger one), policy ids
`HBN…` (apart from the demo book's `HUM…`), NPNs of the book's agents plus a few that match no
agent (~1% of rows). Every row this script writes is deleted before it ends.

    .venv/bin/python bench/ingest.py [--rows 1000000] [--clients 1000000] [--no-profile]
"""

import argparse
import signal
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import common
from ingest_file import (
    CARRIER,
    ID_PREFIX,
    UNMATCHED,
    UNMATCHED_RATE,
    baseline,
    normalize,
    write_humana,
)

RATIO_TARGET = 1.6
RATE_TARGET = 100_000  # rows/s
RSS_TARGET_MB = 300
PROFILE_ROWS = 200_000
FILENAME = "bench-humana-{rows}.csv"
# The parts of run_report timed in the child, on the ingest's own thread, each without the
# parts timed inside it; the rest is the parse (CarrierFormat.parse driven by _batches).
# Indented: the chunks upserted on the background thread while the parse went on, and what
# DISTINCT ON took of all the upserts (for information: they overlap the rest).
STEPS = (
    "NPN check",
    "stage (rows + COPY)",
    "wait for a chunk, COPY rows parsed meanwhile",
    "last upsert (dedupe + upsert, counted by its RETURNING)",
    "  chunk upserts in the background",
    "  of which DISTINCT ON",
    "progress/heartbeat",
    "store row errors",
)
BACKGROUND = "  chunk upserts in the background"


# ---- downline's path, in a child process --------------------------------------------------------


def child(path: Path, profile: Path | None, as_of: date | None) -> None:
    """Run downline's ingest of `path` as the operator, as of `as_of` (default today); hand back
    its timings and counts."""
    common.use_bench_database()
    from downline.core import db, plugins
    from downline.core.carriers import run as ingesting
    from downline.core.carriers import uploads
    from downline.core.carriers.staging import Staging
    from downline.core.config import get_settings
    from downline.core.storage import LocalStorage, get_storage

    spent: dict[str, float] = {}
    nested: list[float] = []  # the main thread's open timers: time spent in timers inside them

    def timed(owner, name: str, label: str) -> None:
        original = getattr(owner, name)

        def wrapper(*args, **kwargs):
            main = threading.current_thread() is threading.main_thread()
            own = label if main or label.startswith(" ") else BACKGROUND
            exclusive = main and not own.startswith(" ")
            started = time.perf_counter()
            if exclusive:
                nested.append(0.0)
            try:
                return original(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - started
                inner = nested.pop() if exclusive else 0.0
                if exclusive and nested:
                    nested[-1] += elapsed
                spent[own] = spent.get(own, 0.0) + elapsed - inner

        setattr(owner, name, wrapper)

    timed(LocalStorage, "put", "store raw file")
    timed(Staging, "add", "stage (rows + COPY)")
    timed(Staging, "wait", "wait for a chunk, COPY rows parsed meanwhile")
    timed(Staging, "_upsert_chunk", "last upsert (dedupe + upsert, counted by its RETURNING)")
    timed(Staging, "_last_per_policy", "  of which DISTINCT ON")
    timed(ingesting, "_in_book", "NPN check")
    timed(ingesting, "_progress", "progress/heartbeat")
    timed(ingesting, "_store_errors", "store row errors")

    parsers = plugins.installed_parsers()
    storage = get_storage(get_settings())
    with db.session() as session:  # warm: the pool's first connection, the mappers
        session.connection().exec_driver_sql("SELECT 1")
    started = time.perf_counter()
    with db.session() as session, path.open("rb") as stream:
        report = uploads.create_report(
            session,
            storage,
            None,
            filename=path.name,
            stream=stream,
            carrier=CARRIER,
            as_of=as_of,
            parsers=parsers,
        )
    created = time.perf_counter()
    with common.profiled(profile):
        done = ingesting.run_report(report.id, storage, parsers)
        finished = time.perf_counter()
    common.child_result(
        {
            "report_id": report.id,
            "status": done.status,
            "error": done.error,
            "read": done.rows_read,
            "rejected": done.rows_rejected,
            "inserted": done.rows_inserted,
            "updated": done.rows_updated,
            "unchanged": done.rows_unchanged,
            "unmatched_npns": len(done.unmatched_npns),
            "create_s": created - started,
            "run_s": finished - created,
            "total_s": finished - started,
            "spent": spent,
        }
    )


def downline(
    path: Path, label: str, profile: Path | None = None, as_of: date | None = None
) -> dict:
    args = [str(Path(__file__).resolve()), "--child", str(path)]
    if as_of is not None:
        args += ["--as-of", as_of.isoformat()]
    if profile is not None:
        args += ["--profile", str(profile)]
    result = common.run_child(args)
    if result["status"] != "SUCCEEDED":
        raise SystemExit(f"{label}: the report {result['status']}: {result['error']}")
    rate = result["read"] / result["total_s"]
    print(
        f"  {label:<34} {result['total_s']:7.2f}s = {rate:9,.0f} rows/s   "
        f"(create_report {result['create_s']:.2f}s + run_report {result['run_s']:.2f}s)   "
        f"peak RSS {result['maxrss_mb']:.0f} MiB"
    )
    print(
        f"  {'':<34} read {result['read']:,}, inserted {result['inserted']:,}, "
        f"updated {result['updated']:,}, unchanged {result['unchanged']:,}, "
        f"rejected {result['rejected']:,}, unmatched NPNs {result['unmatched_npns']}"
    )
    spent = result["spent"]
    parts = {k: spent.get(k, 0.0) for k in STEPS}
    parse = result["run_s"] - sum(s for k, s in parts.items() if not k.startswith(" "))
    shown = ", ".join(f"{k.strip()} {s:.2f}s" for k, s in parts.items())
    print(f"  {'':<34} run_report: parse + batching {parse:.2f}s, {shown}")
    result["rate"] = rate
    result["parse_s"] = parse
    return result


def show_baseline(label: str, result: dict, rows: int) -> None:
    rate = rows / result["total_s"]
    print(
        f"  {label:<34} {result['total_s']:7.2f}s = {rate:9,.0f} rows/s   "
        f"(COPY {result['copy_s']:.2f}s + upsert {result['upsert_s']:.2f}s; "
        f"{result['written']:,} rows written)"
    )


# ---- housekeeping -------------------------------------------------------------------------------


def sql(statement: str, params: dict | None = None, autocommit: bool = False):
    with common.raw_connect(autocommit=autocommit) as conn:
        cur = conn.execute(statement, params)
        rows = cur.fetchall() if cur.description else cur.rowcount
        conn.commit()
        return rows


def clean(vacuum: bool = True) -> None:
    """Delete the bench's policies and reports, then VACUUM ANALYZE policy and CHECKPOINT, so
    the next run starts from the same table."""
    sql(
        "DELETE FROM policy WHERE carrier = %(c)s AND carrier_policy_id LIKE %(p)s",
        {"c": CARRIER, "p": f"{ID_PREFIX}%"},
    )
    reports = {"f": "bench-humana-%"}
    sql(
        "DELETE FROM carrier_report_error WHERE report_id IN "
        "(SELECT id FROM carrier_report WHERE filename LIKE %(f)s)",
        reports,
    )
    sql("DELETE FROM carrier_report WHERE filename LIKE %(f)s", reports)
    if vacuum:
        sql("VACUUM ANALYZE policy", autocommit=True)
    sql("CHECKPOINT", autocommit=True)


PROFILE_PARTS = {
    ("carrier.py", "parse"): "parse: CarrierFormat.parse (rows + to_record)",
    ("rows.py", "rows"): "  csv rows: Delimited.rows",
    ("records.py", "to_record"): "  records: to_record",
    ("records.py", "_date"): "    dates (cached per report)",
    ("statuses.py", "resolve"): "    statuses",
    ("staging.py", "add"): "stage: Staging.add",
    ("staging.py", "_row"): "  Staging._row (tuples, time-ordered ids)",
    ("staging.py", "apply"): "apply: Staging.apply (the last chunk's upsert)",
    ("ingesting.py", "_in_book"): "NPN check: _in_book",
    ("ingesting.py", "_progress"): "progress: _progress",
}


# ---- main ---------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=common.default_clients())
    parser.add_argument("--no-profile", action="store_true", help="no cProfile run on a miss")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--as-of", type=date.fromisoformat, help=argparse.SUPPRESS)
    parser.add_argument("--profile", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.profile, args.as_of)
        return 0
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    common.header(
        f"carrier ingest: a {args.rows:,}-row Humana CSV, downline vs COPY + one upsert",
        f"database {common.bench_url()}; {common.machine_load()}",
    )
    book = common.ensure_book(args.clients)
    print(f"   book: {book.shape} ({'reused' if book.reused else 'generated'})")
    policies = sql("SELECT count(*) FROM policy")[0][0]
    print(f"   policy table: {policies:,} rows before the runs")
    npns = [row[0] for row in sql("SELECT npn FROM agent ORDER BY npn")]
    (tenant,) = sql("SELECT id FROM agency WHERE parent_id IS NULL")[0]  # the demo book: one
    assert not set(UNMATCHED) & set(npns), "an 'unmatched' NPN belongs to an agent"
    as_of = datetime.now(UTC).date()  # the report's own default as-of, which the child takes
    small_rows = max(1, args.rows // 10)
    try:
        with tempfile.TemporaryDirectory(prefix="downline-bench-ingest-") as tmp:
            work = Path(tmp)
            full = work / FILENAME.format(rows=args.rows)
            small = work / FILENAME.format(rows=small_rows)
            started = time.perf_counter()
            size = write_humana(full, args.rows, npns, as_of)
            write_humana(small, small_rows, npns, as_of)
            print(
                f"   file: {args.rows:,} rows, {size / 2**20:.0f} MiB, {len(npns)} agents' NPNs "
                f"+ {len(UNMATCHED)} unmatched (~{UNMATCHED_RATE:.0%} of rows); "
                f"written in {time.perf_counter() - started:.1f}s"
            )
            normalized = work / "normalized.csv"
            records, rejected, parse_s = normalize(full, normalized, as_of, tenant)
            print(
                f"   parsed once for the baseline (untimed): {records:,} records, {rejected:,} "
                f"rejected; the parser alone takes {parse_s:.1f}s "
                f"= {args.rows / parse_s:,.0f} rows/s"
            )
            clean()

            print("\n(b) baseline, then (a) downline, each inserting into the same table")
            base = baseline(normalized, as_of)
            show_baseline("baseline COPY + upsert (insert)", base, args.rows)
            clean()
            ours = downline(full, "downline create+run (insert)")
            print("\nre-ingest of the same file (every row unchanged)")
            again = downline(full, "downline create+run (unchanged)")
            base_again = baseline(normalized, as_of)
            show_baseline("baseline COPY + upsert (unchanged)", base_again, args.rows)
            print("\nthe same file as of the next day (every row unchanged, each seen anew)")
            next_day = as_of + timedelta(days=1)
            seen = downline(full, "downline create+run (seen anew)", as_of=next_day)
            # A day later again: the rows are downline's now, as of the next day already.
            base_seen = baseline(normalized, next_day + timedelta(days=1))
            show_baseline("baseline COPY + upsert (seen anew)", base_seen, args.rows)
            clean()

            print(f"\n(c) peak RSS at {small_rows:,} rows (the same rows' first tenth)")
            tenth = downline(small, f"downline create+run ({small_rows:,} rows)")
            clean(vacuum=False)

            ratio = ours["total_s"] / base["total_s"]
            rate = ours["rate"]
            rss = max(ours["maxrss_mb"], again["maxrss_mb"])
            print(
                f"\n  downline/baseline = {ratio:.2f}  (run_report alone: "
                f"{ours['run_s'] / base['total_s']:.2f}; re-ingest: "
                f"{again['total_s'] / base_again['total_s']:.2f}; seen anew: "
                f"{seen['total_s'] / base_seen['total_s']:.2f})"
            )
            print(
                f"  downline rows/s = {rate:,.0f}; the baseline's own = "
                f"{args.rows / base['total_s']:,.0f} (the server's ceiling for this table)"
            )
            print(
                f"  peak RSS {rss:.0f} MiB at {args.rows:,} rows, "
                f"{tenth['maxrss_mb']:.0f} MiB at {small_rows:,} rows"
            )
            missed = ratio > RATIO_TARGET or rate < RATE_TARGET
            if missed and not args.no_profile:
                rows = min(PROFILE_ROWS, args.rows)
                sample = work / FILENAME.format(rows=rows)
                write_humana(sample, rows, npns, as_of)
                print(f"\nprofile: run_report on {rows:,} rows under cProfile")
                stats = work / "ingest.prof"
                downline(sample, f"downline under cProfile ({rows:,})", profile=stats)
                clean(vacuum=False)
                common.print_profile(stats, PROFILE_PARTS)
    finally:
        clean(vacuum=False)
    common.verdict(
        "ingest",
        (f"downline/baseline = {ratio:.2f}", f"<= {RATIO_TARGET:g}", ratio <= RATIO_TARGET),
        (f"{rate:,.0f} rows/s", f">= {RATE_TARGET:,}", rate >= RATE_TARGET),
        (
            f"peak RSS {rss:.0f} MiB ({tenth['maxrss_mb']:.0f} MiB at a tenth)",
            f"< {RSS_TARGET_MB} MB",
            rss < RSS_TARGET_MB,
        ),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
