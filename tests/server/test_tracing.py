"""OpenTelemetry, the `otel` extra: one export requested over HTTP and built by the in-process
worker is ONE trace, the caller's own (its traceparent is continued): the HTTP request, the
GraphQL operation, its SQL, the job's message, and the worker's run of the job with its SQL. The
spans go to an in-memory exporter. Off (the default), nothing of OpenTelemetry is imported."""

import json
import os
import subprocess
import sys
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from starlette.testclient import TestClient

AGENT = "eve@t.test"
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{CALLER_SPAN}-01"
REQUEST = 'mutation RequestClients { requestExport(input: {type: "clients"}) { id } }'
EXPORT = "query($id: ID!) { export(id: $id) { status downloadUrl } }"


@pytest.fixture(scope="module")
def exported():
    """This test process's tracer provider, exporting to memory (kept for the session: a
    process has one provider)."""
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    return exporter


def sql(span) -> str:
    attributes = span.attributes or {}
    return str(attributes.get("db.statement") or attributes.get("db.query.text") or "")


def test_one_export_is_one_trace_from_the_request_to_the_worker(exported, book, api, monkeypatch):
    from downline.core.config import get_settings
    from downline.server.app import create_app

    monkeypatch.setenv("DOWNLINE_OTEL", "true")
    get_settings.cache_clear()
    token = {"Authorization": f"Bearer {api.token(AGENT)}"}
    with TestClient(create_app()) as client:
        exported.clear()
        requested = client.post(
            "/graphql", json={"query": REQUEST}, headers=token | {"traceparent": TRACEPARENT}
        )
        export_id = requested.json()["data"]["requestExport"]["id"]
        deadline = time.monotonic() + 30
        while True:
            answer = client.post(
                "/graphql", json={"query": EXPORT, "variables": {"id": export_id}}, headers=token
            )
            export = answer.json()["data"]["export"]
            if export["status"] == "SUCCEEDED":
                break
            assert time.monotonic() < deadline, export
            time.sleep(0.05)
        link = urlsplit(export["downloadUrl"])
        assert client.get(f"{link.path}?{link.query}").status_code == 200
        # The worker's span ends as the actor returns, a moment after the row says SUCCEEDED.
        while not any(s.name == "process build_export" for s in exported.get_finished_spans()):
            assert time.monotonic() < deadline, "the worker's span never ended"
            time.sleep(0.05)

    spans = exported.get_finished_spans()
    ours = [s for s in spans if format(s.context.trace_id, "032x") == TRACE_ID]
    by_id = {s.context.span_id: s for s in ours}

    def parent(span):
        return by_id.get(span.parent.span_id) if span.parent else None

    def under(span, ancestor) -> bool:
        while span is not None:
            if span is ancestor:
                return True
            span = parent(span)
        return False

    [request] = [s for s in ours if s.name == "POST /graphql"]
    assert format(request.parent.span_id, "016x") == CALLER_SPAN  # the caller's trace goes on
    [operation] = [s for s in ours if s.name == "GraphQL Query: RequestClients"]
    assert under(operation, request)
    inserted = [s for s in ours if sql(s).startswith("INSERT INTO export")]
    assert inserted and all(under(s, operation) for s in inserted)

    [sent] = [s for s in ours if s.name == "send build_export"]
    assert under(sent, operation)
    [ran] = [s for s in ours if s.name == "process build_export"]
    assert parent(ran) is sent and ran.attributes["downline.job.id"] == export_id
    worker_sql = [s for s in ours if under(s, ran) and sql(s)]
    assert any(sql(s).startswith("UPDATE export") for s in worker_sql), [sql(s) for s in ours]

    # The other requests are traces of their own; none holds a download link's token.
    token_value = parse_qs(link.query)["token"][0]
    assert not [s.name for s in spans if token_value in json.dumps(dict(s.attributes or {}))]
    download = [s for s in spans if s.name.startswith("GET /exports/")]
    assert download and download[0].context.trace_id != ours[0].context.trace_id


def test_off_nothing_of_opentelemetry_is_imported(tmp_path):
    """In a fresh interpreter: the app and the worker's actors, made with tracing off and on
    (making them touches no database, so one run on SQLite stands for both)."""
    program = (
        "import sys\n"
        "from downline.server.app import create_app\n"
        "import downline.server.actors\n"
        "create_app()\n"
        "print(sorted({m.split('.')[1] for m in sys.modules if m.startswith('opentelemetry.')}))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "DOWNLINE_OTEL"))}
    env["DOWNLINE_DATABASE_URL"] = f"sqlite:///{tmp_path / 'downline.db'}"
    env["DOWNLINE_VAR_DIR"] = str(tmp_path / "var")

    def imported(**settings) -> list[str]:
        done = subprocess.run(
            [sys.executable, "-c", program],
            env=env | settings,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout.strip().splitlines()[-1].replace("'", '"'))

    assert imported() == []
    # On, the same program loads it (and would export to this endpoint's collector).
    on = imported(OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:9")
    assert {"trace", "instrumentation", "sdk"} <= set(on), on
    assert imported(OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:9", DOWNLINE_OTEL="false") == []
