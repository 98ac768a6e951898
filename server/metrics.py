"""Prometheus metrics: GraphQL operations counted and timed by operation name."""

from collections.abc import Iterator
from time import perf_counter

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from starlette.requests import Request
from starlette.responses import Response
from strawberry.extensions import SchemaExtension

OPERATIONS = Counter(
    "downline_graphql_operations_total", "GraphQL operations", ["operation", "outcome"]
)
LATENCY = Histogram(
    "downline_graphql_operation_seconds", "GraphQL operation latency", ["operation"]
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


async def endpoint(_: Request) -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
