"""An HTTP request's database work (schema.context.Unit): one connection for all its runs; a
query's reads in autocommit (no transaction left open between runs, nothing to roll back at
the end); a mutation's writes in one transaction, rolled back unless committed; a run that
raises ends the session and the next run opens another."""

import asyncio

import pytest
import sqlalchemy as sa

from downline.core import db
from downline.schema.context import Unit

pytestmark = pytest.mark.parametrize(
    "database", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)


def dbapi(session):
    return session.connection().connection.dbapi_connection


def in_transaction(session) -> bool:
    return dbapi(session).info.transaction_status != 0  # psycopg's IDLE


def test_a_querys_runs_share_one_connection_in_autocommit(database):
    async def scenario():
        unit = Unit()
        first = await unit.run(lambda s: (dbapi(s), s.execute(sa.text("SELECT 1")).scalar()))
        second = await unit.run(lambda s: (dbapi(s), in_transaction(s)))
        await unit.close()
        return first, second

    (first_connection, one), (second_connection, open_transaction) = asyncio.run(scenario())
    assert one == 1 and first_connection is second_connection
    assert not open_transaction
    assert db.get_engine().pool.checkedout() == 0


def test_a_mutations_writes_are_one_transaction_rolled_back_unless_committed(database):
    insert = sa.text(
        "INSERT INTO agency (id, name, exports_allowed_for_agents, created_at) VALUES (:id, 'X', true, now())"
    )

    def write(session, agency_id, commit):
        session.execute(insert, {"id": agency_id})
        if commit:
            session.commit()
        return in_transaction(session)

    async def scenario():
        unit = Unit()
        await unit.run(lambda s: s.execute(sa.text("SELECT 1")).scalar(), first=True)
        unit.for_writes()
        committed = await unit.run(write, "kept", True)
        pending = await unit.run(write, "dropped", False)
        await unit.close()
        return committed, pending

    committed, pending = asyncio.run(scenario())
    assert not committed and pending
    with db.get_engine().connect() as conn:
        ids = set(conn.execute(sa.text("SELECT id FROM agency")).scalars())
    assert "kept" in ids and "dropped" not in ids


def test_a_run_that_raises_ends_the_session_and_the_next_one_works(database):
    async def scenario():
        unit = Unit()
        with pytest.raises(sa.exc.ProgrammingError):
            await unit.run(lambda s: s.execute(sa.text("SELECT no_such_column FROM agency")))
        value = await unit.run(lambda s: s.execute(sa.text("SELECT 2")).scalar())
        await unit.close()
        late = await unit.run(lambda s: s.execute(sa.text("SELECT 3")).scalar())
        return value, late

    assert asyncio.run(scenario()) == (2, 3)
    assert db.get_engine().pool.checkedout() == 0
