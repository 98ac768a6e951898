"""A short load run against a live stack (`downline serve` and `downline worker` on PostgreSQL and
Redis, real processes, real HTTP on loopback): 100 concurrent clients for a few seconds over a
`downline demo` book, mixing the Clients, Leads and production lists, a cursor walk, summaries,
node lookups, the viewer and exports followed to SUCCEEDED. No request may fail, every kind of
operation must have run, exports must complete, and neither the API's nor the worker's memory may
climb. A smoke check: the figures (requests/s, p95 by operation, RSS over a long run on the
1M-client book) are bench/load.py's, which drives the same load generator (bench/loadgen.py)."""

import asyncio
import importlib
import sys
from pathlib import Path

import pytest

from downline.core import db, tokens
from downline.core.config import get_settings
from downline.core.demo import generate
from downline.core.demo import names as N

pytestmark = [
    pytest.mark.redis,
    pytest.mark.parametrize(
        "database", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
    ),
]

BENCH = Path(__file__).resolve().parents[2] / "bench"
CLIENTS = 100  # concurrent virtual users
SECONDS = 8.0  # measured, after the warm-up
WARMUP = 2.0
# Generous: this is a smoke check of a few seconds, not the measurement (bench/load.py).
RSS_SHARE, RSS_MIB = 0.30, 100.0


@pytest.fixture(scope="module")
def loadgen():
    """bench/loadgen.py, imported with bench/ on sys.path only while importing it (it imports
    nothing else of bench/)."""
    path = str(BENCH)
    sys.path.insert(0, path)
    try:
        return importlib.import_module("loadgen")
    finally:
        sys.path.remove(path)


def test_100_clients_mixed_load(database, live_stacks, loadgen):
    summary = generate(db.get_engine(), clients=1000, leads=500, policies=1000)
    # 100 virtual users share three accounts: each account may have dozens of exports running,
    # where a person has one or two (the fair-use cap is for people, bench/fairness.py tests it).
    env = {"DOWNLINE_JOB_STALE_SECONDS": "60", "DOWNLINE_SWEEP_SECONDS": "5"}
    stack = live_stacks(env=env | {"DOWNLINE_MAX_ACTIVE_JOBS_PER_USER": "1000"})
    settings = get_settings()

    def user(email: str, exports):
        return loadgen.User(email, tokens.mint(settings, email), exports)

    users = [
        user(N.ADMIN_EMAIL, loadgen.admin_exports()),
        user(N.SUBADMIN_EMAIL, loadgen.admin_exports()),
        user(summary.agent_email, loadgen.agent_exports()),
    ]

    def rss() -> dict[str, float]:
        return {
            "api": loadgen.tree_rss_mb(stack.api.pid),
            "worker": loadgen.tree_rss_mb(stack.worker.pid),
        }

    result = asyncio.run(
        loadgen.run(
            stack.base_url,
            users,
            clients=CLIENTS,
            seconds=SECONDS,
            warmup=WARMUP,
            rss=rss,
            export_timeout=30,
        )
    )
    report = "\n".join(
        [
            f"{len(result.requests())} requests, {result.rate:.0f} req/s, "
            f"exports SUCCEEDED: {dict(result.exports_succeeded)}",
            *result.table(),
            *result.rss_lines(),
            *result.error_lines(),
        ]
    )
    print(report)

    assert not result.errors(), f"{report}\n{stack.logs_text()[-5000:]}"
    missing = set(loadgen.DEFAULT_MIX) - result.exercised()
    assert not missing, f"never ran: {sorted(missing)}\n{report}"
    assert sum(result.exports_succeeded.values()) >= 1, report
    for label in ("api", "worker"):
        start, end = result.rss_growth(label)
        assert start > 0, f"no {label} process measured"
        assert loadgen.growth_ok(start, end, share=RSS_SHARE, mib=RSS_MIB), report
