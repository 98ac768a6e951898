"""The per-request context: the caller's principal, and DataLoaders made fresh per operation.

Database work is written synchronously (the same code serves the API, the CLI and the workers),
and every resolver hands it to `run`: the event loop never blocks on SQL. Within an HTTP request
every `run` shares the request's `Unit`: one session, so one connection and one transaction, from
the principal's load to the last resolver; on PostgreSQL it runs on the loop itself, each round
trip awaited, elsewhere in a worker thread.
"""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from datetime import datetime
from functools import cached_property, lru_cache, partial
from typing import Any, Protocol, TypeVar
from weakref import WeakKeyDictionary

import anyio
import anyio.to_thread
import psycopg
from sqlalchemy import Connection, Dialect, Executable
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util import greenlet_spawn
from sqlmodel import Session
from strawberry.dataloader import DataLoader

from downline.core import db
from downline.core.book import roster
from downline.core.book.scope import Principal
from downline.core.config import get_settings
from downline.core.errors import Unauthenticated
from downline.core.exports import access as export_access
from downline.core.production.reconciliation import by_client, shown_policies

T = TypeVar("T")
AUTOCOMMIT, READ_COMMITTED = "AUTOCOMMIT", "READ COMMITTED"  # PostgreSQL's default


class Unit:
    """The database work of one HTTP request (server/graphql.py opens one around each operation
    but an upload): one connection, and one session on it (made when a resolver first asks),
    that the principal's load and every resolver share, used by one `run` at a time.

    A query reads in autocommit: under READ COMMITTED every statement of a transaction sees a
    snapshot of its own anyway, so a transaction around the reads bought nothing but BEGIN and
    ROLLBACK round trips, and a hop to a thread to end it. A mutation (`for_writes`, told before
    its first resolver) writes in one transaction, on a session of its own.

    On PostgreSQL, while the app runs (`on_the_loop`), a `run` is no hop at all: its function
    runs in a greenlet on the event loop, each round trip awaited on psycopg's async connection
    (a hop to a thread and back cost the API more CPU than the statement it carried). Elsewhere
    (SQLite; a loop the app's lifespan did not open) it hops to a worker thread.

    The connection is not pinged when taken from the pool: the request's first statement
    (loading its principal) is tried again on a fresh connection when the pooled one turns out
    dead. A `run` that raises ends the session (a transaction rolled back); the next `run` opens
    another. On threads, no more units hold a connection at once than there are threads
    (`_admission`): a request waits for its turn before its first hop, never in a thread."""

    def __init__(self) -> None:
        self._session: Session | None = None
        self._connection: Connection | None = None  # a query's, in autocommit
        self._writes = False
        self._closed = False
        self._admitted = False
        self._engine: AsyncEngine | None = None  # the loop's, from the first `run` on
        self._lock = asyncio.Lock()

    def for_writes(self) -> None:
        """The operation is a mutation: what it does from now on is one transaction."""
        self._writes = True

    async def run(self, fn: Callable[..., T], *args: Any, first: bool = False) -> T:
        """`fn(session, *args)`; `first`: the request's first statement (loading its principal),
        given the bare connection when the request reads (`fn` takes either): a request that
        reads nothing else (`viewer`) never pays for a Session."""
        async with self._lock:
            if self._closed:  # work left running past the answer: a session of its own
                return await _alone(fn, *args)
            if self._session is None and self._connection is None:
                self._engine = loop_engine()
            if self._engine is None and not self._admitted:
                await _admission().acquire()
                self._admitted = True
            if self._writes and self._connection is not None:
                await self._hop(self._end)  # the reads' autocommit session: nothing to roll back
            return await self._hop(self._call, fn, args, first)

    async def first_row(self, statement: Executable, parameters: dict[str, Any]) -> Any:
        """The first row of `statement` (None: no row), as the request's first statement (see
        `run`). On the loop it goes straight to psycopg's connection: SQLAlchemy's execution
        around it cost more CPU than its round trip (the principal's load, on every request:
        290 us of a one-row page's 1,800). Its parameters reach psycopg as given, its values
        come back as psycopg reads them (an enum as the name stored), and SQLAlchemy's events
        do not see it: with tracing on, whose SQL spans are made of them, it goes through
        SQLAlchemy as anywhere else."""
        engine = loop_engine()
        opened = self._session is not None or self._connection is not None
        if engine is None or opened or self._closed or self._writes or get_settings().tracing:
            return await self.run(_first_row, statement, parameters, first=True)
        sql = _driver_sql(statement, engine.dialect)
        async with self._lock:
            self._engine = engine
            for unpinged in (True, False):
                await greenlet_spawn(self._open_first, unpinged)
                driver = self._connection.connection.driver_connection
                try:
                    return await (await driver.execute(sql, parameters)).fetchone()
                except psycopg.Error as error:
                    # Dead: the database restarted, or dropped the pooled connection. Its
                    # replacement is pinged: others opened with it may be dead too.
                    dead = driver.broken or driver.closed
                    if dead:
                        await greenlet_spawn(self._connection.invalidate)
                    await greenlet_spawn(self._end)
                    if not (dead and unpinged):
                        raise DBAPIError.instance(
                            sql, parameters, error, psycopg.Error, connection_invalidated=dead
                        ) from error
        raise AssertionError("unreachable: the second try returns or raises")

    async def close(self) -> None:
        """Give the connection back: a query's at once (in autocommit nothing is left to roll
        back, so nothing is sent), a mutation's after rolling back what was not committed."""
        with anyio.CancelScope(shield=True):  # a request cancelled still gives it back
            async with self._lock:
                self._closed = True
                try:
                    if self._engine is not None:
                        await greenlet_spawn(self._end)
                    elif self._connection is not None:
                        self._end()
                    elif self._session is not None:
                        await anyio.to_thread.run_sync(self._end)
                finally:
                    if self._admitted:
                        self._admitted = False
                        _admission().release()

    def _call(self, fn: Callable[..., T], args: tuple, first: bool) -> T:
        retried = first and self._session is None and self._connection is None
        try:
            return self._attempt(fn, args, unpinged=retried, bare=first)
        except DBAPIError as exc:
            if not (retried and exc.connection_invalidated):
                raise
        # The pooled connection was dead (the database restarted, or dropped it): the pool has
        # replaced it and every connection opened before it.
        return self._attempt(fn, args, unpinged=False, bare=first)

    def _attempt(self, fn: Callable[..., T], args: tuple, unpinged: bool, bare: bool) -> T:
        token = db.unpinged.set(unpinged)
        try:
            if self._session is None and self._connection is None:
                self._open()
            if bare and self._connection is not None:
                return fn(self._connection, *args)
            if self._session is None:
                self._session = Session(bind=self._connection, expire_on_commit=False)
            return fn(self._session, *args)
        except BaseException:
            self._end()
            raise
        finally:
            db.unpinged.reset(token)

    def _hop(self, fn: Callable[..., T], *args: Any) -> Awaitable[T]:
        if self._engine is not None:
            return greenlet_spawn(fn, *args)
        return anyio.to_thread.run_sync(fn, *args)

    def _open_first(self, unpinged: bool) -> None:
        token = db.unpinged.set(unpinged)
        try:
            self._open()
        finally:
            db.unpinged.reset(token)

    def _open(self) -> None:
        if self._engine is None:
            engine = db.get_engine()
            if self._writes:
                self._session = Session(engine, expire_on_commit=False)
            else:
                self._connection = engine.connect().execution_options(isolation_level=AUTOCOMMIT)
        elif self._writes:  # the loop's connections stay in autocommit while in the pool
            engine = self._engine.sync_engine.execution_options(isolation_level=READ_COMMITTED)
            self._session = Session(engine, expire_on_commit=False)
        else:
            self._connection = self._engine.sync_engine.connect()

    def _end(self) -> None:
        session, connection = self._session, self._connection
        self._session = self._connection = None
        if session is not None:
            session.close()
        if connection is not None:
            connection.close()


def _first_row(connection: Connection | Session, statement: Executable, parameters: dict) -> Any:
    return connection.execute(statement, parameters).first()


@lru_cache(maxsize=16)
def _driver_sql(statement: Executable, dialect: Dialect) -> str:
    """`statement` as psycopg takes it (its %(name)s parameters), compiled once."""
    return str(statement.compile(dialect=dialect))


# The engine each event loop's requests run their database work on, while the app runs.
_loop_engines: WeakKeyDictionary[asyncio.AbstractEventLoop, AsyncEngine] = WeakKeyDictionary()


@asynccontextmanager
async def on_the_loop() -> AsyncIterator[None]:
    """While open (the app's lifespan), the HTTP requests of the running loop do their database
    work on it (PostgreSQL; SQLite's has no async driver worth the name: threads stay)."""
    if not db.is_postgres():
        yield
        return
    settings = get_settings()
    loop = asyncio.get_running_loop()
    engine = _loop_engines[loop] = db.make_async_engine(
        settings.database_url,
        settings.db_pool_size,
        settings.db_pool_timeout,
        # Switching each read's connection to autocommit and back cost a request two calls
        # into the driver: the loop's stay in it, and a mutation's session leaves it.
        isolation_level=AUTOCOMMIT,
    )
    try:
        yield
    finally:
        if _loop_engines.get(loop) is engine:
            del _loop_engines[loop]
        await engine.dispose()


def loop_engine() -> AsyncEngine | None:
    """The engine the running loop's requests work on, if the app opened one (`on_the_loop`)."""
    return _loop_engines.get(asyncio.get_running_loop())


# Requests holding a connection across their hops to worker threads, per event loop: no more
# than there are threads. Beyond, a request's first hop would take a thread only to wait in it
# for a connection, while the requests holding every connection wait for a thread: nothing
# moves until the pool's timeout answers 503 (100 clients at once did that).
_admissions: WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = WeakKeyDictionary()


def _admission() -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    gate = _admissions.get(loop)
    if gate is None:
        threads = anyio.to_thread.current_default_thread_limiter().total_tokens
        gate = _admissions[loop] = asyncio.Semaphore(int(threads))
    return gate


async def _alone(fn: Callable[..., T], *args: Any) -> T:
    def call() -> T:
        with db.session() as session:
            return fn(session, *args)

    return await anyio.to_thread.run_sync(call)


# The Unit of the HTTP request being served; None elsewhere (a WebSocket's operations, whose
# connection lives for hours, and uploads): there each `run` has a session of its own.
request_unit: ContextVar[Unit | None] = ContextVar("request_unit", default=None)


async def run(fn: Callable[..., T], *args: Any) -> T:
    """Call `fn(session, *args)` in a worker thread: with the request's session in an HTTP
    request (`Unit`), else with a session of its own."""
    unit = request_unit.get()
    if unit is not None:
        return await unit.run(fn, *args)
    return await _alone(fn, *args)


async def _by_key(principal: Principal, fn, keys: list[str]) -> list[Any]:
    found = await run(fn, principal, list(keys))
    return [found.get(k) for k in keys]


async def _lists(principal: Principal, fn, keys: list[str]) -> list[list[Any]]:
    found = await run(fn, principal, list(keys))
    return [found.get(k, []) for k in keys]


def _loader(batch, fn) -> cached_property:
    """A Loaders attribute: the DataLoader of `fn(session, principal, keys)`, answered per key by
    `batch` (_by_key or _lists), made when first used."""
    return cached_property(lambda self: DataLoader(load_fn=partial(batch, self.principal, fn)))


class Loaders:
    """One set per operation (never per module, never per WebSocket connection), so nothing
    cached outlives the operation that loaded it. Each loader is made when first used: most
    operations use none or one, and 1,000 open subscriptions each holding seven unused ones were
    40,000 more objects for every full garbage collection to scan."""

    agency = _loader(_by_key, roster.agencies_by_id)
    agent = _loader(_by_key, roster.agents_by_id)
    agent_by_npn = _loader(_by_key, roster.agents_by_npn)
    sub_agencies = _loader(_lists, roster.sub_agencies)
    reconciliation = _loader(_by_key, by_client)
    shown_policy = _loader(_by_key, shown_policies)

    def __init__(self, principal: Principal) -> None:
        self.principal = principal
        self._direct_agents: dict[int, DataLoader] = {}

    @cached_property
    def downloads_allowed(self) -> DataLoader:
        """By requester email. Uncached, so that every look at an export (a subscription's next
        state) asks the switch anew; the exports of one page still ask once, together."""
        return DataLoader(load_fn=self._downloads_allowed, cache=False)

    def direct_agents(self, first: int) -> DataLoader:
        if first not in self._direct_agents:
            self._direct_agents[first] = DataLoader(
                load_fn=partial(_by_key, self.principal, partial(_direct_agents, first=first))
            )
        return self._direct_agents[first]

    async def _downloads_allowed(self, emails: list[str]) -> list[bool]:
        allowed = await run(export_access.downloads_allowed, list(emails))
        return [allowed[e] for e in emails]


def _direct_agents(session, principal, ids, *, first):
    return roster.direct_agents(session, principal, ids, first)


class JobQueue(Protocol):
    """How the API wakes a worker for a committed job (the server provides it)."""

    def send_report(self, report: Any) -> None: ...

    def send_export(self, export: Any) -> None: ...


class Context:
    def __init__(
        self, request: Any, response: Any, principal: Principal | None, queue: JobQueue
    ) -> None:
        self.request = request
        self.response = response
        self.queue = queue
        self._principal = principal
        self.connection_params: dict | None = None  # set by the WebSocket handshake
        self.signed_in_until: datetime | None = None  # a WebSocket's token's exp
        self.loaders: Loaders | None = Loaders(principal) if principal else None

    @property
    def principal(self) -> Principal:
        if self._principal is None:
            raise Unauthenticated("sign in first: send Authorization: Bearer <token>")
        return self._principal

    def sign_in(self, principal: Principal, until: datetime) -> None:
        """A WebSocket's user, as loaded when it signed in or, later, when it started an
        operation."""
        self._principal = principal
        self.signed_in_until = until
        self.loaders = Loaders(principal)

    def fresh_loaders(self) -> None:
        if self._principal is not None:
            self.loaders = Loaders(self._principal)
