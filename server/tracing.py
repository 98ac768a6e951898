"""OpenTelemetry tracing: the `otel` extra (`pip install 'downline[otel]'`), on when
DOWNLINE_OTEL=true, or unset with OTEL_EXPORTER_OTLP_ENDPOINT (or its _TRACES_ variant) set.
This module is imported only then (server/app.py, server/broker.py): off, nothing of
OpenTelemetry is imported at all.

One trace follows a request: the HTTP server span (which continues a caller's W3C traceparent),
the GraphQL operation with its parsing, validation and resolvers (strawberry's extension), the
SQL it runs (SQLAlchemy's instrumentation), and the jobs it queues. A job's Dramatiq message
carries the trace context in its options (`JobTraces`), so the worker's run of the job, and that
run's SQL, join the request's trace on whichever machine the worker runs.

Spans go out by OTLP over HTTP, set up by the standard OTEL_* variables (endpoint, headers,
sampler; the service is `downline` unless OTEL_SERVICE_NAME says otherwise), unless the process
has a tracer provider already (`opentelemetry-instrument`, or a test's).

What a trace never holds: resolver argument values and any URL's query string (a download
link's token, a GET operation's variables), as neither belongs outside the API.
"""

from functools import partial

import dramatiq
from starlette.datastructures import URL
from starlette.types import ASGIApp, Receive, Scope, Send

try:
    from opentelemetry import context, propagate, trace
    from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from opentelemetry.trace import SpanKind, Status, StatusCode
    from strawberry.extensions.tracing import OpenTelemetryExtension
except ImportError as exc:  # pragma: no cover - said at start-up, in the operator's words
    raise ImportError(
        f"tracing is on (DOWNLINE_OTEL, or OTEL_EXPORTER_OTLP_ENDPOINT) but {exc.name} is not "
        "installed: pip install 'downline[otel]'"
    ) from exc

from downline.core import db
from downline.core.config import Settings

# Probes and scrapes every few seconds would drown the traces that matter.
UNTRACED_PATHS = "/healthz,/readyz,/metrics"
MESSAGE_OPTION = "trace_context"  # where a Dramatiq message carries traceparent and tracestate

_started = False


def start(settings: Settings, broker: dramatiq.Broker) -> None:
    """Once per process: the tracer provider, SQL spans, and the broker's job traces."""
    global _started
    if _started:
        return
    _started = True
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        trace.set_tracer_provider(_provider())
    # Every engine made from now on (core/db.py looks create_engine up when it calls it), and
    # the one this process may have made already. The instrumentation declares SQLAlchemy below
    # 2.1 and would quietly do nothing on 2.1: the engine events it listens to are the same
    # (tests/server/test_tracing.py sees the SQL spans).
    SQLAlchemyInstrumentor().instrument(engine=db.get_engine(), skip_dep_check=True)
    broker.add_middleware(JobTraces())


def _provider() -> TracerProvider:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    resource = Resource.create()
    if str(resource.attributes.get(SERVICE_NAME, "")).startswith("unknown_service"):
        resource = resource.merge(Resource({SERVICE_NAME: "downline"}))
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    return provider


def schema_extensions() -> list:
    return [partial(OpenTelemetryExtension, arg_filter=lambda _arguments, _info: {})]


class HttpSpans:
    """A server span per HTTP request. A WebSocket gets none: it may live for hours, and each
    operation it starts has its own trace from the GraphQL extension instead."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.traced = OpenTelemetryMiddleware(
            app,
            excluded_urls=UNTRACED_PATHS,
            server_request_hook=_without_query,
            exclude_spans=["receive", "send"],
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await (self.traced if scope["type"] == "http" else self.app)(scope, receive, send)


def _without_query(span, scope: Scope) -> None:
    if not scope.get("query_string") or not span.is_recording():
        return
    recorded = getattr(span, "attributes", None) or {}
    address = str(URL(scope=scope).replace(query=""))
    for name in ("http.url", "url.full"):
        if name in recorded:
            span.set_attribute(name, address)
    if "url.query" in recorded:
        span.set_attribute("url.query", "(not recorded)")


class JobTraces(dramatiq.Middleware):
    """The trace a job was queued in, carried in its message: sending it is a PRODUCER span
    whose W3C context goes into the message's options; running it is a CONSUMER span under
    that context, current in the worker thread for as long as the actor runs (its SQL spans
    hang under it)."""

    def __init__(self) -> None:
        self._running: dict[str, tuple] = {}

    def before_enqueue(self, broker, message, delay) -> None:
        # A retry or a message sent again keeps the trace it was first queued in.
        if MESSAGE_OPTION in message.options:
            return
        with _tracer().start_as_current_span(
            f"send {message.actor_name}", kind=SpanKind.PRODUCER, attributes=_about(message)
        ):
            carrier: dict[str, str] = {}
            propagate.inject(carrier)
            message.options[MESSAGE_OPTION] = carrier

    def before_process_message(self, broker, message) -> None:
        parent = propagate.extract(message.options.get(MESSAGE_OPTION) or {})
        span = _tracer().start_span(
            f"process {message.actor_name}",
            context=parent,
            kind=SpanKind.CONSUMER,
            attributes=_about(message),
        )
        token = context.attach(trace.set_span_in_context(span))
        self._running[message.message_id] = (span, token)

    def after_process_message(self, broker, message, *, result=None, exception=None) -> None:
        running = self._running.pop(message.message_id, None)
        if running is None:
            return
        span, token = running
        if exception is not None:
            span.record_exception(exception)
            span.set_status(Status(StatusCode.ERROR, type(exception).__name__))
        span.end()
        context.detach(token)

    def after_skip_message(self, broker, message) -> None:
        self.after_process_message(broker, message)

    def before_worker_shutdown(self, broker, worker) -> None:
        # Spans still in the batch go out before the process does.
        flush = getattr(trace.get_tracer_provider(), "force_flush", None)
        if flush is not None:
            flush()


def _tracer() -> trace.Tracer:
    return trace.get_tracer("downline.jobs")


def _about(message) -> dict:
    return {
        "messaging.system": "dramatiq",
        "messaging.destination.name": message.queue_name,
        "messaging.message.id": message.message_id,
        "downline.job.id": str(message.args[0]) if message.args else "",
    }
