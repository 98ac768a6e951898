"""The API under load, served by a real uvicorn process (one worker) on 127.0.0.1.

(a) `{ viewer { ... } }` throughput through downline's GraphQL app against a bare Starlette JSON
    route (bench/bare_app.py) in the same run: req/s of each, the ratio (target >= 0.5), and the
    server's CPU time per request (independent of how fast the load generator is).
(b) The Clients page (first: 50, with `agent { name agency { name } }`) as the top agency
    admin on the PostgreSQL benchmark book, each client walking the list page after page: first
    one request at a time (the service time), then 16 concurrent clients: p50/p95/p99 latency
    (target p95 < 50 ms at 16).

Bounded: a fixed number of requests per phase and a time limit; every server started here is
stopped in `finally`.

    .venv/bin/python bench/api.py [--clients 1000000] [--requests 2000] [--concurrency 16]
                                  [--workers 1]
"""

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import common
import httpx

BENCH = Path(__file__).resolve().parent
VIEWER = "{ viewer { email role exportsAllowed } }"
PAGE = """
query Page($first: Int!, $after: String) {
  clients(first: $first, after: $after) {
    edges { node { id firstName lastName submittedAt agent { name agency { name } } } }
    pageInfo { hasNextPage endCursor }
  }
}"""
REDIS_URL = os.environ.get("DOWNLINE_BENCH_REDIS_URL") or "redis://127.0.0.1:6379/14"
RATIO_TARGET = 0.5
P95_TARGET_MS = 50.0


@dataclass
class Server:
    name: str
    proc: subprocess.Popen
    url: str
    log: Path

    def cpu_seconds(self) -> float:
        """user + system CPU time so far of the server process and its worker processes."""
        return sum(_cpu_seconds(pid) for pid in _tree(self.proc.pid))

    def rss_mb(self) -> float:
        return common.rss_mb(self.proc.pid)


def _tree(pid: int) -> list[int]:
    """`pid` and its descendants (uvicorn's supervisor and its workers)."""
    pids = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        for child in task.read_text().split():
            pids += _tree(int(child))
    return pids


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:  # exited meanwhile
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


STARTED: list["Server"] = []  # every server this run started, stopped whatever happens


def start_server(
    name: str, target: list[str], env: dict[str, str], logs: Path, workers: int = 1
) -> Server:
    port = common.free_port()
    log = logs / f"{name}.log"
    command = [sys.executable, "-m", "uvicorn", *target, "--host", "127.0.0.1", "--port", str(port)]
    command += ["--workers", str(workers), "--no-access-log", "--log-level", "warning"]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            command,
            env={**os.environ, **env},
            cwd=common.REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(name, proc, f"http://127.0.0.1:{port}", log)
    STARTED.append(server)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} server exited ({proc.returncode}):\n{log.read_text()}")
        try:
            if httpx.get(f"{server.url}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    stop(server)
    raise RuntimeError(f"{name} server did not answer /healthz within 60s:\n{log.read_text()}")


def stop(server: Server) -> None:
    if server.proc.poll() is None:
        server.proc.terminate()
        try:
            server.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.proc.kill()
            server.proc.wait(timeout=10)


@dataclass
class Run:
    requests: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    cpu_seconds: float = 0.0
    timed_out: bool = False

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def ms(self, p: float) -> float:
        return common.percentile(self.latencies, p) * 1000


def report(label: str, run: Run) -> None:
    cpu_us = run.cpu_seconds / run.requests * 1e6 if run.requests else float("nan")
    print(
        f"  {label:<22} {run.requests:>6,} req in {run.seconds:6.2f}s = {run.rate:8,.0f} req/s   "
        f"p50 {run.ms(50):6.2f} ms  p95 {run.ms(95):6.2f} ms  p99 {run.ms(99):6.2f} ms   "
        f"server CPU {cpu_us:,.0f} us/req"
    )
    if run.timed_out:
        print("    stopped by the time limit before all requests were sent")
    for error in run.errors[:3]:
        print(f"    error: {error}")
    if run.errors:
        raise SystemExit(f"{label}: {len(run.errors)} request(s) failed")


async def phase_viewer(bare: Server, app: Server, token: str, args) -> tuple[Run, Run]:
    def viewer(_worker: int, _answer: dict | None) -> dict:
        return {"query": VIEWER}

    def load(server: Server, requests: int):
        return drive(server, token, viewer, requests, args.concurrency, args.max_seconds)

    for server in (bare, app):  # warm-up: connections, imports, pools
        await load(server, 200)
    best_bare = best_app = None
    for _ in range(args.rounds):  # alternate, keep each side's best round
        bare_run = await load(bare, args.requests)
        app_run = await load(app, args.requests)
        if best_bare is None or bare_run.rate > best_bare.rate:
            best_bare = bare_run
        if best_app is None or app_run.rate > best_app.rate:
            best_app = app_run
    return best_bare, best_app


async def drive(
    server: Server, token: str, body_for, requests: int, concurrency: int, max_seconds: float
) -> Run:
    """`requests` POSTs to /graphql with the bearer token, from `concurrency` workers;
    `body_for(worker, its_last_answer)` gives a worker's next JSON body. Stops early after
    `max_seconds`."""
    run = Run()
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=server.url, limits=limits, timeout=30, headers=headers
    ) as client:
        issued = 0
        deadline = time.perf_counter() + max_seconds

        async def worker(n: int) -> None:
            nonlocal issued
            answer = None
            while issued < requests and time.perf_counter() < deadline:
                issued += 1
                started = time.perf_counter()
                response = await client.post("/graphql", json=body_for(n, answer))
                run.latencies.append(time.perf_counter() - started)
                try:
                    answer = response.json()
                except ValueError:
                    answer = {"errors": response.text}
                if response.status_code != 200 or answer.get("errors"):
                    run.errors.append(f"{response.status_code}: {str(answer)[:200]}")
                    answer = None

        cpu = server.cpu_seconds()
        started = time.perf_counter()
        await asyncio.gather(*(worker(n) for n in range(concurrency)))
        run.seconds = time.perf_counter() - started
        run.cpu_seconds = server.cpu_seconds() - cpu
        run.requests = len(run.latencies)
        run.timed_out = run.requests < requests
    return run


def next_page(first: int):
    """Each worker walks the list: page 1, then the page after its last answer's endCursor,
    back to page 1 at the end of the list."""

    def body(_worker: int, answer: dict | None) -> dict:
        after = None
        if answer is not None:
            info = answer["data"]["clients"]["pageInfo"]
            after = info["endCursor"] if info["hasNextPage"] else None
        return {"query": PAGE, "variables": {"first": first, "after": after}}

    return body


async def main_async(args, env: dict[str, str], book: common.BenchBook) -> str:
    token = common.mint_token(book.admin_email)
    with tempfile.TemporaryDirectory(prefix="downline-bench-logs-") as logs:
        try:
            bare = start_server("bare", ["bare_app:app", "--app-dir", str(BENCH)], env, Path(logs))
            app = start_server(
                "downline",
                ["downline.server.app:create_app", "--factory"],
                env,
                Path(logs),
                args.workers,
            )

            print(
                f"\n(a) viewer throughput, {args.requests:,} requests at concurrency "
                f"{args.concurrency}, best of {args.rounds} rounds"
            )
            bare_run, app_run = await phase_viewer(bare, app, token, args)
            report("bare Starlette route", bare_run)
            report("downline viewer", app_run)
            ratio = app_run.rate / bare_run.rate
            cpu_ratio = (bare_run.cpu_seconds / bare_run.requests) / (
                app_run.cpu_seconds / app_run.requests
            )
            print(
                f"  throughput ratio downline/bare = {ratio:.2f}; "
                f"by server CPU per request = {cpu_ratio:.2f}"
            )

            print(
                f"\n(b) clients page (first: {args.first}, with agent {{ name agency {{ name }} }})"
                f" as {book.admin_email}, each client walking the list: "
                f"{args.single_requests:,} requests one at a time, then {args.page_requests:,} "
                f"from {args.concurrency} concurrent clients"
            )
            walk = next_page(args.first)
            single = await drive(app, token, walk, args.single_requests, 1, args.max_seconds)
            report("one client at a time", single)
            page_run = await drive(
                app, token, walk, args.page_requests, args.concurrency, args.max_seconds
            )
            report(f"{args.concurrency} concurrent", page_run)
            print(
                f"  server RSS after the runs: downline {app.rss_mb():.0f} MiB, "
                f"bare {bare.rss_mb():.0f} MiB"
            )
        finally:
            for server in STARTED:
                stop(server)
    p95 = page_run.ms(95)
    return common.verdict(
        "api",
        (f"viewer downline/bare = {ratio:.2f}", f">= {RATIO_TARGET}", ratio >= RATIO_TARGET),
        (f"clients page p95 = {p95:.1f} ms", f"< {P95_TARGET_MS:g} ms", p95 < P95_TARGET_MS),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=common.default_clients())
    parser.add_argument("--requests", type=int, default=2000, help="viewer requests per round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--page-requests", type=int, default=1600)
    parser.add_argument(
        "--single-requests", type=int, default=100, help="clients pages one at a time first"
    )
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--first", type=int, default=50)
    parser.add_argument("--max-seconds", type=float, default=120, help="time limit per run")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="downline's API processes (above 1: production mode, on the Redis at "
        f"{REDIS_URL} as broker and event bus)",
    )
    args = parser.parse_args()
    common.header(
        f"API under load: uvicorn, {args.workers} worker(s), 127.0.0.1",
        f"database {common.bench_url()}; {common.machine_load()}",
    )
    book = common.ensure_book(args.clients)
    print(f"   book: {book.shape} ({'reused' if book.reused else 'generated'})")
    env = common.use_bench_database()
    if args.workers > 1:  # several API processes share jobs and events through Redis
        env |= {"DOWNLINE_BROKER_URL": REDIS_URL, "DOWNLINE_REDIS_URL": REDIS_URL}
        env["DOWNLINE_WORKERS_IN_PROCESS"] = "false"
    # SIGTERM (run_all's timeout) unwinds like an error, so the servers are stopped below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        asyncio.run(main_async(args, env, book))
    finally:
        for server in STARTED:
            stop(server)
    return 0


if __name__ == "__main__":
    sys.exit(main())
