"""The database drops the API's connections in the middle of a request: while a heavy real query
runs (the production summary over a big policy table, grouped by agent, product and month),
another connection terminates every other backend of the database. The caller gets a clear
INTERNAL error with a reference (no SQL, no stack), and the next requests work: the dead pooled
connections are replaced (pool pre-ping) instead of being handed out."""

import threading
import time

import pytest
import sqlalchemy as sa

from downline.core import db

pytestmark = [
    pytest.mark.redis,
    pytest.mark.parametrize(
        "database", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
    ),
]

POLICIES = 400_000
SUMMARY = "query Summary { productionSummary(groupBy: [AGENT, PRODUCT_TYPE, MONTH]) { month submitted net agent { id } } }"
TERMINATE = (
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
)


# The API's summary, running for 100 ms already (its text is longer than pg_stat_activity keeps).
RUNNING = (
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
    " AND pid <> pg_backend_pid() AND state = 'active'"
    " AND clock_timestamp() - query_start > interval '100 milliseconds'"
)


def drop_connections_mid_request(stack, calls, conn) -> tuple[dict, int]:
    """Send the summary; as soon as it has run 100 ms in the database, terminate every other
    backend. Returns the request's outcome and how many backends were terminated (0: the
    request ended first)."""
    outcome: dict = {}
    request = threading.Thread(
        target=lambda: outcome.update(
            response=calls.post(stack, "admin@top.test", SUMMARY, timeout=60)
        )
    )
    request.start()
    terminated = 0
    while request.is_alive():
        if conn.execute(sa.text(RUNNING)).scalar_one():
            terminated = sum(1 for (ok,) in conn.execute(sa.text(TERMINATE)) if ok)
            break
        time.sleep(0.005)
    request.join(timeout=60)
    return outcome, terminated


@pytest.fixture
def big_production(book, database):
    """POLICIES policies on the book's agents' NPNs, written by SQL, in the Top tenant."""
    with db.get_engine().begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO policy (id, tenant_id, carrier, carrier_policy_id, agent_npn,"
                " product_type, client_name, status, state, effective_date, first_seen_at,"
                " updated_at, last_seen_as_of)"
                " SELECT 'p' || g, 'top', (ARRAY['humana','aetna','uhc','wellcare'])[1 + g % 4], 'P' || g,"
                " (ARRAY['100','200','300','400'])[1 + (g / 4) % 4],"
                " (ARRAY['MAPD','MA','PDP','DSNP'])[1 + (g / 16) % 4], 'Client ' || g,"
                " (ARRAY['ACTIVE','APPROVED','ATTRITED','DECEASED'])[1 + (g / 64) % 4], 'FL',"
                " date '2024-01-01' + (g % 900), now(), now(), current_date"
                " FROM generate_series(1, CAST(:n AS integer)) g"
            ),
            {"n": POLICIES},
        )
        conn.execute(sa.text("ANALYZE policy"))
    return POLICIES


def test_a_connection_dropped_mid_query_is_a_clear_internal_error_and_the_next_request_works(
    live_stacks, big_production, calls, database
):
    stack = live_stacks(worker=False)
    started = time.monotonic()
    expected = calls.gql(stack, "admin@top.test", SUMMARY)  # the answer, and a warm pool
    query_seconds = time.monotonic() - started
    assert sum(b["submitted"] for b in expected["productionSummary"]) == big_production

    # Autocommit: pg_stat_activity is a snapshot per transaction, each poll needs a fresh one.
    admin = sa.create_engine(database, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for _ in range(5):  # a request that ends before it is caught is simply sent again
            outcome, terminated = drop_connections_mid_request(stack, calls, conn)
            if terminated:
                break
    admin.dispose()
    assert terminated, "the summary query was never caught running"

    payload = outcome["response"].json()
    assert outcome["response"].status_code == 200
    (error,) = payload["errors"]
    assert error["extensions"] == {"code": "INTERNAL"}, error
    assert error["message"].startswith("Internal error (reference "), error
    assert "SQL" not in error["message"] and "psycopg" not in str(payload)

    # Every later request works: dead pooled connections are pinged and replaced.
    after = [calls.post(stack, "admin@top.test", SUMMARY, timeout=60).json() for _ in range(3)]
    print(
        f"\nfaults: database dropped mid-request: summary over {big_production} policies takes"
        f" {query_seconds:.2f}s; {terminated} backend(s) terminated; the caller got"
        f" {error['extensions']['code']}; the next {len(after)} requests:"
        f" {'all correct' if all(a == {'data': expected} for a in after) else after}"
    )
    assert all(a == {"data": expected} for a in after)
    assert "internal error" in stack.logs_text()
