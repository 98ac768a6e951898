"""Prometheus metrics.

Per process: GraphQL operations counted and timed by operation name.

Per deployment, read at scrape time (so every API process answers the same, whichever worker
process or machine ran the jobs): jobs by kind and status, job durations, ingested rows, from the
database, which is the truth (one GROUP BY per job table); and the depth of this deployment's
queue, from the broker (best effort, bounded by a short timeout). A part that cannot be read is
left out of that scrape, logged, and counted in `downline_metrics_errors_total`.
"""

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from time import perf_counter

import anyio.to_thread
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Histogram, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from sqlalchemy import case, func, select
from starlette.requests import Request
from starlette.responses import Response
from strawberry.extensions import SchemaExtension

from downline.core import db, jobs
from downline.core.config import get_settings
from downline.core.models import CarrierReport, Export

log = logging.getLogger(__name__)

OPERATIONS = Counter(
    "downline_graphql_operations_total", "GraphQL operations", ["operation", "outcome"]
)
LATENCY = Histogram(
    "downline_graphql_operation_seconds", "GraphQL operation latency", ["operation"]
)
SCRAPE_ERRORS = Counter(
    "downline_metrics_errors_total", "Parts of a scrape that could not be read", ["part"]
)


MAX_NAMES = 200  # operation names come from clients: cap the label set
_seen_names: set[str] = set()


def _label(name: str | None) -> str:
    name = (name or "anonymous")[:64]
    if name not in _seen_names and len(_seen_names) >= MAX_NAMES:
        return "other"
    _seen_names.add(name)
    return name


class OperationMetrics(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        started = perf_counter()
        yield
        name = _label(self.execution_context.operation_name)
        result = self.execution_context.result
        outcome = "error" if result is not None and result.errors else "ok"
        OPERATIONS.labels(name, outcome).inc()
        LATENCY.labels(name).observe(perf_counter() - started)


# ---- jobs, from the database

STATUSES = (jobs.QUEUED, jobs.PROCESSING, jobs.SUCCEEDED, jobs.FAILED)
# Seconds a job's last attempt ran (claim to finish): exports take seconds to minutes, reports
# of a few hundred thousand rows up to several minutes.
DURATION_BUCKETS = (0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)
INGEST_OUTCOMES = ("read", "inserted", "updated", "unchanged", "rejected")


@dataclass
class _Durations:
    buckets: list[int] = field(default_factory=lambda: [0] * len(DURATION_BUCKETS))
    count: int = 0
    total: float = 0.0


@dataclass
class _JobTable:
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))
    durations: dict[str, _Durations] = field(default_factory=dict)  # by terminal status
    ingested: dict[str, int] = field(default_factory=lambda: dict.fromkeys(INGEST_OUTCOMES, 0))


def _seconds(model, dialect: str):
    if dialect == "postgresql":
        return func.extract("epoch", model.finished_at - model.started_at)
    return (func.julianday(model.finished_at) - func.julianday(model.started_at)) * 86400.0


def _read_table(session, model) -> _JobTable:
    """One GROUP BY status: counts, and for finished jobs the duration histogram (and, for
    reports, the rows ingested by the successful ones)."""
    seconds = _seconds(model, session.get_bind().dialect.name)
    finished = model.finished_at.is_not(None) & model.started_at.is_not(None)
    duration = case((finished, seconds), else_=None)
    columns = [
        model.status,
        func.count(),
        func.count(duration),
        func.coalesce(func.sum(duration), 0.0),
        *(func.sum(case((duration <= bound, 1), else_=0)) for bound in DURATION_BUCKETS),
    ]
    is_report = model is CarrierReport
    if is_report:
        columns += [
            func.coalesce(func.sum(getattr(model, f"rows_{name}")), 0) for name in INGEST_OUTCOMES
        ]
    table = _JobTable()
    for row in session.execute(select(*columns).group_by(model.status)):
        status, count, timed, total, *rest = row
        table.counts[status] = int(count)
        if status in jobs.TERMINAL and timed:
            table.durations[status] = _Durations(
                [int(n or 0) for n in rest[: len(DURATION_BUCKETS)]], int(timed), float(total)
            )
        if is_report and status == jobs.SUCCEEDED:
            sums = rest[len(DURATION_BUCKETS) :]
            table.ingested = {name: int(n) for name, n in zip(INGEST_OUTCOMES, sums, strict=True)}
    return table


def _histogram(family: HistogramMetricFamily, kind: str, status: str, d: _Durations) -> None:
    buckets = [(str(float(b)), n) for b, n in zip(DURATION_BUCKETS, d.buckets, strict=True)]
    family.add_metric([kind, status], [*buckets, ("+Inf", d.count)], d.total)


def _job_metrics() -> list[Metric]:
    with db.session() as session:
        tables = {
            "export": _read_table(session, Export),
            "report": _read_table(session, CarrierReport),
        }
    counts = GaugeMetricFamily(
        "downline_jobs",
        "Jobs by kind and status, now (from the database)",
        labels=["kind", "status"],
    )
    durations = HistogramMetricFamily(
        "downline_job_duration_seconds",
        "Seconds the last attempt of each finished job ran, claim to finish (from the database)",
        labels=["kind", "status"],
    )
    for kind, table in tables.items():
        for status, count in table.counts.items():
            counts.add_metric([kind, status], count)
        for status, timed in table.durations.items():
            _histogram(durations, kind, status, timed)
    ingested = CounterMetricFamily(
        "downline_ingest_rows",
        "Carrier report rows of successful reports, by outcome (from the database)",
        labels=["outcome"],
    )
    for outcome, rows in tables["report"].ingested.items():
        ingested.add_metric([outcome], rows)
    return [counts, durations, ingested]


# ---- the queue, from the broker

BROKER_TIMEOUT = 2.0  # seconds: a slow broker costs one scrape its queue depth, nothing more


@lru_cache
def _redis_client(url: str):
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return redis.Redis.from_url(
        url,
        socket_timeout=BROKER_TIMEOUT,
        socket_connect_timeout=BROKER_TIMEOUT,
        retry=Retry(NoBackoff(), 0),  # no retries: the next scrape is the retry
    )


def _redis_depths(url: str, queue: str) -> dict[str, int]:
    """Dramatiq keeps a Redis queue as the list dramatiq:<queue> (and retries waiting out their
    delay in dramatiq:<queue>.DQ)."""
    names = (queue, f"{queue}.DQ")
    pipe = _redis_client(url).pipeline(transaction=False)
    for name in names:
        pipe.llen(f"dramatiq:{name}")
    return dict(zip(names, pipe.execute(), strict=True))


def _rabbitmq_depths(url: str, queue: str) -> dict[str, int]:
    """The ready messages of the queue and its delay queue (a passive declare: never creates)."""
    import pika
    from pika.exceptions import ChannelClosedByBroker

    parameters = pika.URLParameters(url)
    parameters.connection_attempts = 1
    parameters.socket_timeout = BROKER_TIMEOUT
    parameters.stack_timeout = BROKER_TIMEOUT
    parameters.blocked_connection_timeout = BROKER_TIMEOUT
    depths = {}
    with pika.BlockingConnection(parameters) as connection:
        for name in (queue, f"{queue}.DQ"):
            try:
                channel = connection.channel()
                declared = channel.queue_declare(name, passive=True)
            except ChannelClosedByBroker:  # not declared yet: nothing waits in it
                depths[name] = 0
                continue
            depths[name] = declared.method.message_count
            channel.close()
    return depths


def _queue_metrics() -> list[Metric]:
    settings = get_settings()
    url = settings.broker_url
    if not url:
        return []  # embedded: the queue lives in this process's memory
    if url.startswith(("amqp://", "amqps://")):
        depths = _rabbitmq_depths(url, settings.queue)
    else:
        depths = _redis_depths(url, settings.queue)
    family = GaugeMetricFamily(
        "downline_queue_depth", "Messages waiting on the broker, by queue", labels=["queue"]
    )
    for name, depth in depths.items():
        family.add_metric([name], depth)
    return [family]


class DeploymentMetrics(Collector):
    """Collected at each scrape; a part that fails is left out of that scrape, and counted."""

    def collect(self) -> Iterator[Metric]:
        for part, read in (("jobs", _job_metrics), ("queue", _queue_metrics)):
            try:
                yield from read()
            except Exception:  # noqa: BLE001 - a scrape never fails as a whole
                log.warning("metrics: could not read the %s", part, exc_info=True)
                SCRAPE_ERRORS.labels(part).inc()


REGISTRY.register(DeploymentMetrics())


async def endpoint(_: Request) -> Response:
    # The collectors read the database and the broker: off the event loop.
    body = await anyio.to_thread.run_sync(generate_latest)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
