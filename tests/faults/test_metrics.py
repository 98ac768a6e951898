"""Prometheus /metrics after real runs: jobs by kind and status, job durations, ingested rows
(all read from the database at scrape time, so any API process reports the work of every worker
process), and the depth of the deployment's queue (read from the broker)."""

import time

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import SAMPLES

REQUEST = "mutation($type: String!) { requestExport(input: {type: $type}) { id } }"
EXPORT = "query($id: ID!) { export(id: $id) { status } }"


def samples(text: str) -> dict[tuple[str, tuple], float]:
    """{(sample name, sorted labels): value} of a scrape."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(scrape: dict, name: str, **labels) -> float | None:
    return scrape.get((name, tuple(sorted(labels.items()))))


@pytest.mark.redis
@pytest.mark.parametrize(
    "database", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_metrics_on_a_live_stack_count_time_and_queue_the_jobs_the_worker_ran(
    live_stacks, production_book, calls
):
    stack = live_stacks(worker=False)
    export_id = calls.request_export(stack, "admin@top.test", "production")
    queued = samples(calls.metrics(stack))  # nobody works yet: the message waits
    assert value(queued, "downline_queue_depth", queue=stack.queue) == 1
    assert value(queued, "downline_jobs", kind="export", status="QUEUED") == 1

    stack.start_worker()
    report_id = calls.upload(stack, "admin@top.test", SAMPLES / "humana-2026-11-24.csv")
    assert calls.wait_report(stack, "admin@top.test", report_id)["status"] == "SUCCEEDED"
    assert calls.wait_export(stack, "admin@top.test", export_id)["status"] == "SUCCEEDED"
    deadline = time.monotonic() + 10
    while value(scrape := samples(calls.metrics(stack)), "downline_queue_depth", queue=stack.queue):
        assert time.monotonic() < deadline
        time.sleep(0.1)

    for kind in ("export", "report"):
        assert value(scrape, "downline_jobs", kind=kind, status="SUCCEEDED") == 1
        for status in ("QUEUED", "PROCESSING", "FAILED"):
            assert value(scrape, "downline_jobs", kind=kind, status=status) == 0
        count = value(scrape, "downline_job_duration_seconds_count", kind=kind, status="SUCCEEDED")
        total = value(scrape, "downline_job_duration_seconds_sum", kind=kind, status="SUCCEEDED")
        inf = value(
            scrape, "downline_job_duration_seconds_bucket", kind=kind, status="SUCCEEDED", le="+Inf"
        )
        assert count == inf == 1 and 0 < total < 60, (kind, count, total)
    assert value(scrape, "downline_ingest_rows_total", outcome="read") == 12
    assert value(scrape, "downline_ingest_rows_total", outcome="inserted") == 10
    assert value(scrape, "downline_ingest_rows_total", outcome="rejected") == 2
    assert value(scrape, "downline_queue_depth", queue=f"{stack.queue}.DQ") == 0
    assert not value(scrape, "downline_metrics_errors_total", part="jobs")
    assert not value(scrape, "downline_metrics_errors_total", part="queue")
    print(
        "\nfaults: metrics after a report and an export:"
        f" export took {value(scrape, 'downline_job_duration_seconds_sum', kind='export', status='SUCCEEDED'):.3f}s,"
        f" report {value(scrape, 'downline_job_duration_seconds_sum', kind='report', status='SUCCEEDED'):.3f}s"
    )


def test_metrics_in_embedded_mode_read_the_jobs_from_either_database(embedded_api, book):
    """The same job metrics over SQLite and PostgreSQL (durations are computed per dialect);
    no broker, so no queue depth."""
    api = embedded_api
    export_id = api.gql(REQUEST, {"type": "clients"}, as_="eve@t.test")["requestExport"]["id"]
    deadline = time.monotonic() + 30
    while api.gql(EXPORT, {"id": export_id}, as_="eve@t.test")["export"]["status"] != "SUCCEEDED":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    scrape = samples(api.client.get("/metrics").text)
    assert value(scrape, "downline_jobs", kind="export", status="SUCCEEDED") == 1
    assert value(scrape, "downline_jobs", kind="report", status="SUCCEEDED") == 0
    total = value(scrape, "downline_job_duration_seconds_sum", kind="export", status="SUCCEEDED")
    assert 0 <= total < 30
    fast = value(
        scrape, "downline_job_duration_seconds_bucket", kind="export", status="SUCCEEDED", le="30.0"
    )
    assert fast == 1
    assert value(scrape, "downline_ingest_rows_total", outcome="inserted") == 0
    assert not any(name == "downline_queue_depth" for name, _ in scrape)
