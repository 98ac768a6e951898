"""Shared by the benchmarks: the PostgreSQL benchmark database and its demo book, timing,
percentiles, RSS and the one-line verdict every benchmark ends with.

The database is `DOWNLINE_BENCH_DATABASE_URL` (default: `downline_bench` on 127.0.0.1:5432),
created when missing. A demo book is generated into it once and reused by every later run that
asks for the same size: a `bench_book` table records the shape of the book that was fully
written. A book of another size than the default lives in a database of its own, named after
it (`downline_bench_200000`), so a benchmark on a smaller book does not wipe the others'. A
change to the migrations wipes a book's database (it is the benchmarks' own) and writes the book
again (the marker keeps their hash): the book's schema is always what the migrations make from
scratch. `DOWNLINE_BENCH_CLIENTS` sets the default size (1,000,000 clients).

Import this module before anything that reads settings: `use_bench_database()` points
`DOWNLINE_DATABASE_URL` at the benchmark database, a temporary `DOWNLINE_VAR_DIR` and a fixed
`DOWNLINE_SECRET_KEY` (so a server started in a subprocess accepts the tokens minted here).
"""

import atexit
import hashlib
import math
import os
import resource
import secrets
import shutil
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/downline_bench"
URL_ENV = "DOWNLINE_BENCH_DATABASE_URL"
CLIENTS_ENV = "DOWNLINE_BENCH_CLIENTS"
DEFAULT_CLIENTS = 1_000_000
REPO = Path(__file__).resolve().parent.parent
LOCK_KEY = 0x646C_6265  # pg_advisory_lock key: one book writer at a time

# The book: the `downline demo` hierarchy (12 agencies, 60 agents) whatever the number of
# clients, so that the biggest agent of a 1M book holds ~100k clients and an agent user's page
# 1000 exists. Leads are not benchmarked: a tenth of the clients keeps generation short.
AGENCIES = 12
AGENTS = 60
SEED = 1


# The database of the book `ensure_book` chose, kept in the environment for child processes.
BOOK_URL_ENV = "_DOWNLINE_BENCH_BOOK_URL"


def bench_url() -> str:
    """The benchmark database: the one holding the book `ensure_book` chose, once it has."""
    return os.environ.get(BOOK_URL_ENV) or os.environ.get(URL_ENV) or DEFAULT_URL


def book_url(clients: int) -> str:
    """The database of a book of `clients` clients: the benchmark database for the default
    size, a sibling named after the size for any other."""
    base = os.environ.get(URL_ENV) or DEFAULT_URL
    if clients == default_clients():
        return base
    return sibling_url(base, str(clients))


def sibling_url(url: str, suffix: str) -> str:
    """`url` naming the database `<its database>_<suffix>` on the same server."""
    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_{suffix}").render_as_string(hide_password=False)


def default_clients() -> int:
    return int(os.environ.get(CLIENTS_ENV) or DEFAULT_CLIENTS)


def use_bench_database() -> dict[str, str]:
    """Point downline's settings at the benchmark database; returns the environment a server
    subprocess needs (the same database, var dir and secret)."""
    from downline.core import db

    os.environ["DOWNLINE_DATABASE_URL"] = bench_url()
    if not os.environ.get("_DOWNLINE_BENCH_VAR"):
        var_dir = tempfile.mkdtemp(prefix="downline-bench-")
        atexit.register(shutil.rmtree, var_dir, ignore_errors=True)
        os.environ["_DOWNLINE_BENCH_VAR"] = var_dir
    os.environ["DOWNLINE_VAR_DIR"] = os.environ["_DOWNLINE_BENCH_VAR"]
    os.environ.setdefault("DOWNLINE_SECRET_KEY", secrets.token_urlsafe(48))
    db.reset()
    keys = ("DOWNLINE_DATABASE_URL", "DOWNLINE_VAR_DIR", "DOWNLINE_SECRET_KEY")
    return {key: os.environ[key] for key in keys}


def ensure_database(url: str) -> None:
    """CREATE DATABASE when it does not exist (through the server's `postgres` database)."""
    parsed = make_url(url)
    name = parsed.database
    for admin_db in ("postgres", "template1"):
        admin = create_engine(
            parsed.set(database=admin_db), isolation_level="AUTOCOMMIT", pool_size=1
        )
        try:
            with admin.connect() as conn:
                found = conn.execute(
                    text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
                ).first()
                if found is None:
                    conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
                    print(f"created database {name}")
            return
        except Exception as exc:  # noqa: BLE001 - try the next maintenance database
            error = exc
        finally:
            admin.dispose()
    raise SystemExit(f"cannot reach PostgreSQL to create {name}: {error}")


@dataclass(frozen=True)
class BenchBook:
    clients: int
    agents: int
    agencies: int
    leads: int
    seed: int
    admin_email: str  # the top agency's admin: sees the whole book
    agent_email: str  # the agent user of the agent holding the most clients
    reused: bool
    seconds: float  # generation time (0 when reused)

    @property
    def shape(self) -> str:
        return (
            f"{self.clients:,} clients, {self.agents} agents, {self.agencies} agencies, "
            f"{self.leads:,} leads, seed {self.seed}"
        )


def ensure_book(clients: int) -> BenchBook:
    """The benchmark database migrated and holding a demo book of `clients` clients: reused when
    the `bench_book` marker says so, else (re)generated, vacuumed and analyzed."""
    from downline.core import db, migrate
    from downline.core.demo import generate
    from downline.core.demo import names as N

    url = book_url(clients)
    os.environ[BOOK_URL_ENV] = url
    ensure_database(url)
    use_bench_database()
    engine = db.get_engine()
    if engine.dialect.name != "postgresql":
        raise SystemExit(f"{URL_ENV} must be a PostgreSQL URL, got {url}")
    leads = clients // 10
    wanted = (clients, AGENTS, AGENCIES, leads, SEED, migrations_hash())
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as lock:
        lock.execute(text("SELECT pg_advisory_lock(:k)"), {"k": LOCK_KEY})
        try:
            marker = _marker(engine)
            if marker is not None and tuple(marker[:6]) == wanted and _count(engine) == clients:
                return BenchBook(*wanted[:5], N.ADMIN_EMAIL, marker[6], reused=True, seconds=0.0)
            if marker is not None and tuple(marker[:5]) == wanted[:5]:
                print("the migrations changed since the benchmark book was written")
            print(f"generating the benchmark book ({clients:,} clients) into {_safe(url)} ...")
            _wipe(engine)
            migrate.upgrade()
            started = time.perf_counter()
            with _progress() as progress:
                generate(
                    engine,
                    agencies=AGENCIES,
                    agents=AGENTS,
                    clients=clients,
                    leads=leads,
                    seed=SEED,
                    progress=progress,
                )
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
            seconds = time.perf_counter() - started
            agent_email = _biggest_agent_user(engine)
            _write_marker(engine, (*wanted, agent_email, seconds))
            print(f"book written, vacuumed and analyzed in {seconds:.0f}s")
            book = BenchBook(*wanted[:5], N.ADMIN_EMAIL, agent_email, reused=False, seconds=seconds)
            return book
        finally:
            lock.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY})


def migrations_hash() -> str:
    """sha256 of the migration scripts: a changed or added migration means a fresh book."""
    from downline.core.migrate import HERE

    digest = hashlib.sha256()
    for path in sorted((HERE / "versions").glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def _safe(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def _marker(engine) -> tuple | None:
    """(clients, agents, agencies, leads, seed, migrations, agent_email) of the written book."""
    columns = ("clients", "agents", "agencies", "leads", "seed", "migrations", "agent_email")
    with engine.connect() as conn:
        if conn.execute(text("SELECT to_regclass('public.bench_book')")).scalar() is None:
            return None
        row = conn.execute(text("SELECT * FROM bench_book LIMIT 1")).mappings().first()
    return None if row is None else tuple(row.get(c) for c in columns)


def _count(engine) -> int:
    with engine.connect() as conn:
        if conn.execute(text("SELECT to_regclass('public.client')")).scalar() is None:
            return -1
        return conn.execute(text("SELECT count(*) FROM client")).scalar_one()


def _wipe(engine) -> None:
    """Drop everything in the benchmark database's public schema (it is ours alone)."""
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")


def _biggest_agent_user(engine) -> str:
    with engine.connect() as conn:
        return conn.execute(
            text(
                'SELECT u.email FROM "user" u JOIN ('
                "  SELECT agent_id, count(*) AS n FROM client GROUP BY agent_id"
                ") c ON c.agent_id = u.agent_id ORDER BY c.n DESC, u.email LIMIT 1"
            )
        ).scalar_one()


def _write_marker(engine, row: tuple) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE bench_book (clients int, agents int, agencies int, leads int, seed int, "
            "migrations text, agent_email text, seconds float, "
            "written_at timestamptz DEFAULT now())"
        )
        conn.execute(
            text(
                "INSERT INTO bench_book (clients, agents, agencies, leads, seed, migrations, "
                "agent_email, seconds) VALUES (:c, :a, :g, :l, :s, :m, :e, :t)"
            ),
            dict(zip(("c", "a", "g", "l", "s", "m", "e", "t"), row, strict=True)),
        )


@contextmanager
def _progress() -> Iterator[Callable[[str, int, int], None] | None]:
    """A rich bar on a terminal; otherwise a line per stage and per tenth of it."""
    if sys.stderr.isatty():
        from downline.core.demo.console import progress_bar

        with progress_bar(True) as bar:
            yield bar
        return
    shown: dict[str, int] = {}

    def report(stage: str, done: int, total: int) -> None:
        tenth = 10 if total == 0 else done * 10 // total
        if shown.get(stage, -1) < tenth:
            shown[stage] = tenth
            print(f"  {stage}: {done:,}/{total:,}", flush=True)

    yield report


def mint_token(email: str) -> str:
    from downline.core import tokens
    from downline.core.config import get_settings

    return tokens.mint(get_settings(), email)


@contextmanager
def profiled(path: Path | None) -> Iterator[None]:
    """The block under cProfile, dumped to `path`; nothing when `path` is None. cProfile sees
    only the thread it is enabled in, so the job runs in this one, as it does on a platform
    without per-thread priorities (in a thread of its own it left the profile empty)."""
    if path is None:
        yield
        return
    import cProfile

    from downline.core import yielding

    yielding.PER_THREAD = False
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        yield
    finally:
        profiler.disable()
        profiler.dump_stats(path)


# ---- figures ---------------------------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0..100), linear between the closest ranks."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else math.nan


class Stopwatch:
    """`with sw: ...` adds one elapsed duration (seconds) to `sw.times`."""

    def __init__(self) -> None:
        self.times: list[float] = []

    def __enter__(self) -> "Stopwatch":
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        self.times.append(time.perf_counter() - self._start)

    def ms(self, p: float = 50) -> float:
        return percentile(self.times, p) * 1000


def rss_mb(pid: int | None = None) -> float:
    """Resident memory of a process (default: this one) in MiB, from /proc; this process's peak
    when /proc is missing."""
    try:
        status = Path(f"/proc/{pid or 'self'}/status").read_text()
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024 if sys.platform == "darwin" else 1024)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def header(title: str, *lines: str) -> None:
    print()
    print(f"== {title} ".ljust(78, "="))
    for line in lines:
        print(f"   {line}")
    sys.stdout.flush()


def verdict(name: str, *parts: tuple[str, str, bool]) -> str:
    """The one summary line a benchmark ends with, from (figure, target, met) parts, e.g.
    `keyset: page1000/page1 = 1.05 (target <= 1.2) OK`; MISSED when any target is missed."""
    figures = ", ".join(f"{figure} (target {target})" for figure, target, _ in parts)
    line = f"{name}: {figures} {'OK' if all(ok for *_, ok in parts) else 'MISSED'}"
    print(line, flush=True)
    return line


# ---- child processes: a measured run in its own process, for its peak RSS --------------------

CHILD_MARK = "@@bench-child-result "


def peak_rss_mb(pid: int | None = None) -> float:
    """Peak resident memory (VmHWM) of a process (default: this one) in MiB; this process's
    ru_maxrss when /proc is missing."""
    try:
        status = Path(f"/proc/{pid or 'self'}/status").read_text()
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024 if sys.platform == "darwin" else 1024)


def child_result(result: dict) -> None:
    """In a child started by `run_child`: hand `result` (JSON-able) back to the parent, with
    this process's peak RSS so far (`peak_rss_mb`)."""
    import json

    payload = {**result, "peak_rss_mb": peak_rss_mb()}
    print(CHILD_MARK + json.dumps(payload, default=str), flush=True)


def run_child(args: Sequence[str], timeout: float = 1800, env: dict | None = None) -> dict:
    """Run `python <args>` (cwd: the repo), echo its output indented, and return the dict it
    passed to `child_result`, plus `maxrss_mb` (the kernel's peak RSS of that process alone,
    from wait4) and `wall_s`. Raises RuntimeError when it fails or reports nothing; a child
    still running after `timeout` seconds is killed."""
    import json
    import subprocess
    import threading

    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, *args],
        cwd=REPO,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    results: list[dict] = []

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith(CHILD_MARK):
                results.append(json.loads(line[len(CHILD_MARK) :]))
            else:
                print(f"     | {line.rstrip()}", flush=True)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    timer = threading.Timer(timeout, lambda: proc.poll() is None and proc.kill())
    timer.start()
    try:
        _pid, status, usage = os.wait4(proc.pid, 0)
    except BaseException:
        proc.kill()
        raise
    finally:
        timer.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)
    reader.join(timeout=10)
    wall = time.perf_counter() - started
    if proc.returncode != 0 or not results:
        raise RuntimeError(f"child {' '.join(args)} failed (exit {proc.returncode})")
    maxrss = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    return {**results[-1], "maxrss_mb": maxrss, "wall_s": wall}


def libpq_url() -> str:
    """The benchmark database's URL as psycopg (libpq) takes it."""
    url = make_url(bench_url()).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def raw_connect(autocommit: bool = False):
    """A plain psycopg connection to the benchmark database (no SQLAlchemy in between), for the
    baselines that downline's code is measured against."""
    import psycopg

    return psycopg.connect(libpq_url(), autocommit=autocommit)


def ensure_policies(marker: str, count: int, write: Callable, what: str) -> tuple[bool, float]:
    """`count` policies a benchmark adds to its book, written once by `write(conn, count)` (one
    transaction) and reused while its `marker` table says that many were fully written and
    `policy` holds as many; one writer at a time (the book's lock). After writing, VACUUM
    ANALYZE. `what` names them in the progress line. (reused, seconds spent writing)."""
    with raw_connect() as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
        try:
            exists = conn.execute("SELECT to_regclass(%s)", (f"public.{marker}",)).fetchone()[0]
            written = exists and conn.execute(f"SELECT policies FROM {marker}").fetchone()  # noqa: S608
            present = conn.execute("SELECT count(*) FROM policy").fetchone()[0]
            conn.commit()
            if written and written[0] == count == present:
                return True, 0.0
            print(f"   writing {what} (policy holds {present:,}) ...", flush=True)
            started = time.perf_counter()
            write(conn, count)
            conn.execute(f"DROP TABLE IF EXISTS {marker}")
            conn.execute(f"CREATE TABLE {marker} (policies bigint)")
            conn.execute(f"INSERT INTO {marker} VALUES (%s)", (count,))  # noqa: S608
            conn.commit()
            seconds = time.perf_counter() - started
            print(f"   written in {seconds:.0f}s; VACUUM ANALYZE ...", flush=True)
            conn.autocommit = True
            conn.execute("VACUUM ANALYZE")
            return False, time.perf_counter() - started
        finally:
            conn.rollback()
            conn.autocommit = True
            conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))


def machine_load() -> str:
    """CPUs and load average, printed with figures that other work on the machine can skew."""
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return f"{os.cpu_count()} CPUs"
    return f"{os.cpu_count()} CPUs, load average {one:.1f} / {five:.1f} / {fifteen:.1f}"


def print_profile(path: Path | str, parts: dict[tuple[str, str], str], top: int = 15) -> None:
    """A cProfile dump as a breakdown, then its top functions by own time. `parts` maps
    (file name suffix, function name) to a label (indent a label for a part of the one above);
    each part shows its cumulative time (a generator's: the time spent inside it)."""
    import pstats

    stats = pstats.Stats(str(path))
    total = stats.total_tt
    found: dict[str, float] = {}
    for (filename, _line, name), (_cc, _nc, _tt, cumulative, _callers) in stats.stats.items():
        for (suffix, function), label in parts.items():
            if filename.endswith(suffix) and name == function:
                found[label] = found.get(label, 0.0) + cumulative
    print(f"  {total:.2f}s under the profiler:")
    for label in parts.values():
        if label in found:
            print(f"    {label:<50} {found[label]:7.2f}s  {found[label] / total:6.1%}")
    print(f"  top {top} functions by own time:")
    ranked = sorted(stats.stats.items(), key=lambda item: item[1][2], reverse=True)[:top]
    for (filename, line, name), (_cc, calls, own, cumulative, _callers) in ranked:
        where = f"{Path(filename).name}:{line}({name})"
        print(f"    {own:7.2f}s own {cumulative:7.2f}s cum {calls:>10,} calls  {where}")
