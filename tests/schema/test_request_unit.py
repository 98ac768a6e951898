"""An HTTP request's database work (schema.context.Unit): one connection for all its runs; a
query's reads in autocommit (no transaction left open between runs, nothing to roll back at
the end); a mutation's writes in one transaction, rolled back unless committed; a run that
raises ends the session and the next run opens another. The same on the event loop itself (the
app's engine for it, `on_the_loop`) as on worker threads."""

import asyncio
import threading
from contextlib import AsyncExitStack

import pytest
import sqlalchemy as sa

from downline.core import db
from downline.schema.context import Unit, loop_engine, on_the_loop

pytestmark = [
    pytest.mark.parametrize(
        "database", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
    ),
    pytest.mark.parametrize("where", ["threads", "loop"]),
]


def dbapi(session):
    return session.connection().connection.dbapi_connection


def in_transaction(session) -> bool:
    return dbapi(session).info.transaction_status != 0  # psycopg's IDLE


async def opened(stack: AsyncExitStack, where: str) -> sa.pool.Pool:
    """The pool the units of this loop take their connection from."""
    if where == "loop":
        await stack.enter_async_context(on_the_loop())
        return loop_engine().sync_engine.pool
    return db.get_engine().pool


def test_a_querys_runs_share_one_connection_in_autocommit(database, where):
    async def scenario():
        async with AsyncExitStack() as stack:
            pool = await opened(stack, where)
            unit = Unit()
            first = await unit.run(lambda s: (dbapi(s), s.execute(sa.text("SELECT 1")).scalar()))
            second = await unit.run(lambda s: (dbapi(s), in_transaction(s)))
            thread = await unit.run(lambda _: threading.get_ident())
            await unit.close()
            return first, second, thread, pool.checkedout()

    (first_connection, one), (second_connection, open_transaction), thread, left = asyncio.run(
        scenario()
    )
    assert one == 1 and first_connection is second_connection
    assert not open_transaction
    assert left == 0
    # On the loop, no hop: the run's code ran on the thread the loop runs on (this one).
    assert (thread == threading.get_ident()) == (where == "loop")


def test_a_mutations_writes_are_one_transaction_rolled_back_unless_committed(database, where):
    insert = sa.text(
        "INSERT INTO agency (id, name, exports_allowed_for_agents, created_at) VALUES (:id, 'X', true, now())"
    )

    def write(session, agency_id, commit):
        session.execute(insert, {"id": agency_id})
        if commit:
            session.commit()
        return in_transaction(session)

    async def scenario():
        async with AsyncExitStack() as stack:
            pool = await opened(stack, where)
            unit = Unit()
            await unit.run(lambda s: s.execute(sa.text("SELECT 1")).scalar(), first=True)
            unit.for_writes()
            committed = await unit.run(write, "kept", True)
            pending = await unit.run(write, "dropped", False)
            await unit.close()
            return committed, pending, pool.checkedout()

    committed, pending, left = asyncio.run(scenario())
    assert not committed and pending and left == 0
    with db.get_engine().connect() as conn:
        ids = set(conn.execute(sa.text("SELECT id FROM agency")).scalars())
    assert "kept" in ids and "dropped" not in ids


def test_a_run_that_raises_ends_the_session_and_the_next_one_works(database, where):
    async def scenario():
        async with AsyncExitStack() as stack:
            pool = await opened(stack, where)
            unit = Unit()
            with pytest.raises(sa.exc.ProgrammingError):
                await unit.run(lambda s: s.execute(sa.text("SELECT no_such_column FROM agency")))
            value = await unit.run(lambda s: s.execute(sa.text("SELECT 2")).scalar())
            await unit.close()
            late = await unit.run(lambda s: s.execute(sa.text("SELECT 3")).scalar())
            return value, late, pool.checkedout()

    assert asyncio.run(scenario()) == (2, 3, 0)
    assert db.get_engine().pool.checkedout() == 0


def test_the_first_run_reads_on_the_bare_connection_and_a_mutation_leaves_autocommit_behind(
    database, where
):
    """The principal's load needs no Session; the resolvers after it get one on the same
    connection. A mutation's transaction ends with its unit: the next query reads in
    autocommit again, whichever pooled connection it gets."""

    def connection_of(target):
        return target if isinstance(target, sa.Connection) else target.connection()

    async def scenario():
        async with AsyncExitStack() as stack:
            await opened(stack, where)
            reads = Unit()
            bare = await reads.run(connection_of, first=True)
            kinds = [await reads.run(lambda c: type(c).__name__, first=True)]
            kinds.append(await reads.run(lambda c: type(c).__name__))
            session_connection = await reads.run(lambda s: s.connection())
            await reads.close()
            writes = Unit()
            writes.for_writes()
            await writes.run(lambda s: in_transaction(s) or s.execute(sa.text("SELECT 1")))
            await writes.close()
            after = []
            for _ in range(3):
                unit = Unit()
                after.append(await unit.run(lambda s: dbapi(s).autocommit))
                await unit.close()
            return bare is session_connection, kinds, after

    same, kinds, after = asyncio.run(scenario())
    assert same and kinds == ["Connection", "Session"]
    assert after == [True, True, True]


def test_the_first_row_goes_straight_to_psycopg_on_the_loop_on_the_units_connection(
    database, where
):
    """The principal's statement skips SQLAlchemy's execution on the loop (no event sees it)
    and gives the row SQLAlchemy gives; the runs after it share its connection."""
    statement = sa.text("SELECT :word AS word, 41 + 1 AS answer")
    seen: list[str] = []

    def listener(conn, cursor, sql, *args) -> None:
        seen.append(sql)

    async def scenario():
        async with AsyncExitStack() as stack:
            await opened(stack, where)
            unit = Unit()
            row = await unit.first_row(statement, {"word": "hello"})
            straight = list(seen)
            later = await unit.run(lambda s: (dbapi(s), s.execute(statement, {"word": "x"}).one()))
            first_connection = unit._connection.connection.dbapi_connection
            await unit.close()
            return tuple(row), straight, later, first_connection

    sa.event.listen(sa.Engine, "before_cursor_execute", listener)
    try:
        row, straight, (later_connection, later), first_connection = asyncio.run(scenario())
    finally:
        sa.event.remove(sa.Engine, "before_cursor_execute", listener)
    assert row == ("hello", 42) and tuple(later) == ("x", 42)
    assert later_connection is first_connection
    assert len(straight) == (0 if where == "loop" else 1)


def test_a_first_row_in_a_unit_that_writes_is_read_in_its_transaction(database, where):
    async def scenario():
        async with AsyncExitStack() as stack:
            await opened(stack, where)
            unit = Unit()
            unit.for_writes()
            row = await unit.first_row(sa.text("SELECT 7"), {})
            pending = await unit.run(in_transaction)
            await unit.close()
            return tuple(row), pending

    assert asyncio.run(scenario()) == ((7,), True)
