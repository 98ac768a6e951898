"""One number, DOWNLINE_DB_POOL_SIZE, sizes both the connection pool and the threads requests
run on; a request that still cannot have a connection within DOWNLINE_DB_POOL_TIMEOUT is
answered at once 503 "the database is busy; try again" with Retry-After, not left hanging.

The pool is exhausted for real: the test holds the app's own connections (and, on PostgreSQL,
a table lock) while a request comes in."""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial

import anyio.to_thread
import pytest
import sqlalchemy as sa

from downline.core import db
from downline.schema.context import loop_engine
from tests.conftest import BOOK, Api

ADMIN = "admin@top.test"
POOL = 2
BUSY = {"message": "the database is busy; try again", "extensions": {"code": "UNAVAILABLE"}}


@pytest.fixture
def small_pool(database, load_book, monkeypatch) -> Iterator[Api]:
    """The app on a pool of POOL connections that waits 1 s for one; no job workers in the
    process and no sweep during the test, so that only requests use the pool."""
    assert not load_book(BOOK).rejections
    monkeypatch.setenv("DOWNLINE_DB_POOL_SIZE", str(POOL))
    monkeypatch.setenv("DOWNLINE_DB_POOL_TIMEOUT", "1")
    monkeypatch.setenv("DOWNLINE_WORKERS_IN_PROCESS", "false")
    monkeypatch.setenv("DOWNLINE_SWEEP_SECONDS", "3600")
    db.reset()  # settings and engine read again
    from starlette.testclient import TestClient

    from downline.server.app import create_app

    with TestClient(create_app()) as client:
        yield Api(client)


def request_threads(api: Api) -> anyio.CapacityLimiter:
    """The limiter of the threads the app runs requests' work on (it lives on the app's loop)."""
    return api.client.portal.call(anyio.to_thread.current_default_thread_limiter)


def test_the_pool_size_sizes_the_request_threads_too(small_pool):
    assert request_threads(small_pool).total_tokens == POOL
    engine = db.get_engine()
    held = [engine.connect() for _ in range(POOL)]
    try:
        with pytest.raises(sa.exc.TimeoutError):
            engine.connect()
    finally:
        for connection in held:
            connection.close()


@contextmanager
def holding(api: Api, connections: int) -> Iterator[None]:
    """`connections` of the pool the app's requests take theirs from, held meanwhile: on
    PostgreSQL, the engine of the app's event loop (schema/context.py), held on that loop."""
    engine = api.client.portal.call(loop_engine)
    if engine is None:
        held = [db.get_engine().connect() for _ in range(connections)]
        close = [connection.close for connection in held]
    else:
        held = [api.client.portal.call(engine.connect) for _ in range(connections)]
        close = [partial(api.client.portal.call, connection.close) for connection in held]
    try:
        yield
    finally:
        for each in close:
            each()


def test_a_request_without_a_connection_in_time_is_answered_503_at_once(small_pool):
    with holding(small_pool, POOL):
        started = time.monotonic()
        response = small_pool.post("{ viewer { email } }", as_=ADMIN)
        waited = time.monotonic() - started
    assert response.status_code == 503, response.text
    assert response.json() == {"errors": [BUSY]}
    assert int(response.headers["Retry-After"]) > 0
    # The pool waits 1 s; before, a request waited 30 s for a connection.
    assert waited < 15
    assert small_pool.gql("{ viewer { email } }", as_=ADMIN) == {"viewer": {"email": ADMIN}}


def test_the_fields_of_a_request_share_its_one_connection(small_pool):
    """Every field of a request reads through the connection its sign-in took: with all but
    one connection of the pool held, two fields that each read the database both answer (each
    took a connection of its own before, and the second waited for the pool, or was 503)."""
    query = "{ a: clients(first: 1) { totalCount } b: clients(first: 1) { totalCount } }"
    with holding(small_pool, POOL - 1):
        data = small_pool.gql(query, as_=ADMIN)
    assert data["a"] == data["b"] and data["a"]["totalCount"] > 0


def test_more_requests_at_once_than_connections_all_answer(small_pool):
    """Twelve clients at once on a pool of two, each request reading in several hops to a
    thread: all answer. (A request holds its connection from one hop to the next; without a
    limit on how many do at once, requests' first hops took every thread to wait for a
    connection, the holders waited for a thread, and all were 503 after the pool's timeout.)"""
    import concurrent.futures

    query = "{ a: clients(first: 1) { totalCount } b: leads(first: 1) { totalCount } }"

    def client(_: int) -> list[int]:
        return [small_pool.post(query, as_=ADMIN).status_code for _ in range(3)]

    with concurrent.futures.ThreadPoolExecutor(12) as pool:
        codes = [code for codes in pool.map(client, range(12)) for code in codes]
    assert codes == [200] * 36
