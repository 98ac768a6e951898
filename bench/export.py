"""Exports on PostgreSQL, end to end, vs `COPY (SELECT …) TO STDOUT WITH CSV HEADER` of the very
same SELECT in the same run.

End to end (in a child process, so the worker's peak RSS is its own): `exporting.request_export`
(checks, the QUEUED row, committed) then `exporting.run_export` synchronously (claim, count,
stream the rows, format every cell, CSV in a temp file, into storage, SUCCEEDED): the time from
the request to SUCCEEDED. Baseline: the export's Select (`exporting.export_query`, the same
requester and params) rendered with its bound values, run through psycopg's `cursor.copy(...)`
into a file. Printed: rows, MB, seconds and rows/s of both, their ratio (targets: <= 1.3 for the
~614k-row export, <= 1.5 for the agent user's ~111k-row `clients`), and the worker's peak RSS at
~1M and ~100k rows (target < 200 MB, flat).

The big export is `enrollments` requested by the top agency's admin (`clients` is an AGENT-scope
type: an agent user's book is ~100k rows at most): every client of the downline on the
Marketplace, archived and unsubmitted ones included (~614k rows of the 1M-client book). The
~100k-row ones: `enrollments` for the agent with the biggest book (`agentIds`), and `clients`
requested by that agent's user. Each case runs --rounds times, downline and COPY in turn, and
each side's best time counts: on a shared machine the fastest run is the least disturbed one, for
both. When the ratio is missed: the smallest case under cProfile.

    .venv/bin/python bench/export.py [--clients 1000000] [--rounds 2] [--only enrollments-all ...]
"""

import argparse
import json
import signal
import sys
import tempfile
import time
from pathlib import Path

import common

RATIO_TARGET = 1.3  # the biggest export
SMALL_RATIO_TARGET = 1.5  # the agent user's clients export (~111k rows): its fixed cost shows
SMALL_CASE = "clients-agent"
RSS_TARGET_MB = 200
PROFILE_PARTS = {
    ("exporting.py", "run_export"): "run_export",
    ("exporting.py", "_write"): "  _write: the file, header to last row",
    ("export_copy.py", "write"): "    COPY (PostgreSQL formats every cell)",
    ("_copy.py", "__iter__"): "      of which psycopg hands over the rows",
    ("export_copy.py", "_flush"): "      of which CRLF, file + sha256",
    ("exporting.py", "write_rows"): "    the Python writer (when COPY cannot spell a column)",
    ("storage.py", "move_file"): "  storage.move_file (into storage)",
}
EVERYTHING = {
    "includeUnsubmitted": True,
    "includeArchived": True,
    "includeThreeWayCallResolved": True,
}


# ---- downline's path, in a child process -------------------------------------------------------


def child(type_key: str, email: str, params: dict, profile: Path | None) -> None:
    common.use_bench_database()
    from downline.core import db, plugins
    from downline.core.book.scope import load_principal
    from downline.core.config import get_settings
    from downline.core.errors import DownlineError
    from downline.core.exports import run as exporting
    from downline.core.storage import get_storage

    types = plugins.installed_export_types()
    storage = get_storage(get_settings())
    with db.session() as session:
        principal = load_principal(session, email)
        session.connection().exec_driver_sql("SELECT 1")  # warm: the pool's first connection
    started = time.perf_counter()
    try:
        with db.session() as session:
            export = exporting.request_export(session, principal, type_key, params, types)
    except DownlineError as refusal:
        common.child_result({"status": "REFUSED", "error": refusal.message})
        return
    requested = time.perf_counter()
    with common.profiled(profile):
        done = exporting.run_export(export.id, storage, types, plugins.notify_export_ready)
        finished = time.perf_counter()
    common.child_result(
        {
            "export_id": export.id,
            "status": done.status,
            "error": done.error,
            "rows": done.rows_written,
            "bytes": done.byte_size,
            "request_s": requested - started,
            "run_s": finished - requested,
            "total_s": finished - started,
            "path": str(storage.root / done.storage_key) if done.storage_key else None,
        }
    )


def end_to_end(type_key: str, email: str, params: dict, profile: Path | None = None) -> dict:
    args = [str(Path(__file__).resolve()), "--child", type_key, email, json.dumps(params)]
    if profile is not None:
        args += ["--profile", str(profile)]
    result = common.run_child(args)
    if result["status"] not in ("SUCCEEDED", "REFUSED"):
        raise SystemExit(f"the {type_key} export {result['status']}: {result['error']}")
    return result


# ---- the baseline: COPY (SELECT …) TO STDOUT -------------------------------------------------


def export_sql(type_key: str, email: str, params: dict) -> str:
    """The export's SELECT with its bound values inlined (psycopg's own quoting)."""
    import psycopg

    from downline.core import db, plugins
    from downline.core.book.scope import load_principal
    from downline.core.exports import run as exporting
    from downline.core.exports.params import validate

    export_type = plugins.installed_export_types()[type_key]
    engine = db.get_engine()
    with db.session() as session:
        principal = load_principal(session, email)
        query = exporting.export_query(
            session, export_type, principal, validate(export_type, params)
        )
    compiled = query.compile(dialect=engine.dialect, compile_kwargs={"render_postcompile": True})
    with common.raw_connect() as conn:
        return psycopg.ClientCursor(conn).mogrify(str(compiled), compiled.params)


def baseline(sql: str, target: Path) -> dict:
    started = time.perf_counter()
    with (
        common.raw_connect() as conn,
        conn.cursor() as cur,
        target.open("wb") as out,
        cur.copy(f"COPY ({sql}) TO STDOUT WITH CSV HEADER") as copy,
    ):
        for block in copy:
            out.write(block)
    seconds = time.perf_counter() - started
    with target.open("rb") as written:
        lines = sum(block.count(b"\n") for block in iter(lambda: written.read(1 << 20), b""))
    return {"seconds": seconds, "bytes": target.stat().st_size, "lines": lines}


# ---- main --------------------------------------------------------------------------------------


def cases(book: common.BenchBook) -> list[tuple[str, str, str, dict]]:
    """(name, export type, requester, params)."""
    with common.raw_connect() as conn:
        agent_id = conn.execute(
            'SELECT agent_id FROM "user" WHERE email = %s', (book.agent_email,)
        ).fetchone()[0]
    return [
        ("enrollments-all", "enrollments", book.admin_email, dict(EVERYTHING)),
        (
            "enrollments-agent",
            "enrollments",
            book.admin_email,
            EVERYTHING | {"agentIds": [agent_id]},
        ),
        ("clients-agent", "clients", book.agent_email, dict(EVERYTHING)),
    ]


def measure(
    name: str, type_key: str, email: str, params: dict, work: Path, rounds: int
) -> dict | None:
    print(f"\n  {name}: {type_key} as {email}, params {json.dumps(params)}")
    sql, ours, base, peak = None, None, None, 0.0
    for _ in range(rounds):
        run = end_to_end(type_key, email, params)
        if run["status"] == "REFUSED":
            print(f"    refused, not measured: {run['error']}")
            return None
        Path(run["path"]).unlink(missing_ok=True)  # the stored export file: not kept
        sql = sql or export_sql(type_key, email, params)
        copied = baseline(sql, work / f"{name}-copy.csv")
        (work / f"{name}-copy.csv").unlink(missing_ok=True)
        print(f"    round: downline {run['total_s']:.2f}s, COPY {copied['seconds']:.2f}s")
        peak = max(peak, run["maxrss_mb"])
        if ours is None or run["total_s"] < ours["total_s"]:
            ours = run
        if base is None or copied["seconds"] < base["seconds"]:
            base = copied
    ours["maxrss_mb"] = peak  # the worst of the rounds
    rows, mb = ours["rows"], ours["bytes"] / 2**20
    ratio = ours["total_s"] / base["seconds"]
    print(
        f"    downline  {rows:>9,} rows {mb:7.1f} MB {ours['total_s']:7.2f}s "
        f"= {rows / ours['total_s']:9,.0f} rows/s   (request {ours['request_s']:.2f}s + "
        f"run_export {ours['run_s']:.2f}s)   worker peak RSS {ours['maxrss_mb']:.0f} MiB"
    )
    copied = base["lines"] - 1
    print(
        f"    COPY      {copied:>9,} rows {base['bytes'] / 2**20:7.1f} MB {base['seconds']:7.2f}s "
        f"= {copied / base['seconds']:9,.0f} rows/s"
    )
    print(f"    downline/COPY = {ratio:.2f}")
    assert copied == rows, f"{name}: downline wrote {rows:,} rows, COPY {copied:,}"
    return {
        "name": name,
        "rows": rows,
        "ratio": ratio,
        "rss": ours["maxrss_mb"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=common.default_clients())
    parser.add_argument("--only", nargs="*", help="run only these cases")
    parser.add_argument("--rounds", type=int, default=2, help="runs of each side; best counts")
    parser.add_argument("--no-profile", action="store_true", help="no cProfile run on a miss")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--profile", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        type_key, email, params = args.child
        child(type_key, email, json.loads(params), args.profile)
        return 0
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    common.header(
        "exports end to end (request -> SUCCEEDED) vs COPY (SELECT …) TO STDOUT",
        f"database {common.bench_url()}; {common.machine_load()}",
    )
    book = common.ensure_book(args.clients)
    print(f"   book: {book.shape} ({'reused' if book.reused else 'generated'})")
    results = []
    with tempfile.TemporaryDirectory(prefix="downline-bench-export-") as tmp:
        chosen = [case for case in cases(book) if not args.only or case[0] in args.only]
        for name, type_key, email, params in chosen:
            result = measure(name, type_key, email, params, Path(tmp), args.rounds)
            if result is not None:
                results.append(result)
        big = max(results, key=lambda r: r["rows"])
        small = min(results, key=lambda r: r["rows"])
        rss = max(r["rss"] for r in results)
        print(
            f"\n  worker peak RSS: {big['rss']:.0f} MiB at {big['rows']:,} rows ({big['name']}), "
            f"{small['rss']:.0f} MiB at {small['rows']:,} rows ({small['name']})"
        )
        if big["ratio"] > RATIO_TARGET and not args.no_profile:
            name, type_key, email, params = next(c for c in chosen if c[0] == small["name"])
            print(f"\nprofile: run_export of {name} ({small['rows']:,} rows) under cProfile")
            stats = Path(tmp) / "export.prof"
            profiled = end_to_end(type_key, email, params, profile=stats)
            Path(profiled["path"]).unlink(missing_ok=True)
            common.print_profile(stats, PROFILE_PARTS)
    agent = next((r for r in results if r["name"] == SMALL_CASE), small)
    common.verdict(
        "export",
        (
            f"downline/COPY = {big['ratio']:.2f} at {big['rows']:,} rows",
            f"<= {RATIO_TARGET}",
            big["ratio"] <= RATIO_TARGET,
        ),
        (
            f"{agent['ratio']:.2f} at {agent['rows']:,} ({agent['name']})",
            f"<= {SMALL_RATIO_TARGET}",
            agent["ratio"] <= SMALL_RATIO_TARGET,
        ),
        (
            f"worker peak RSS {big['rss']:.0f} MiB ({small['rss']:.0f} MiB at {small['rows']:,})",
            f"< {RSS_TARGET_MB} MB",
            rss < RSS_TARGET_MB,
        ),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
