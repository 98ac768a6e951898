"""The engine and session factory: SQLite (WAL, foreign keys on) by default, PostgreSQL in
production."""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

import sqlalchemy
import sqlalchemy.ext.asyncio
from sqlalchemy import Connection, Engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import InvalidatePoolError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import Session

from downline.core.config import get_settings
from downline.core.private import private_file

BUSY = "the database is busy; try again"
"""The answer when no connection could be had within DOWNLINE_DB_POOL_TIMEOUT (the pool raises
sqlalchemy.exc.TimeoutError)."""

# Set by a caller that retries its first statement on a fresh connection when the pooled one
# turns out dead (an API request: schema/context.py): its checkout is not pinged first.
unpinged: ContextVar[bool] = ContextVar("unpinged", default=False)


def make_engine(url: str, connections: int, wait: float) -> Engine:
    """At most `connections` at once, SQLite and PostgreSQL alike, each kept open once opened
    (opening one cost a request milliseconds: a pool that closed what it opened beyond a few
    kept reopening them under load); a checkout waits `wait` seconds at most for one."""
    pool = _pool(connections, wait)
    parsed = make_url(url)
    # sqlalchemy.create_engine is looked up when called, not imported: an instrumentation that
    # wraps it (tracing's SQL spans) then sees every engine made after it.
    create_engine = sqlalchemy.create_engine
    if parsed.get_backend_name() == "sqlite":
        in_memory = not parsed.database or parsed.database == ":memory:"
        if not in_memory:
            # SQLite gives its -wal, -shm and -journal files the database file's own mode.
            private_file(Path(parsed.database))
        # An in-memory database lives in one connection per thread: no pool to size.
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            **({} if in_memory else pool),
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    engine = create_engine(url, connect_args={"options": _without_jit(parsed)}, **pool)
    _ping_checkouts(engine)
    return engine


def make_async_engine(url: str, connections: int, wait: float, **options) -> AsyncEngine:
    """PostgreSQL's engine for an event loop, on psycopg's async connections and pooled as
    `make_engine`'s: its `sync_engine` serves the same synchronous code, run in a greenlet
    (sqlalchemy.util.greenlet_spawn) that hands each round trip to the loop, with no thread.
    `options`: create_async_engine's own (an isolation level)."""
    # Looked up when called, as in make_engine.
    create_engine = sqlalchemy.ext.asyncio.create_async_engine
    server = {"options": _without_jit(make_url(url))}
    engine = create_engine(url, connect_args=server, **_pool(connections, wait), **options)
    _ping_checkouts(engine.sync_engine)
    return engine


def _pool(connections: int, wait: float) -> dict:
    return {"pool_size": connections, "max_overflow": 0, "pool_timeout": wait}


def _without_jit(url: URL) -> str:
    """The connection's server options, the URL's own and `jit=off`. PostgreSQL compiles a
    statement to machine code once its estimated cost passes jit_above_cost: a sub-agency's
    export (109,000 rows, a CASE per cell) spent 568 ms of its 1,685 compiling, in each of its
    three processes, to save nothing. None of our statements runs long enough to win it back."""
    own = url.query.get("options", "")
    return f"{own if isinstance(own, str) else ' '.join(own)} -c jit=off".strip()


def _ping_checkouts(engine: Engine) -> None:
    """SQLAlchemy's pre-ping, but only where the caller would not retry: a connection the server
    dropped is replaced, not handed over. A checkout under `unpinged` is not pinged (the ping
    was a round trip on every request); the caller's first statement stands in for it."""
    dialect = engine.dialect

    @event.listens_for(engine, "connect")
    def opened(_dbapi_connection, record) -> None:
        record.info["fresh"] = True  # nothing to ping: it has just answered

    @event.listens_for(engine, "checkout")
    def ping(dbapi_connection, record, _proxy) -> None:
        if record.info.pop("fresh", False) or unpinged.get():
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as exc:
            if dialect.is_disconnect(exc, dbapi_connection, None):
                # The pool replaces it, and every connection opened before it.
                raise InvalidatePoolError() from exc
            raise


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@lru_cache
def get_engine() -> Engine:
    settings = get_settings()
    return make_engine(settings.database_url, settings.db_pool_size, settings.db_pool_timeout)


def reset() -> None:
    """Forget the cached settings and engine (tests and CLI switch databases)."""
    if get_engine.cache_info().currsize:
        get_engine().dispose()
    get_engine.cache_clear()
    get_settings.cache_clear()


@contextmanager
def session() -> Iterator[Session]:
    with Session(get_engine(), expire_on_commit=False) as s:
        yield s


def is_postgres(engine: Engine | None = None) -> bool:
    return (engine or get_engine()).dialect.name == "postgresql"


# Rows one load or carrier report writes into a table from which its planner statistics are
# refreshed before the command returns. Fewer are left to autovacuum, which analyzes a table a
# minute or more later; until then a freshly filled table has no statistics and PostgreSQL plans
# its first pages blind (page 1 of the Clients list took 340 ms instead of 15 ms after a bulk load).
ANALYZE_ROWS = 10_000


def analyze(bind: Connection | Session, tables: Iterable[str]) -> None:
    """ANALYZE `tables` on PostgreSQL (in `bind`'s transaction: commit after it); nothing on
    SQLite, whose planner does without statistics here."""
    names = sorted(set(tables))
    conn = bind if isinstance(bind, Connection) else bind.connection()
    if not names or conn.dialect.name != "postgresql":
        return
    quote = conn.dialect.identifier_preparer.quote
    conn.exec_driver_sql(f"ANALYZE {', '.join(quote(name) for name in names)}")


def one_process(session: Session) -> None:
    """The rest of `session`'s transaction runs without parallel workers (PostgreSQL; SQLite
    has none). A sub-agency's export statement took three processes for the same 1.1 s that one
    process takes alone (a parallel scan of the whole table instead of the agents' rows, then
    three sorts): the other two CPUs of a small machine, while another user waited for them."""
    if session.get_bind().dialect.name == "postgresql":
        session.connection().exec_driver_sql("SET LOCAL max_parallel_workers_per_gather = 0")
