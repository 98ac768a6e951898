"""A request's connection is taken from the pool without a ping: its first statement (loading
the caller) is tried again on a fresh connection when the pooled one turns out dead, so a
database that dropped every connection (a restart, a failover) costs no request an error."""

import pytest
import sqlalchemy as sa

from downline.core import db
from tests.conftest import BOOK

pytestmark = pytest.mark.parametrize(
    "database", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)

QUERY = "{ viewer { email } clients(first: 2) { totalCount edges { node { id } } } }"
TERMINATE = (
    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
)


def test_requests_after_the_database_dropped_the_pools_connections_are_answered(
    api, load_book, database
):
    assert not load_book(BOOK).rejections
    expected = api.gql(QUERY, as_="admin@top.test")
    assert expected["clients"]["totalCount"] > 0
    checked_in = db.get_engine().pool.checkedin()
    assert checked_in >= 1
    outside = sa.create_engine(database, poolclass=sa.pool.NullPool)
    with outside.connect() as conn:
        assert conn.execute(sa.text(TERMINATE)).scalar() >= checked_in
    outside.dispose()
    for _ in range(3):
        assert api.gql(QUERY, as_="admin@top.test") == expected
