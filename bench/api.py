"""The API under load: downline against hand-written baselines, each served by uvicorn (the
same worker count) on 127.0.0.1 and driven by wrk (bench/wrk_post.lua) at 16 connections.

(a) The Clients page, `clients(first: N) { edges { node { id firstName lastName submittedAt
    agent { name agency { name } } } } pageInfo { hasNextPage endCursor } }` as the top agency
    admin, at N = 1, 50 and 500, against bench/bare_app.py's hand-written route (Starlette,
    SQLAlchemy Core, one statement) answering the same JSON (checked equal first). Targets:
    throughput >= 0.5x the hand-written route at 50 rows; server CPU per page <= 2x at 1, 50 and
    500 rows; CPU per row (the slope from 1 to 500 rows) <= 3x; p95 < 50 ms at 50 rows.
(b) `{ viewer { email role exportsAllowed } }` against a bare Starlette JSON route: server CPU
    per request <= 4x. Beside them, the viewer written by hand (bare_app.py's `/viewer`: the
    token verified and the caller loaded in one statement, as every request must), which shows
    what that one statement costs on top of the bare route.
(c) The load generator: wrk on the bare route must reach >= 5x the rate it measured on every
    downline run, or those figures are wrk's rather than downline's.

Each figure is the server process's own (req/s, CPU time per request read from /proc before and
after the run, p50/p95/p99 from wrk), and each pair is measured side by side, alternating, best
round of each kept: other work on the machine moves both alike. The book: 200,000 clients by
default, generated once (bench/common.py).

    .venv/bin/python bench/api.py [--clients 200000] [--seconds 5] [--rounds 2]
                                  [--concurrency 16] [--workers 1]

wrk is the Debian package `wrk` (`make bench` installs it when missing).
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import common
import httpx

BENCH = Path(__file__).resolve().parent
SCRIPT = BENCH / "wrk_post.lua"
VIEWER = "{ viewer { email role exportsAllowed } }"
PAGE = """
query Page($first: Int!) {
  clients(first: $first) {
    edges { node { id firstName lastName submittedAt agent { name agency { name } } } }
    pageInfo { hasNextPage endCursor }
  }
}"""
SIZES = (1, 50, 500)
REDIS_URL = os.environ.get("DOWNLINE_BENCH_REDIS_URL") or "redis://127.0.0.1:6379/14"
THROUGHPUT_TARGET = 0.5  # downline / hand-written, clients page of 50
CPU_TARGET = 2.0  # downline / hand-written, CPU per page at each size
SLOPE_TARGET = 3.0  # downline / hand-written, CPU per row
VIEWER_CPU_TARGET = 4.0  # downline / bare route, CPU per request
P95_TARGET_MS = 50.0
HEADROOM_TARGET = 5.0  # wrk's rate on the bare route / its rate on any downline run


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
        return sum(common.rss_mb(pid) for pid in _tree(self.proc.pid))


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


@dataclass(frozen=True)
class Target:
    """One thing to load: a server's path and the JSON body POSTed to it."""

    label: str
    server: Server
    path: str
    body: dict


@dataclass
class Run:
    label: str
    requests: int
    seconds: float
    cpu_seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def cpu_us(self) -> float:
        return self.cpu_seconds / self.requests * 1e6 if self.requests else float("nan")


def wrk(target: Target, token: str, seconds: float, args, files: Path) -> Run:
    """`seconds` of wrk against `target` at `args.concurrency` connections; the server's CPU
    time is read before and after."""
    body = files / f"{target.label.replace(' ', '-')}.json"
    body.write_text(json.dumps(target.body))
    threads = min(args.wrk_threads, args.concurrency)
    # -d takes whole units: "5s", never "5.0s" (--seconds is a float).
    command = ["wrk", f"-t{threads}", f"-c{args.concurrency}", f"-d{seconds:g}s"]
    command += ["--timeout", "10s"]
    command += ["-s", str(SCRIPT), target.server.url + target.path]
    env = {**os.environ, "WRK_BODY": str(body), "WRK_TOKEN": token}
    cpu = target.server.cpu_seconds()
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=seconds + 60)
    used = target.server.cpu_seconds() - cpu
    figures = [line for line in done.stdout.splitlines() if line.startswith("@@wrk ")]
    if done.returncode != 0 or not figures:
        raise RuntimeError(f"wrk failed on {target.label}:\n{done.stdout}\n{done.stderr}")
    found = json.loads(figures[-1].removeprefix("@@wrk "))
    if found["errors"] or found["status_errors"]:
        raise SystemExit(
            f"{target.label}: {found['errors']} socket errors, {found['status_errors']} answers "
            f"other than 2xx (see {target.server.log})\n{done.stdout}"
        )
    return Run(
        target.label,
        found["requests"],
        found["duration_us"] / 1e6,
        used,
        found["p50_us"] / 1000,
        found["p95_us"] / 1000,
        found["p99_us"] / 1000,
    )


def side_by_side(targets: tuple[Target, ...], token: str, args, files: Path) -> tuple[Run, ...]:
    """The targets measured in alternation, `args.rounds` rounds after a warm-up; each one's
    best round (by rate) kept."""
    for target in targets:
        wrk(target, token, 1, args, files)  # warm-up: connections, pools, caches
    best: list[Run | None] = [None] * len(targets)
    for _ in range(args.rounds):
        for i, target in enumerate(targets):
            run = wrk(target, token, args.seconds, args, files)
            if best[i] is None or run.rate > best[i].rate:
                best[i] = run
    return tuple(best)


def report(run: Run) -> None:
    print(
        f"  {run.label:<24} {run.rate:8,.0f} req/s   server CPU {run.cpu_us:7,.0f} us/req   "
        f"p50 {run.p50_ms:6.2f} ms  p95 {run.p95_ms:6.2f} ms  p99 {run.p99_ms:6.2f} ms"
    )


def page_body(first: int) -> dict:
    return {"query": PAGE, "variables": {"first": first}}


def check_same_answers(bare: Server, app: Server, token: str) -> None:
    """downline's Clients page and the hand-written route answer the same JSON; downline's
    viewer answers without errors."""
    headers = {"Authorization": f"Bearer {token}"}
    for first in SIZES:
        body = page_body(first)
        ours = httpx.post(f"{app.url}/graphql", json=body, headers=headers, timeout=30).json()
        theirs = httpx.post(f"{bare.url}/clients", json=body, headers=headers, timeout=30).json()
        if ours != theirs:
            raise SystemExit(f"the hand-written page differs from downline's at first: {first}")
        if len(ours["data"]["clients"]["edges"]) != first:
            raise SystemExit(f"the page of {first} holds fewer rows: is the book empty?")
    viewer = httpx.post(f"{app.url}/graphql", json={"query": VIEWER}, headers=headers).json()
    if viewer.get("errors"):
        raise SystemExit(f"viewer failed: {viewer['errors']}")
    theirs = httpx.post(f"{bare.url}/viewer", json={"query": VIEWER}, headers=headers).json()
    if theirs != viewer:
        raise SystemExit(f"the hand-written viewer differs from downline's: {theirs} {viewer}")


def ratio(ours: float, theirs: float) -> float:
    return ours / theirs if theirs else float("nan")


def measure(args, env: dict[str, str], book: common.BenchBook) -> None:
    token = common.mint_token(book.admin_email)
    with tempfile.TemporaryDirectory(prefix="downline-bench-api-") as tmp:
        files = Path(tmp)
        bare = start_server("bare", ["bare_app:app", "--app-dir", str(BENCH)], env, files)
        target = ["downline.server.app:create_app", "--factory"]
        app = start_server("downline", target, env, files, args.workers)
        check_same_answers(bare, app, token)
        print("  downline's Clients page and the hand-written route answer the same JSON")

        print(
            f"\n(a) Clients page with agent {{ name agency {{ name }} }}, {args.seconds:g}s runs "
            f"at {args.concurrency} connections, best of {args.rounds} rounds"
        )
        pages: dict[int, tuple[Run, Run]] = {}
        for first in SIZES:
            pair = (
                Target(f"hand-written, first {first}", bare, "/clients", page_body(first)),
                Target(f"downline, first {first}", app, "/graphql", page_body(first)),
            )
            pages[first] = side_by_side(pair, token, args, files)
            for run in pages[first]:
                report(run)

        print("\n(b) viewer against a bare Starlette route, and one that loads its principal")
        targets = (
            Target("bare route", bare, "/graphql", {"query": VIEWER}),
            Target("hand-written viewer", bare, "/viewer", {"query": VIEWER}),
            Target("downline viewer", app, "/graphql", {"query": VIEWER}),
        )
        bare_viewer, hand_viewer, viewer = side_by_side(targets, token, args, files)
        for run in (bare_viewer, hand_viewer, viewer):
            report(run)
        print(
            f"  server RSS after the runs: downline {app.rss_mb():.0f} MiB, "
            f"hand-written {bare.rss_mb():.0f} MiB"
        )
    verdict(pages, bare_viewer, hand_viewer, viewer)


def verdict(
    pages: dict[int, tuple[Run, Run]], bare_viewer: Run, hand_viewer: Run, viewer: Run
) -> None:
    print("\n  downline / hand-written:")
    for first, (hand, ours) in pages.items():
        print(
            f"    first {first:>3}: throughput {ratio(ours.rate, hand.rate):5.2f}x   "
            f"CPU per page {ratio(ours.cpu_us, hand.cpu_us):5.2f}x"
        )
    low, high = SIZES[0], SIZES[-1]

    def slope(run_low: Run, run_high: Run) -> float:
        return (run_high.cpu_us - run_low.cpu_us) / (high - low)

    ours_slope = slope(pages[low][1], pages[high][1])
    hand_slope = slope(pages[low][0], pages[high][0])
    print(f"    CPU per row: downline {ours_slope:.1f} us, hand-written {hand_slope:.1f} us")
    print(
        f"    viewer: throughput {ratio(viewer.rate, bare_viewer.rate):.2f}x, "
        f"CPU per request {ratio(viewer.cpu_us, bare_viewer.cpu_us):.2f}x the bare route's"
    )
    # The floor under the viewer target: a request must load its principal (one statement).
    print(
        f"    a hand-written viewer that loads its principal: CPU per request "
        f"{ratio(hand_viewer.cpu_us, bare_viewer.cpu_us):.2f}x the bare route's; downline's "
        f"viewer {ratio(viewer.cpu_us, hand_viewer.cpu_us):.2f}x the hand-written one's"
    )
    ours_runs = [ours for _, ours in pages.values()] + [viewer]
    headroom = bare_viewer.rate / max(run.rate for run in ours_runs)
    print(f"    load generator: wrk on the bare route reached {headroom:.1f}x downline's best rate")
    throughput = ratio(pages[50][1].rate, pages[50][0].rate)
    cpu = [ratio(ours.cpu_us, hand.cpu_us) for hand, ours in pages.values()]
    per_row = ratio(ours_slope, hand_slope)
    viewer_cpu = ratio(viewer.cpu_us, bare_viewer.cpu_us)
    p95 = pages[50][1].p95_ms
    common.verdict(
        "api",
        (
            f"page throughput = {throughput:.2f}x",
            f">= {THROUGHPUT_TARGET}x",
            throughput >= THROUGHPUT_TARGET,
        ),
        (
            f"CPU/page at {'/'.join(map(str, SIZES))} = {'/'.join(f'{c:.2f}' for c in cpu)}x",
            f"<= {CPU_TARGET:g}x",
            all(c <= CPU_TARGET for c in cpu),
        ),
        (f"CPU/row = {per_row:.2f}x", f"<= {SLOPE_TARGET:g}x", per_row <= SLOPE_TARGET),
        (
            f"viewer CPU = {viewer_cpu:.2f}x",
            f"<= {VIEWER_CPU_TARGET:g}x",
            viewer_cpu <= VIEWER_CPU_TARGET,
        ),
        (f"page p95 = {p95:.1f} ms", f"< {P95_TARGET_MS:g} ms", p95 < P95_TARGET_MS),
        (
            f"wrk headroom = {headroom:.1f}x",
            f">= {HEADROOM_TARGET:g}x",
            headroom >= HEADROOM_TARGET,
        ),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200_000)
    parser.add_argument("--seconds", type=float, default=5, help="length of each measured run")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=16, help="wrk's connections")
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="uvicorn worker processes of each server (above 1: downline in production mode, "
        f"on the Redis at {REDIS_URL} as broker and event bus)",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk (make bench does)")
    common.header(
        f"API under load: uvicorn, {args.workers} worker(s) each, wrk, 127.0.0.1",
        f"{common.machine_load()}",
    )
    book = common.ensure_book(args.clients)
    print(f"   book: {book.shape} ({'reused' if book.reused else 'generated'})")
    print(f"   database {common.bench_url()}")
    env = common.use_bench_database()
    if args.workers > 1:  # several API processes share jobs and events through Redis
        env |= {"DOWNLINE_BROKER_URL": REDIS_URL, "DOWNLINE_REDIS_URL": REDIS_URL}
        env["DOWNLINE_WORKERS_IN_PROCESS"] = "false"
    # SIGTERM (run_all's timeout) unwinds like an error, so the servers are stopped below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        measure(args, env, book)
    finally:
        for server in STARTED:
            stop(server)
    return 0


if __name__ == "__main__":
    sys.exit(main())
