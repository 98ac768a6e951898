"""Fair use: one user's backlog against another user's small work, in production mode on the
benchmark book: `downline serve --workers 2 --no-workers-in-process` and `downline worker` as
real processes on PostgreSQL and Redis, everything on 127.0.0.1.

The heavy user (the demo sub-agency admin) keeps its backlog full for the whole loaded phase:
`enrollments` exports (its downline's clients) and carrier reports (a generated Humana file
whose NPNs are all outside its book, so that every row is read and checked and none is
written), up to DOWNLINE_MAX_ACTIVE_JOBS_PER_USER each, asking for one more of each whenever a
place frees (refused RATE_LIMITED, counted), and follows its exports with 1,000
`exportUpdates` subscriptions over its 20 WebSockets (DOWNLINE_MAX_SOCKETS_PER_USER). The light
user (an agent with a small book) requests a one-row export (its clients export searched by one
application id) and waits for SUCCEEDED, 15 times, and reads its Clients page, 200 times:
first on the idle system, then while the heavy user's backlog runs. (A worker notices a message
by polling Redis, 0-100 ms apart: a median of 5 exports moved by a third from run to run.) The
pages come 20 ms apart, as a user reading them leaves them (--page-gap): back to back, 200
pages took 1.5 s, kept the light user's processes running, and their loaded p95 was half what
it is with the gap.
Printed: the light user's export time (median, p95; and from its row, its wait for a worker
and its run) and page p95, idle and loaded, their ratios (targets: at most 2x each), the heavy
user's jobs running as the light user's exports were requested, its refusals, and the events
its subscriptions received.

The workers have more threads (2 processes x 6) than one user may keep busy (its exports and its
reports, DOWNLINE_MAX_RUNNING_JOBS_PER_USER each, 2 by default; it may have 5 of each waiting or
running): the light user's export finds a thread free, and the fair claim gives it the next one.
The machine's CPUs are shared by the API, the workers, PostgreSQL and this script: on a small or
busy machine the loaded figures say how much the backlog's CPU costs the light user, which no
queueing rule removes. Redis is `DOWNLINE_BENCH_REDIS_URL` (default
database 14) with a queue of the run's own, dropped at the end; the heavy user's jobs still
waiting or running at the end are marked FAILED, so a later run starts with its places free.

    .venv/bin/python bench/fairness.py [--exports 15] [--pages 200] [--page-gap 0.02]
        [--report-rows 200000] [--subscriptions 1000] [--worker-processes 2]
        [--worker-threads 6] [--book 1000000] [--logs DIR]
"""

import argparse
import asyncio
import json
import signal
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import common
import httpx
import ingest_file
import load
import websockets

TARGET_RATIO = 2.0
CAP = 5  # DOWNLINE_MAX_ACTIVE_JOBS_PER_USER's default, which the servers run with
SOCKETS = 20  # DOWNLINE_MAX_SOCKETS_PER_USER's default
JOBS = (("export", "requester_email"), ("carrier_report", "uploader_email"))  # table, owner
POLL = 0.025  # seconds between looks at an export that is being waited for

REQUEST = "mutation($input: RequestExportInput!) { requestExport(input: $input) { id } }"
EXPORT = "query($id: ID!) { export(id: $id) { status rowCount error } }"
PAGE = """query Page { clients(first: 50) { totalCount edges { node { id firstName lastName
  submittedAt agent { id name agency { name } } } } pageInfo { endCursor hasNextPage } } }"""
UPLOAD = 'mutation($file: Upload!) { uploadCarrierReport(file: $file, carrier: "humana") { id } }'
FOLLOW = "subscription($id: ID!) { exportUpdates(id: $id) { status rowsWritten } }"


# ---- the two users --------------------------------------------------------------------------


def light_user() -> tuple[str, str]:
    """The agent user with the smallest book that may export, and the application id of one of
    its submitted clients (its search finds that one client)."""
    [email] = load.small_agents(1)
    with common.raw_connect() as conn:
        (application_id,) = conn.execute(
            'SELECT c.application_id FROM client c JOIN "user" u ON u.agent_id = c.agent_id'
            " WHERE u.email = %s AND c.submitted_at IS NOT NULL AND NOT c.archived"
            " AND c.application_id IS NOT NULL ORDER BY c.id LIMIT 1",
            (email,),
        ).fetchone()
    return email, application_id


def outside_npns(email: str) -> list[str]:
    """NPNs of agents outside `email`'s book: a report of them is read and rejected row by row."""
    from sqlalchemy import select

    from downline.core import db
    from downline.core.book import scope
    from downline.core.book.scope import load_principal
    from downline.core.models import Agent

    with db.session() as session:
        principal = load_principal(session, email)
        query = select(Agent.npn).where(Agent.id.not_in(scope.agent_ids(principal)))
        return list(session.scalars(query.order_by(Agent.npn).limit(20)))


def report_file(folder: Path, rows: int, npns: list[str]) -> Path:
    """The heavy user's carrier report: every row names an NPN outside its book."""
    path = folder / "humana-fairness.csv"
    ingest_file.write_humana(path, rows, npns, date.today())
    text = path.read_text(encoding="utf-8")
    for unmatched in ingest_file.UNMATCHED:  # a row of an NPN nobody holds would be loaded
        text = text.replace(f",{unmatched},", f",{npns[0]},")
    path.write_text(text, encoding="utf-8")
    return path


def free_places(*emails: str) -> int:
    """Mark the users' jobs still waiting or running FAILED (a run stopped midway leaves them,
    and they would hold the users' places); returns how many."""
    moved = 0
    with common.raw_connect() as conn:
        for table, owner in JOBS:
            moved += conn.execute(
                f"UPDATE {table} SET status = 'FAILED', finished_at = now(),"  # noqa: S608
                " error = 'stopped with the benchmark' WHERE status IN ('QUEUED', 'PROCESSING')"
                f" AND {owner} = ANY(%s)",
                (list(emails),),
            ).rowcount
        conn.commit()
    return moved


def jobs_of(email: str, statuses: tuple[str, ...]) -> tuple[int, int]:
    """The user's (exports, reports) in these statuses now."""
    with common.raw_connect() as conn:
        return tuple(
            conn.execute(
                f"SELECT count(*) FROM {table} WHERE status = ANY(%s) AND {owner} = %s",  # noqa: S608
                (list(statuses), email),
            ).fetchone()[0]
            for table, owner in JOBS
        )


def active(email: str) -> tuple[int, int]:
    """The user's (exports, reports) running now."""
    return jobs_of(email, ("PROCESSING",))


# ---- the light user's measurements ------------------------------------------------------------


class Client:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self.tokens: dict[str, str] = {}

    def headers(self, email: str) -> dict:
        if email not in self.tokens:
            self.tokens[email] = common.mint_token(email)
        return {"Authorization": f"Bearer {self.tokens[email]}"}

    async def post(self, email: str, query: str, variables: dict | None = None) -> dict:
        response = await self.http.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers=self.headers(email),
        )
        return response.json()

    async def data(self, email: str, query: str, variables: dict | None = None) -> dict:
        payload = await self.post(email, query, variables)
        if payload.get("errors") or payload.get("data") is None:
            raise RuntimeError(f"{email}: {json.dumps(payload)[:300]}")
        return payload["data"]


async def export_time(client: Client, email: str, params: dict) -> tuple[float, int, str]:
    """Seconds from requestExport to SUCCEEDED seen, its row count, and its id."""
    started = time.perf_counter()
    variables = {"input": {"type": "clients", "params": params}}
    export_id = (await client.data(email, REQUEST, variables))["requestExport"]["id"]
    while True:
        export = (await client.data(email, EXPORT, {"id": export_id}))["export"]
        if export["status"] == "SUCCEEDED":
            return time.perf_counter() - started, export["rowCount"], export_id
        if export["status"] == "FAILED":
            raise RuntimeError(f"the light user's export failed: {export['error']}")
        await asyncio.sleep(POLL)


async def measure(client: Client, email: str, params: dict, args, sample):
    """The light user's export times and page times (seconds); `sample()` is called beside each
    export (the heavy user's jobs running then)."""
    exports, pages = args.exports, args.pages
    times, rows, samples, ids = [], set(), [], []
    for _ in range(exports):
        samples.append(await asyncio.to_thread(sample))
        seconds, count, export_id = await export_time(client, email, params)
        times.append(seconds)
        rows.add(count)
        ids.append(export_id)
    page_times = []
    for _ in range(pages):
        started = time.perf_counter()
        await client.data(email, PAGE)
        page_times.append(time.perf_counter() - started)
        await asyncio.sleep(args.page_gap)
    return times, rows, page_times, samples, await asyncio.to_thread(waits_and_runs, ids)


def waits_and_runs(export_ids: list[str]) -> tuple[list[float], list[float]]:
    """Each export's wait for a worker (requested to claimed) and its run (claimed to
    finished), in seconds, as the rows recorded them."""
    with common.raw_connect() as conn:
        rows = conn.execute(
            "SELECT extract(epoch FROM started_at - requested_at),"
            " extract(epoch FROM finished_at - started_at) FROM export WHERE id = ANY(%s)",
            (export_ids,),
        ).fetchall()
    return [float(w) for w, _ in rows], [float(r) for _, r in rows]


# ---- the heavy user's backlog -----------------------------------------------------------------


class Backlog:
    """Keeps the heavy user's exports and reports at the cap, one more of each asked for (and
    refused) whenever a place frees; follows its exports over its sockets."""

    def __init__(self, client: Client, base_url: str, email: str, report: Path) -> None:
        self.client, self.base_url, self.email, self.report = client, base_url, email, report
        self.export_ids: list[str] = []
        self.accepted = {"export": 0, "report": 0}
        self.refused = {"export": 0, "report": 0}
        self.other_errors: list[str] = []
        self.events = 0
        self.sockets: list = []
        self.stopping = asyncio.Event()

    async def ask_export(self) -> None:
        variables = {"input": {"type": "enrollments", "params": {"includeUnsubmitted": True}}}
        self.count("export", await self.client.post(self.email, REQUEST, variables))

    async def ask_report(self) -> None:
        operations = {"query": UPLOAD, "variables": {"file": None}}
        response = await self.client.http.post(
            "/graphql",
            data={"operations": json.dumps(operations), "map": '{"0": ["variables.file"]}'},
            files={"0": (self.report.name, self.report.read_bytes(), "text/csv")},
            headers=self.client.headers(self.email),
            timeout=120,
        )
        self.count("report", response.json())

    def count(self, kind: str, payload: dict) -> None:
        errors = payload.get("errors") or []
        if not errors:
            self.accepted[kind] += 1
            if kind == "export":
                self.export_ids.append(payload["data"]["requestExport"]["id"])
        elif errors[0].get("extensions", {}).get("code") == "RATE_LIMITED":
            self.refused[kind] += 1
        else:
            self.other_errors.append(json.dumps(errors)[:300])

    def waiting_or_running(self) -> tuple[int, int]:
        return jobs_of(self.email, ("QUEUED", "PROCESSING"))

    async def fill(self) -> None:
        """Whatever kind has a free place: up to the cap, and one more (refused)."""
        exports, reports = await asyncio.to_thread(self.waiting_or_running)
        if exports < CAP:
            for _ in range(CAP - exports + 1):
                await self.ask_export()
        if reports < CAP:
            for _ in range(CAP - reports + 1):
                await self.ask_report()

    async def keep_full(self) -> None:
        """Every second, `fill`: a place freed is taken again at once, as a user with more to
        do takes it."""
        while not self.stopping.is_set():
            try:
                await asyncio.wait_for(self.stopping.wait(), timeout=1.0)
            except TimeoutError:
                await self.fill()

    async def follow(self, subscriptions: int) -> None:
        """`subscriptions` exportUpdates over SOCKETS sockets, on the heavy user's exports."""
        url = self.base_url.replace("http", "ws", 1) + "/graphql"
        token = self.client.tokens.get(self.email) or common.mint_token(self.email)
        for n in range(SOCKETS):
            ws = await websockets.connect(
                url, subprotocols=["graphql-transport-ws"], open_timeout=30, ping_interval=None
            )
            init = {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}
            await ws.send(json.dumps(init))
            ack = json.loads(await asyncio.wait_for(ws.recv(), 30))
            if ack.get("type") != "connection_ack":
                raise RuntimeError(f"socket {n}: {ack}")
            self.sockets.append(ws)
        for n in range(subscriptions):
            ws = self.sockets[n % SOCKETS]
            export_id = self.export_ids[n % len(self.export_ids)]
            payload = {"query": FOLLOW, "variables": {"id": export_id}}
            await ws.send(json.dumps({"id": str(n), "type": "subscribe", "payload": payload}))
        self.readers = [asyncio.create_task(self.read(ws)) for ws in self.sockets]

    async def read(self, ws) -> None:
        try:
            async for message in ws:
                if json.loads(message).get("type") == "next":
                    self.events += 1
        except websockets.ConnectionClosed:
            pass

    async def close(self) -> None:
        self.stopping.set()
        for ws in self.sockets:
            await ws.close()
        for reader in getattr(self, "readers", []):
            reader.cancel()


# ---- the run ------------------------------------------------------------------------------------


async def run(args, base_url: str, heavy: str, light: str, params: dict, report: Path) -> dict:
    limits = httpx.Limits(max_connections=20, keepalive_expiry=2.0)
    async with httpx.AsyncClient(base_url=base_url, timeout=120, limits=limits) as http:
        client = Client(http)
        await client.data(light, PAGE)  # warm: token, connections, caches
        await export_time(client, light, params)

        print("   idle: the light user alone ...", flush=True)
        idle = await measure(client, light, params, args, lambda: active(heavy))

        print("   loaded: the heavy user's backlog, then the light user ...", flush=True)
        backlog = Backlog(client, base_url, heavy, report)
        await backlog.fill()
        if not backlog.export_ids:
            raise SystemExit(f"the heavy user's exports were refused: {backlog.other_errors}")
        await backlog.follow(args.subscriptions)
        keeping = asyncio.create_task(backlog.keep_full())
        deadline = time.monotonic() + 20
        while sum(active(heavy)) < min(2 * CAP, args.worker_processes * args.worker_threads):
            if time.monotonic() > deadline:
                break
            await asyncio.sleep(0.2)
        try:
            loaded = await measure(client, light, params, args, lambda: active(heavy))
        finally:
            await backlog.close()
            keeping.cancel()
    return {"idle": idle, "loaded": loaded, "backlog": backlog}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exports", type=int, default=15, help="light-user exports per phase")
    parser.add_argument("--pages", type=int, default=200, help="light-user pages per phase")
    parser.add_argument(
        "--page-gap",
        type=float,
        default=0.02,
        help="seconds between two light-user pages (0: back to back)",
    )
    parser.add_argument("--report-rows", type=int, default=200_000)
    parser.add_argument("--subscriptions", type=int, default=1000)
    parser.add_argument("--worker-processes", type=int, default=2)
    parser.add_argument("--worker-threads", type=int, default=6)
    parser.add_argument("--book", type=int, default=common.default_clients())
    parser.add_argument("--logs", type=Path, help="keep the servers' logs here")
    args = parser.parse_args()
    common.header(
        "fairness: one user's backlog against another user's one-row export and Clients page",
        f"database {common.bench_url()}; {common.machine_load()}",
    )
    book = common.ensure_book(args.book)
    print(f"   book: {book.shape} ({'reused' if book.reused else 'generated'})")
    from downline.core.demo import names as N

    heavy = N.SUBADMIN_EMAIL
    light, application_id = light_user()
    params = {"search": application_id}
    if freed := free_places(heavy, light):
        print(f"   {freed} job(s) left waiting or running by an earlier run marked FAILED")
    env, port = load.production_env(
        "fairness",
        {
            "DOWNLINE_MAX_ACTIVE_JOBS_PER_USER": str(CAP),
            "DOWNLINE_MAX_SOCKETS_PER_USER": str(SOCKETS),
        },
    )
    base_url = env["DOWNLINE_PUBLIC_URL"]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    threads = args.worker_processes * args.worker_threads
    with tempfile.TemporaryDirectory(prefix="downline-bench-fairness-") as tmp:
        started = time.perf_counter()
        report = report_file(Path(tmp), args.report_rows, outside_npns(heavy))
        print(
            f"   heavy user {heavy}: enrollments exports of its downline and a "
            f"{args.report_rows:,}-row report ({report.stat().st_size / 2**20:.0f} MiB, written in "
            f"{time.perf_counter() - started:.1f}s), {args.subscriptions:,} subscriptions on "
            f"{SOCKETS} sockets; light user {light}: its clients export searched by one "
            f"application id; workers {args.worker_processes}x{args.worker_threads} = {threads} "
            f"threads, cap {CAP} exports + {CAP} reports a user"
        )
        logs = args.logs or Path(tmp)
        logs.mkdir(parents=True, exist_ok=True)
        try:
            api = load.start(
                "api",
                ["serve", "--port", str(port), "--workers", "2", "--no-workers-in-process"],
                env,
                logs,
            )
            worker = load.start(
                "worker",
                ["worker", "--processes", str(args.worker_processes)]
                + ["--threads", str(args.worker_threads)],
                env,
                logs,
            )
            load.wait_ready(
                base_url,
                [api, worker],
                logs,
                {
                    "api.log": ("Application startup complete.", 2),
                    "worker.log": ("Worker process is ready for action.", args.worker_processes),
                },
            )
            result = asyncio.run(run(args, base_url, heavy, light, params, report))
        finally:
            for proc in reversed(load.STARTED):
                load.stop(proc)
            load.drop_queue(env["DOWNLINE_REDIS_URL"], env["DOWNLINE_QUEUE"])
            free_places(heavy, light)
        return report_figures(args, result)


def report_figures(args, result: dict) -> int:
    idle_times, idle_rows, idle_pages, _, idle_split = result["idle"]
    loaded_times, loaded_rows, loaded_pages, samples, loaded_split = result["loaded"]
    backlog: Backlog = result["backlog"]
    ms = 1000

    def line(label: str, times: list[float], pages: list[float]) -> None:
        print(
            f"   {label:<7} export median {common.median(times) * ms:7.0f} ms  "
            f"p95 {common.percentile(times, 95) * ms:7.0f} ms  max {max(times) * ms:7.0f} ms   "
            f"page p50 {common.percentile(pages, 50) * ms:6.1f} ms  "
            f"p95 {common.percentile(pages, 95) * ms:6.1f} ms"
        )

    print(f"   the light user's export held {sorted(idle_rows | loaded_rows)} row(s)")
    line("idle", idle_times, idle_pages)
    line("loaded", loaded_times, loaded_pages)
    for label, (waits, runs) in (("idle", idle_split), ("loaded", loaded_split)):
        print(
            f"   {label:<7} the export's wait for a worker: median {common.median(waits) * ms:.0f} "
            f"ms, max {max(waits) * ms:.0f} ms; its run: median {common.median(runs) * ms:.0f} "
            f"ms (the rest: the request, and seeing it finished)"
        )
    running = [f"{e}+{r}" for e, r in samples]
    print(
        f"   heavy user's exports+reports running as each loaded export was requested: "
        f"{', '.join(running)}"
    )
    print(
        f"   heavy user: accepted {backlog.accepted['export']} exports and "
        f"{backlog.accepted['report']} reports, refused RATE_LIMITED {backlog.refused['export']} "
        f"exports and {backlog.refused['report']} reports; {len(backlog.sockets)} sockets, "
        f"{args.subscriptions:,} subscriptions, {backlog.events:,} events received"
    )
    for error in backlog.other_errors[:5]:
        print(f"   heavy user error: {error}")
    export_ratio = common.median(loaded_times) / common.median(idle_times)
    page_ratio = common.percentile(loaded_pages, 95) / common.percentile(idle_pages, 95)
    busy = all(e + r > 0 for e, r in samples)
    if not busy:
        print("   (the heavy user had nothing running at some measurement: see above)")
    common.verdict(
        "fairness",
        (
            f"one-row export loaded/idle = {export_ratio:.2f} (median)",
            f"<= {TARGET_RATIO:g}",
            export_ratio <= TARGET_RATIO,
        ),
        (
            f"page p95 loaded/idle = {page_ratio:.2f}",
            f"<= {TARGET_RATIO:g}",
            page_ratio <= TARGET_RATIO,
        ),
        (
            f"refused {backlog.refused['export']}+{backlog.refused['report']}",
            "> 0 each, no other error",
            min(backlog.refused.values()) > 0 and not backlog.other_errors,
        ),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
