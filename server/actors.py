"""The Dramatiq actors: each only moves a job row forward (core does the work), and carries
nothing but the job's id. Retries are few and for transient failures only: core marks a job
FAILED itself for every user-facing failure."""

import logging

import dramatiq

from downline.core import events, ingesting, plugins
from downline.core.config import get_settings
from downline.core.models import CarrierReport
from downline.core.storage import get_storage
from downline.server.broker import broker  # noqa: F401  (binds the actors below to it)

log = logging.getLogger(__name__)

QUEUE = "downline"


def _publish(kind: str):
    def publish(job) -> None:
        events.get_bus().publish(events.channel(kind, job.id), {"status": job.status})

    return publish


@dramatiq.actor(queue_name=QUEUE, max_retries=3, min_backoff=1000, time_limit=6 * 3600 * 1000)
def ingest_report(report_id: str) -> None:
    ingesting.run_report(
        report_id,
        get_storage(get_settings()),
        plugins.installed_parsers(),
        progress=_publish("report"),
    )


class DramatiqQueue:
    """The API's way to wake workers (schema.context.JobQueue). Called after the job's row is
    committed; a broker that is down leaves the row QUEUED for the sweep to send again, and the
    request still succeeds."""

    def send_report(self, report: CarrierReport) -> None:
        _send(ingest_report, report.id)


def _send(actor: dramatiq.Actor, job_id: str) -> None:
    try:
        actor.send(job_id)
    except Exception:  # noqa: BLE001 - the row is the truth; the message only wakes a worker
        log.warning("could not send job %s to the broker", job_id, exc_info=True)
