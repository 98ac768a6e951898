"""The load generator shared by `bench/load.py` (the long run, on the 1M-client benchmark book)
and `tests/faults/test_load.py` (a short run in `make test`): N virtual users, each an asyncio
task looping over a weighted mix of GraphQL operations for D seconds through one
`httpx.AsyncClient`, on loopback, against a running `downline serve`.

Where it lives: here, beside the benchmark that is its main user, as a helper module with no
entry point (bench/run_all.py runs only scripts that have one, so it skips this file). Not in the
`downline` package: a load generator is not part of the product, and the architecture keeps `bench/`
and `tests/` out of the package. Not in `tests/`: pytest's importlib mode makes test modules
unimportable from elsewhere, and the benchmark must not depend on the test tree. It imports only
httpx and the standard library (not bench/common.py), so the test can put `bench/` on sys.path
just long enough to import it without pulling any other bench module in.

The mix (`DEFAULT_MIX`, weights per operation):

- `viewer`: the viewer with its agent or agency.
- `clients`: a Clients page with each client's agent and the agent's agency.
- `clients_filtered`: the same page filtered (states, unsubmitted included, a name search).
- `clients_next`: a cursor walk: the page after the user's last `endCursor` (page 1 first, so
  the first walk of a user is page 1 then page 2; back to page 1 at the end of the list).
- `leads`: a Leads page with its total, sometimes filtered by status.
- `production`: a page of carrier production with its total, sometimes filtered.
- `production_summary`: productionSummary over one of a few groupings.
- `node`: `node(id)` of a client or lead the user saw in a page (a null answer is an error).
- `export`: `requestExport` of one of the user's export types, then `export(id)` every
  `poll_interval` until it is SUCCEEDED (with a download link) or FAILED; the user waits for it,
  as a person watching the export centre does. Recorded as `requestExport` and `export(id)`
  (HTTP requests) and `export` (request to SUCCEEDED, not a request itself).

An error is any transport failure, a non-200 answer, an answer with `errors` or without `data`
(or of a shape the generator cannot read), a null `node` for an id seen in a list, an export that
ends FAILED or without a download link, or one still unfinished `export_timeout` seconds after it
was requested. Idle connections are dropped after 2 s, before uvicorn's keep-alive timeout (5 s)
closes them: otherwise a request sent as the server closes its connection fails, a client-side
race, not the server's error.

Errors count over the whole run; latencies and requests/s only after the first `warmup` seconds
(connection pools, caches and lazily imported modules settle), and RSS "start" is sampled at
that point too. At the deadline no user starts a new operation; one waiting for an export keeps
polling until the export ends (or times out), so every export requested is checked.
"""

import asyncio
import json
import random
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

# ---- who calls, and what they export -----------------------------------------------------------


@dataclass(frozen=True)
class ExportSpec:
    type: str
    params: Mapping | None = None


@dataclass(frozen=True)
class User:
    """A caller: its email (for the report), bearer token, and the exports it requests (none:
    this user's share of `export` goes to the other operations)."""

    email: str
    token: str
    exports: tuple[ExportSpec, ...] = ()


def agent_exports() -> tuple[ExportSpec, ...]:
    """Exports an agent user requests: its recent clients, its leads, its production."""
    month_ago = (datetime.now(UTC).date() - timedelta(days=30)).isoformat()
    return (
        ExportSpec("clients", {"submittedFrom": month_ago}),
        ExportSpec("leads", {"statuses": ["new", "contacted"]}),
        ExportSpec("production", {}),
    )


def admin_exports() -> tuple[ExportSpec, ...]:
    """Exports an agency admin requests (sized for a big book: production, not the clients)."""
    return (
        ExportSpec("production", {"statuses": ["ACTIVE", "APPROVED"]}),
        ExportSpec("production", {"productTypes": ["MAPD", "PDP"]}),
    )


# ---- the operations ----------------------------------------------------------------------------

VIEWER = """
query Viewer { viewer { email role exportsAllowed agent { id name } agency { id name } } }"""
CLIENTS = """
query Clients($first: Int!, $after: String, $filter: ClientFilter) {
  clients(first: $first, after: $after, filter: $filter) {
    edges { node { id firstName lastName state submittedAt applicationStatus ssnMasked
                   agent { id name agency { id name } } } }
    pageInfo { hasNextPage endCursor }
  }
}"""
LEADS = """
query Leads($first: Int!, $filter: LeadFilter) {
  leads(first: $first, filter: $filter) {
    totalCount
    edges { node { id firstName lastName status source createdAt agent { id name } } }
    pageInfo { hasNextPage endCursor }
  }
}"""
PRODUCTION = """
query Production($first: Int!, $filter: ProductionFilter) {
  production(first: $first, filter: $filter) {
    totalCount
    edges { node { id carrier carrierPolicyId clientName productType status termReason
                   effectiveDate agent { id name agency { name } } } }
    pageInfo { hasNextPage endCursor }
  }
}"""
SUMMARY = """
query Summary($groupBy: [ProductionDimension!]!, $filter: ProductionFilter) {
  productionSummary(groupBy: $groupBy, filter: $filter) {
    carrier productType month status state submitted approved active attrited disenrolled net
    agent { id name } agency { id name }
  }
}"""
NODE = """
query Node($id: ID!) {
  node(id: $id) {
    id
    ... on Client { firstName lastName submittedAt agent { name } }
    ... on Lead { firstName lastName status agent { name } }
  }
}"""
REQUEST_EXPORT = """
mutation Request($input: RequestExportInput!) { requestExport(input: $input) { id status } }"""
EXPORT = """
query Export($id: ID!) {
  export(id: $id) { id status error rowCount byteSize downloadUrl type { key } }
}"""

DEFAULT_MIX: dict[str, float] = {
    "viewer": 8,
    "clients": 18,
    "clients_filtered": 10,
    "clients_next": 12,
    "leads": 14,
    "production": 12,
    "production_summary": 9,
    "node": 14,
    "export": 3,
}
PAGE = 25
STATES = (["FL", "TX"], ["GA", "NC", "SC"], ["CA"], ["AZ", "NV", "UT"])
SEARCHES = ("ma", "an", "son", "li", "er")
LEAD_STATUSES = (None, ["new"], ["contacted", "quoted"])
PRODUCTION_FILTERS = (
    None,
    {"statuses": ["ACTIVE", "APPROVED"]},
    {"productTypes": ["MAPD", "PDP", "MA"]},
)
GROUPINGS = (["AGENT", "MONTH"], ["CARRIER", "PRODUCT_TYPE"], ["AGENCY", "STATUS"], ["MONTH"])
KEEPALIVE_EXPIRY = 2.0  # seconds; below the server's keep-alive timeout (uvicorn: 5 s)
EXPORT_STAT = "export"  # request to SUCCEEDED: not an HTTP request of its own


# ---- what a run records ------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    name: str
    started: float  # time.monotonic()
    seconds: float
    error: str | None = None


@dataclass
class Result:
    clients: int
    seconds: float
    warmup: float
    started: float = 0.0
    measured_from: float = 0.0  # the end of the warm-up
    deadline: float = 0.0
    finished: float = 0.0
    samples: list[Sample] = field(default_factory=list)
    # From the `rss` sampler ({label: MiB}): "start" when the warm-up ends, "end" after the last
    # operation; the series, (seconds since the start, sample), every `rss_every` seconds.
    rss: dict[str, dict[str, float]] = field(default_factory=dict)
    rss_series: list[tuple[float, dict[str, float]]] = field(default_factory=list)
    exports_succeeded: Counter = field(default_factory=Counter)  # by type
    users: dict[str, int] = field(default_factory=dict)  # email -> virtual users

    # -- figures

    def measured(self) -> list[Sample]:
        return [s for s in self.samples if s.started >= self.measured_from]

    def requests(self) -> list[Sample]:
        """HTTP requests started after the warm-up and before the deadline."""
        return [s for s in self.measured() if s.name != EXPORT_STAT and s.started < self.deadline]

    @property
    def rate(self) -> float:
        window = self.deadline - self.measured_from
        return len(self.requests()) / window if window > 0 else 0.0

    def errors(self) -> list[Sample]:
        """Every failed request or export, the warm-up included."""
        return [s for s in self.samples if s.error is not None]

    def operations(self) -> dict[str, list[Sample]]:
        by_name: dict[str, list[Sample]] = defaultdict(list)
        for sample in self.samples:
            by_name[sample.name].append(sample)
        return dict(sorted(by_name.items()))

    def exercised(self) -> set[str]:
        """Names with at least one success, over the whole run."""
        return {s.name for s in self.samples if s.error is None}

    def latency_ms(self, name: str, p: int) -> float:
        values = [s.seconds for s in self.measured() if s.name == name and s.error is None]
        return percentile(values, p) * 1000

    def worst_p95(self, *, http_only: bool = True) -> tuple[str, float]:
        names = [n for n in self.operations() if not (http_only and n == EXPORT_STAT)]
        ranked = [(n, self.latency_ms(n, 95)) for n in names]
        ranked = [(n, v) for n, v in ranked if v == v]  # drop NaN (nothing measured)
        return max(ranked, key=lambda item: item[1]) if ranked else ("-", float("nan"))

    def rss_growth(self, label: str) -> tuple[float, float]:
        """(start, end) MiB of one sampled label."""
        return self.rss["start"][label], self.rss["end"][label]

    # -- report

    def table(self) -> list[str]:
        """One line per operation: count and errors (whole run), p50/p95/max (after warm-up)."""
        lines = [
            f"{'operation':<20} {'count':>7} {'errors':>6} {'p50 ms':>8} {'p95 ms':>8} "
            f"{'max ms':>8}"
        ]
        for name, samples in self.operations().items():
            ok = [s.seconds for s in samples if s.started >= self.measured_from and not s.error]
            failed = sum(s.error is not None for s in samples)
            label = f"{name} (end to end)" if name == EXPORT_STAT else name
            top = max(ok) * 1000 if ok else float("nan")
            lines.append(
                f"{label:<20} {len(samples):>7,} {failed:>6} {self.latency_ms(name, 50):>8.1f} "
                f"{self.latency_ms(name, 95):>8.1f} {top:>8.1f}"
            )
        return lines

    def error_lines(self, limit: int = 10) -> list[str]:
        """The distinct error messages by operation, most frequent first."""
        seen = Counter((s.name, s.error) for s in self.errors())
        return [f"{n}x {name}: {error}" for (name, error), n in seen.most_common(limit)]

    def rss_lines(self) -> list[str]:
        if not self.rss:
            return []
        labels = list(self.rss["start"])
        lines = []
        for label in labels:
            series = [values[label] for _t, values in self.rss_series if label in values]
            start, end = self.rss_growth(label)
            lines.append(
                f"RSS {label:<8} start {start:7.1f} MiB  peak {max(series):7.1f} MiB  "
                f"end {end:7.1f} MiB  ({end - start:+.1f} MiB, {(end - start) / start:+.1%})"
            )
            lines.append(f"    {label} over the run: {self.rss_trend(label)}")
        return lines

    def rss_trend(self, label: str, points: int = 7) -> str:
        """`points` samples spread evenly over the run, "<seconds>s <MiB>" each: flat by the end,
        or still climbing?"""
        series = [(t, values[label]) for t, values in self.rss_series if label in values]
        if not series:
            return "-"
        picks = sorted({round(i * (len(series) - 1) / max(points - 1, 1)) for i in range(points)})
        return ", ".join(f"{series[i][0]:.0f}s {series[i][1]:.0f}" for i in picks)


def percentile(values: Sequence[float], p: int) -> float:
    """The p-th percentile (p a whole number, 0..100), linear between the closest ranks (as
    bench/common.py's)."""
    if len(values) < 2:
        return values[0] if values else float("nan")
    if p <= 0 or p >= 100:
        return min(values) if p <= 0 else max(values)
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def growth_ok(start: float, end: float, *, share: float, mib: float) -> bool:
    """RSS is "flat" when it grew by at most `share` of its start or `mib` MiB, whichever is
    more (a small process may take a few MiB of caches; a big one a few percent)."""
    return end - start <= max(start * share, mib)


# ---- process memory, from /proc ----------------------------------------------------------------


def process_tree(pid: int) -> list[int]:
    """`pid` and every process below it (uvicorn's workers, Dramatiq's worker processes)."""
    children: dict[int, list[int]] = defaultdict(list)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children[parent].append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, ()))
    return found


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and its descendants, summed, in MiB (0 once it is gone)."""
    total_kb = 0
    for member in process_tree(pid):
        try:
            status = Path(f"/proc/{member}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total_kb += int(line.split()[1])
                break
    return total_kb / 1024


# ---- the run -----------------------------------------------------------------------------------


class _Run:
    def __init__(
        self,
        client: httpx.AsyncClient,
        users: Sequence[User],
        result: Result,
        mix: Mapping[str, float],
        seed: int,
        poll_interval: float,
        export_timeout: float,
    ) -> None:
        self.client = client
        self.users = users
        self.result = result
        self.mix = mix
        self.seed = seed
        self.poll_interval = poll_interval
        self.export_timeout = export_timeout
        self.seen_ids: dict[str, list[str]] = defaultdict(list)  # email -> node ids it saw

    async def gql(
        self,
        name: str,
        user: User,
        query: str,
        variables: dict,
        check: Callable[[dict], str | None] | None = None,
    ) -> dict | None:
        """POST one operation and record it; its `data`, or None when it failed. `check(data)`
        may name what is wrong with an answer that has no `errors`."""
        started = time.monotonic()
        error = data = None
        try:
            response = await self.client.post(
                "/graphql",
                json={"query": query, "variables": variables},
                headers={"Authorization": f"Bearer {user.token}"},
            )
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        else:
            try:
                payload = response.json()
            except ValueError:
                payload = None
            if response.status_code != 200:
                error = f"HTTP {response.status_code}: {response.text[:200]}"
            elif not isinstance(payload, dict):
                error = f"not JSON: {response.text[:200]}"
            elif payload.get("errors"):
                error = json.dumps(payload["errors"])[:300]
            elif payload.get("data") is None:
                error = f"no data: {response.text[:200]}"
            else:
                data = payload["data"]
                error = check(data) if check is not None else None
        self.record(name, started, error)
        return None if error else data

    def record(self, name: str, started: float, error: str | None = None) -> None:
        sample = Sample(name, started, time.monotonic() - started, error)
        self.result.samples.append(sample)

    # -- set-up: what each user sees, for `node`

    async def prime(self, user: User) -> None:
        """Check the user (a token that works; exports allowed when it has exports) and keep
        the ids of its first clients and leads, for `node`. Raises on any failure: the run
        cannot be meaningful without it."""
        for query, variables in (
            (VIEWER, {}),
            (CLIENTS, {"first": PAGE, "after": None, "filter": None}),
            (LEADS, {"first": PAGE, "filter": None}),
        ):
            response = await self.client.post(
                "/graphql",
                json={"query": query, "variables": variables},
                headers={"Authorization": f"Bearer {user.token}"},
            )
            payload = response.json()
            if response.status_code != 200 or payload.get("errors"):
                raise RuntimeError(f"{user.email}: {response.status_code} {payload}")
            data = payload["data"]
            if "viewer" in data and user.exports and not data["viewer"]["exportsAllowed"]:
                raise RuntimeError(f"{user.email} has exports in the mix but may not export")
            for key in ("clients", "leads"):
                if key in data:
                    self.seen_ids[user.email] += [e["node"]["id"] for e in data[key]["edges"]]
        if not self.seen_ids[user.email]:
            raise RuntimeError(f"{user.email} sees no clients or leads: nothing for `node`")

    # -- one virtual user

    async def user_loop(self, number: int) -> None:
        rng = random.Random(self.seed * 100_003 + number)
        user = self.users[number % len(self.users)]
        names = [n for n, w in self.mix.items() if w > 0 and (n != "export" or user.exports)]
        weights = [self.mix[n] for n in names]
        state: dict[str, str | None] = {"cursor": None}
        # Users start spread over the first half second, not in one burst.
        await asyncio.sleep(rng.random() * 0.5)
        while time.monotonic() < self.result.deadline:
            name = rng.choices(names, weights)[0]
            started = time.monotonic()
            try:
                await getattr(self, f"op_{name}")(user, rng, state)
            except Exception as exc:  # noqa: BLE001 - an answer of an unexpected shape: counted
                self.record(name, started, f"unexpected answer: {type(exc).__name__}: {exc}")

    async def op_viewer(self, user: User, rng: random.Random, state: dict) -> None:
        await self.gql("viewer", user, VIEWER, {})

    async def op_clients(self, user: User, rng: random.Random, state: dict) -> None:
        data = await self.gql("clients", user, CLIENTS, {"first": PAGE, "after": None})
        if data is not None:
            self.remember(user, rng, data["clients"]["edges"])

    async def op_clients_filtered(self, user: User, rng: random.Random, state: dict) -> None:
        flt = {
            "states": rng.choice(STATES),
            "includeUnsubmitted": True,
            "search": rng.choice(SEARCHES),
        }
        variables = {"first": PAGE, "after": None, "filter": flt}
        await self.gql("clients_filtered", user, CLIENTS, variables)

    async def op_clients_next(self, user: User, rng: random.Random, state: dict) -> None:
        if state["cursor"] is None:  # page 1 first, as a person does
            data = await self.gql("clients", user, CLIENTS, {"first": PAGE, "after": None})
            if data is None:
                return
            info = data["clients"]["pageInfo"]
            if not info["hasNextPage"]:
                return
            state["cursor"] = info["endCursor"]
        variables = {"first": PAGE, "after": state["cursor"]}
        data = await self.gql("clients_next", user, CLIENTS, variables)
        if data is None:
            state["cursor"] = None
            return
        info = data["clients"]["pageInfo"]
        state["cursor"] = info["endCursor"] if info["hasNextPage"] else None
        self.remember(user, rng, data["clients"]["edges"])

    async def op_leads(self, user: User, rng: random.Random, state: dict) -> None:
        statuses = rng.choice(LEAD_STATUSES)
        variables = {"first": PAGE, "filter": {"statuses": statuses} if statuses else None}
        data = await self.gql("leads", user, LEADS, variables)
        if data is not None:
            self.remember(user, rng, data["leads"]["edges"])

    async def op_production(self, user: User, rng: random.Random, state: dict) -> None:
        variables = {"first": PAGE, "filter": rng.choice(PRODUCTION_FILTERS)}
        await self.gql("production", user, PRODUCTION, variables)

    async def op_production_summary(self, user: User, rng: random.Random, state: dict) -> None:
        variables = {"groupBy": rng.choice(GROUPINGS), "filter": rng.choice(PRODUCTION_FILTERS)}
        await self.gql("production_summary", user, SUMMARY, variables)

    async def op_node(self, user: User, rng: random.Random, state: dict) -> None:
        node_id = rng.choice(self.seen_ids[user.email])

        def found(data: dict) -> str | None:  # seen in one of this user's lists: must be found
            node = data["node"]
            return None if node and node["id"] == node_id else f"node({node_id}) gave {node}"

        await self.gql("node", user, NODE, {"id": node_id}, found)

    async def op_export(self, user: User, rng: random.Random, state: dict) -> None:
        spec = rng.choice(user.exports)
        started = time.monotonic()
        variables = {"input": {"type": spec.type, "params": dict(spec.params or {})}}
        data = await self.gql("requestExport", user, REQUEST_EXPORT, variables)
        if data is None:
            return
        export_id = data["requestExport"]["id"]
        while True:
            await asyncio.sleep(self.poll_interval)
            data = await self.gql("export(id)", user, EXPORT, {"id": export_id})
            current = None if data is None else data["export"]
            if data is not None and current is None:
                self.record(EXPORT_STAT, started, f"{spec.type} {export_id}: export(id) is null")
                return
            if current is not None and current["status"] == "SUCCEEDED":
                if not current["downloadUrl"]:
                    error = f"{spec.type} {export_id}: SUCCEEDED without a download link"
                    self.record(EXPORT_STAT, started, error)
                    return
                self.result.exports_succeeded[spec.type] += 1
                self.record(EXPORT_STAT, started)
                return
            if current is not None and current["status"] == "FAILED":
                error = f"{spec.type} {export_id} FAILED: {current['error']}"
                self.record(EXPORT_STAT, started, error)
                return
            if time.monotonic() - started > self.export_timeout:
                status = current["status"] if current else "unknown"
                error = f"{spec.type} {export_id}: still {status} after {self.export_timeout:g}s"
                self.record(EXPORT_STAT, started, error)
                return

    def remember(self, user: User, rng: random.Random, edges: list[dict]) -> None:
        """Keep an id of a page for `node` (bounded: a few hundred per user)."""
        if edges:
            ids = self.seen_ids[user.email]
            node_id = rng.choice(edges)["node"]["id"]
            if len(ids) < 500:
                ids.append(node_id)
            else:
                ids[rng.randrange(len(ids))] = node_id


async def run(
    base_url: str,
    users: Sequence[User],
    *,
    clients: int = 100,
    seconds: float = 20.0,
    warmup: float = 5.0,
    mix: Mapping[str, float] | None = None,
    rss: Callable[[], dict[str, float]] | None = None,
    rss_every: float = 1.0,
    poll_interval: float = 0.25,
    export_timeout: float = 120.0,
    request_timeout: float = 60.0,
    seed: int = 1,
) -> Result:
    """`clients` virtual users (user i is `users[i % len(users)]`) running `mix` against
    `base_url` for `warmup` + `seconds` seconds; `rss()` (label -> MiB) is sampled when the
    warm-up ends ("start"), every `rss_every` seconds, and after the last operation ("end")."""
    if not users:
        raise ValueError("no users")
    mix = dict(DEFAULT_MIX if mix is None else mix)
    unknown = [name for name in mix if not hasattr(_Run, f"op_{name}")]
    if unknown:
        raise ValueError(f"unknown operations in the mix: {', '.join(unknown)}")
    result = Result(clients=clients, seconds=seconds, warmup=warmup)
    result.users = dict(Counter(users[i % len(users)].email for i in range(clients)))
    # An idle connection is dropped before uvicorn's keep-alive timeout (5 s) can close it: with
    # both at 5 s, a request sent just as the server closes the connection fails (ReadError),
    # a client-side race that browsers hide by retrying and that this generator must avoid.
    limits = httpx.Limits(
        max_connections=clients,
        max_keepalive_connections=clients,
        keepalive_expiry=KEEPALIVE_EXPIRY,
    )
    async with httpx.AsyncClient(
        base_url=base_url, limits=limits, timeout=request_timeout
    ) as client:
        load = _Run(client, users, result, mix, seed, poll_interval, export_timeout)
        for user in {u.email: u for u in users}.values():
            await load.prime(user)
        result.started = time.monotonic()
        result.measured_from = result.started + warmup
        result.deadline = result.measured_from + seconds
        tasks = [asyncio.create_task(load.user_loop(n)) for n in range(clients)]
        sampler = asyncio.create_task(_sample_rss(result, rss, rss_every)) if rss else None
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            if sampler is not None:
                sampler.cancel()
        result.finished = time.monotonic()
    if rss is not None:
        result.rss["end"] = rss()
        result.rss_series.append((result.finished - result.started, result.rss["end"]))
        result.rss.setdefault("start", result.rss["end"])  # a run shorter than its warm-up
    return result


async def _sample_rss(result: Result, rss: Callable[[], dict[str, float]], every: float) -> None:
    await asyncio.sleep(max(0.0, result.measured_from - time.monotonic()))
    result.rss["start"] = rss()
    while True:
        result.rss_series.append((time.monotonic() - result.started, rss()))
        await asyncio.sleep(every)
