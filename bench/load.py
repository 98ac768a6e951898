"""Load: 100 concurrent clients against downline run as in production, on the 1M-client
benchmark book: `downline serve --workers N --no-workers-in-process` and `downline worker
--processes N --threads M` as real processes on PostgreSQL and Redis, everything on 127.0.0.1.

Each client is a virtual user of bench/loadgen.py (the same generator tests/faults/test_load.py
runs for a few seconds in `make test`), looping over a weighted mix: Clients pages (nested agent
and agency; filtered; a cursor walk to the next page), Leads, production, productionSummary,
node lookups, the viewer, and exports requested and polled until SUCCEEDED (a few % of the
operations). The users: the top agency's admin (the whole book), a sub-agency admin, the agent
with the biggest book (~100k clients), and the two agents with the smallest books that may export
(their exports are the agent exports of the mix, so exports stay small; the admins export
production). The load starts once /readyz answers and every uvicorn and Dramatiq process has
logged that it is up. Printed: requests and requests/s, count, errors, p50/p95/max by operation;
RSS of the API processes (uvicorn's supervisor and workers, summed) and of the worker processes
(Dramatiq's, summed) at ready, at the end of the warm-up ("start"), at their peak, at the end
and over the run; the API's CPU time per request and the worker's per export (figures that the
machine's other work skews less than latencies); and any log line of a replaced uvicorn worker,
an error or a warning.

Targets: no errors, and RSS flat from the end of the warm-up to the end of the run (growth at
most 20% or 50 MiB, whichever is more, for each of the API and the worker). The latencies are
reported, not judged: on a small machine the load generator, PostgreSQL and both services share
the CPUs, and 100 clients queue.

The default run is short (20 s after a 5 s warm-up); the full one is `--seconds 60`. Redis is
`DOWNLINE_BENCH_REDIS_URL` (default database 14 on 127.0.0.1:6379) with a queue of the run's
own, dropped at the end; export files go to the benchmark's temporary var dir. Every process
started here is stopped at the end, on Ctrl-C and on SIGTERM.

    .venv/bin/python bench/load.py [--seconds 20] [--clients 100] [--warmup 5] [--book 1000000]
        [--api-workers 2] [--worker-processes 2] [--worker-threads 4] [--logs DIR]
"""

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import common
import httpx
import loadgen

REDIS_ENV = "DOWNLINE_BENCH_REDIS_URL"
DEFAULT_REDIS = "redis://127.0.0.1:6379/14"
RSS_SHARE, RSS_MIB = 0.20, 50.0
DOWNLINE = str(Path(sys.executable).parent / "downline")

STARTED: list[subprocess.Popen] = []  # stopped whatever happens


def start(name: str, args: list[str], env: dict[str, str], logs: Path) -> subprocess.Popen:
    with (logs / f"{name}.log").open("ab") as out:
        proc = subprocess.Popen(
            [DOWNLINE, *args],
            env=env,
            cwd=common.REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    STARTED.append(proc)
    return proc


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM to the process (it stops its own children), then SIGKILL to its whole group."""
    if proc.poll() is not None:
        return
    try:
        proc.terminate()  # uvicorn's supervisor and Dramatiq's main process stop their children
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    except ProcessLookupError:
        pass


def wait_ready(
    url: str,
    procs: list[subprocess.Popen],
    logs: Path,
    started: dict[str, tuple[str, int]],
    timeout: float = 120,
) -> None:
    """Until /readyz answers 200 and each log holds its start-up line as many times as it has
    processes (`started`: log name -> (line, count)): /readyz is one uvicorn worker's answer,
    and uvicorn replaces a worker that is slow to start, so all must be up before the load."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for proc in procs:
            if proc.poll() is not None:
                raise SystemExit(f"a process exited ({proc.returncode}):\n{tail(logs)}")
        try:
            ready = httpx.get(f"{url}/readyz", timeout=5).status_code == 200
        except httpx.HTTPError:
            ready = False
        if ready and all(
            (logs / name).read_text(errors="replace").count(line) >= count
            for name, (line, count) in started.items()
        ):
            return
        time.sleep(0.2)
    raise SystemExit(f"not ready within {timeout:.0f}s:\n{tail(logs)}")


def cpu_seconds(pid: int) -> float:
    """user + system CPU time of a process and its live descendants."""
    total = 0
    for member in loadgen.process_tree(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def tail(logs: Path, lines: int = 40) -> str:
    out = []
    for log in sorted(logs.glob("*.log")):
        text = log.read_text(errors="replace").splitlines()[-lines:]
        out += [f"--- {log.name}", *text]
    return "\n".join(out)


def incidents(logs: Path, load_from: dict[str, int], limit: int = 10) -> list[str]:
    """Log lines worth a look whatever the figures (a uvicorn worker replaced, an error, a
    warning), each said to be from start-up or from the run (`load_from`: log name -> its size
    in bytes when the load began)."""
    found = []
    for log in sorted(logs.glob("*.log")):
        offset = 0
        for line in log.read_bytes().splitlines(keepends=True):
            text = line.decode(errors="replace").rstrip()
            if any(word in text for word in ("died", "Traceback", "ERROR", "WARNING")):
                when = "start-up" if offset < load_from.get(log.name, 0) else "during the run"
                found.append(f"{log.name} ({when}): {text[:300]}")
            offset += len(line)
    return found[:limit] + ([f"... and {len(found) - limit} more"] if len(found) > limit else [])


def production_env(name: str, settings: dict[str, str]) -> tuple[dict[str, str], int]:
    """The environment of `downline serve` and `downline worker` in production mode for a
    benchmark run, and the API's port: the bench database; Redis (REDIS_ENV; the benchmark ends
    if it does not answer) as broker and event bus, with a queue of the run's own; download
    links at the API's address; `settings` on top."""
    redis_url = os.environ.get(REDIS_ENV) or DEFAULT_REDIS
    try:
        import redis

        redis.Redis.from_url(redis_url, socket_connect_timeout=3).ping()
    except Exception as exc:  # noqa: BLE001 - any failure to reach Redis ends the benchmark
        raise SystemExit(f"Redis unavailable at {redis_url}: {exc}") from exc
    port = common.free_port()
    env = {
        **os.environ,
        **common.use_bench_database(),
        "DOWNLINE_ENV": "production",
        "DOWNLINE_BROKER_URL": redis_url,
        "DOWNLINE_REDIS_URL": redis_url,
        "DOWNLINE_QUEUE": f"downline-bench-{name}-{uuid.uuid4().hex[:8]}",
        "DOWNLINE_PUBLIC_URL": f"http://127.0.0.1:{port}",
    }
    return env | settings, port


def drop_queue(redis_url: str, queue: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url, socket_timeout=5)
    keys = list(client.scan_iter(f"dramatiq:*{queue}*"))
    if keys:
        client.delete(*keys)


def small_agents(count: int = 2) -> list[str]:
    """The agent users with the smallest books (at least 500 clients) whose agency lets its
    agents export."""
    with common.raw_connect() as conn:
        rows = conn.execute(
            'SELECT u.email FROM "user" u'
            " JOIN agent a ON a.id = u.agent_id"
            " JOIN agency g ON g.id = a.agency_id AND g.exports_allowed_for_agents"
            " JOIN (SELECT agent_id, count(*) AS n FROM client GROUP BY agent_id) c"
            "   ON c.agent_id = u.agent_id"
            " WHERE c.n >= 500 ORDER BY c.n, u.email LIMIT %s",
            (count,),
        ).fetchall()
    return [email for (email,) in rows]


def users(book: common.BenchBook) -> list[loadgen.User]:
    from downline.core.demo import names as N

    def user(email: str, exports=()) -> loadgen.User:
        return loadgen.User(email, common.mint_token(email), tuple(exports))

    return [
        user(book.admin_email, loadgen.admin_exports()),
        user(N.SUBADMIN_EMAIL, loadgen.admin_exports()),
        user(book.agent_email),
        *(user(email, loadgen.agent_exports()) for email in small_agents()),
    ]


def report(result: loadgen.Result, at_ready: dict[str, float]) -> None:
    requests = result.requests()
    print(
        f"\n  {len(requests):,} requests in {result.seconds:g} s after a {result.warmup:g} s "
        f"warm-up = {result.rate:,.1f} req/s ({len(result.samples):,} recorded in all, "
        f"the run drained in {result.finished - result.deadline:.1f} s after its deadline)"
    )
    per_user = ", ".join(f"{email} x{n}" for email, n in result.users.items())
    print(f"  virtual users: {per_user}")
    exports = ", ".join(f"{n} {key}" for key, n in sorted(result.exports_succeeded.items()))
    print(f"  exports SUCCEEDED: {exports or 'none'}")
    print("  count and errors: the whole run; p50/p95/max: after the warm-up, successes")
    for line in result.table():
        print(f"    {line}")
    for label, mib in at_ready.items():
        print(f"  RSS {label:<8} at ready {mib:7.1f} MiB (before any load)")
    for line in result.rss_lines():
        print(f"  {line}")
    for line in result.error_lines():
        print(f"  error: {line}")


def verdict(result: loadgen.Result) -> str:
    errors = len(result.errors())
    worst, p95 = result.worst_p95()
    rss_parts, rss_ok = [], True
    for label in ("api", "worker"):
        start, end = result.rss_growth(label)
        rss_ok &= loadgen.growth_ok(start, end, share=RSS_SHARE, mib=RSS_MIB)
        rss_parts.append(f"{label} {start:.0f}→{end:.0f} MiB")
    ok = errors == 0 and rss_ok
    line = (
        f"load: {result.rate:,.0f} req/s at {result.clients} clients for {result.seconds:g} s, "
        f"{errors} errors (target 0), p95 worst {p95:,.0f} ms ({worst}), "
        f"RSS {', '.join(rss_parts)} (target growth <= {RSS_SHARE:.0%} or {RSS_MIB:g} MiB) "
        f"{'OK' if ok else 'MISSED'}"
    )
    print(line, flush=True)
    return line


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20, help="measured, after the warm-up")
    parser.add_argument("--warmup", type=float, default=5)
    parser.add_argument("--clients", type=int, default=100, help="concurrent virtual users")
    parser.add_argument("--book", type=int, default=common.default_clients(), help="clients")
    parser.add_argument("--api-workers", type=int, default=min(4, os.cpu_count() or 1))
    parser.add_argument("--worker-processes", type=int, default=2)
    parser.add_argument("--worker-threads", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--logs", type=Path, help="keep the services' logs in this directory")
    args = parser.parse_args()
    common.header(
        f"load: {args.clients} concurrent clients, mixed operations, {args.api_workers} API "
        f"processes, {args.worker_processes}x{args.worker_threads} workers",
        f"database {common.bench_url()}; {common.machine_load()}",
    )
    book = common.ensure_book(args.book)
    print(f"   book: {book.shape} ({'reused' if book.reused else 'generated'})")
    # The virtual users share a few accounts, each then running more exports at once than the
    # fair-use cap lets one person (bench/fairness.py measures the cap's effect).
    env, port = production_env("load", {"DOWNLINE_MAX_ACTIVE_JOBS_PER_USER": "1000"})
    base_url = env["DOWNLINE_PUBLIC_URL"]
    load_users = users(book)
    print("   users: " + ", ".join(u.email for u in load_users))
    # SIGTERM (run_all's timeout) unwinds like an error, so the processes are stopped below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with tempfile.TemporaryDirectory(prefix="downline-bench-load-") as tmp:
        logs = args.logs or Path(tmp)
        logs.mkdir(parents=True, exist_ok=True)
        try:
            api = start(
                "api",
                ["serve", "--port", str(port), "--workers", str(args.api_workers)]
                + ["--no-workers-in-process"],
                env,
                logs,
            )
            worker = start(
                "worker",
                ["worker", "--processes", str(args.worker_processes)]
                + ["--threads", str(args.worker_threads)],
                env,
                logs,
            )
            started = {
                "api.log": ("Application startup complete.", args.api_workers),
                "worker.log": ("Worker process is ready for action.", args.worker_processes),
            }
            wait_ready(base_url, [api, worker], logs, started)

            def rss() -> dict[str, float]:
                return {
                    "api": loadgen.tree_rss_mb(api.pid),
                    "worker": loadgen.tree_rss_mb(worker.pid),
                }

            at_ready = rss()
            processes = {
                "api": len(loadgen.process_tree(api.pid)),
                "worker": len(loadgen.process_tree(worker.pid)),
            }
            print(
                f"   {base_url}: {processes['api']} API processes (supervisor and workers), "
                f"{processes['worker']} worker processes; running "
                f"{args.warmup:g} s warm-up + {args.seconds:g} s"
            )
            cpu = {"api": cpu_seconds(api.pid), "worker": cpu_seconds(worker.pid)}
            load_from = {log.name: log.stat().st_size for log in logs.glob("*.log")}
            result = asyncio.run(
                loadgen.run(
                    base_url,
                    load_users,
                    clients=args.clients,
                    seconds=args.seconds,
                    warmup=args.warmup,
                    rss=rss,
                    seed=args.seed,
                )
            )
            report(result, at_ready)
            requests = sum(s.name != loadgen.EXPORT_STAT for s in result.samples)
            exports = sum(s.name == loadgen.EXPORT_STAT for s in result.samples)
            api_cpu = cpu_seconds(api.pid) - cpu["api"]
            worker_cpu = cpu_seconds(worker.pid) - cpu["worker"]
            print(
                f"  CPU: API {api_cpu:.1f} s = {api_cpu / requests * 1000:.1f} ms a request "
                f"({requests:,} requests, warm-up and drain included); worker {worker_cpu:.1f} s"
                f" = {worker_cpu / max(exports, 1) * 1000:.0f} ms an export"
            )
            for line in incidents(logs, load_from):
                print(f"  log: {line}")
            if result.errors():
                print(tail(logs))
        finally:
            for proc in reversed(STARTED):
                stop(proc)
            drop_queue(env["DOWNLINE_REDIS_URL"], env["DOWNLINE_QUEUE"])
    verdict(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
