"""The Dramatiq actors: each only moves a job row forward (core does the work), and carries
nothing but a job's id. A message is a token, "there is work of this kind": the worker runs the
fairest waiting job of that kind, the one named or another (core/jobs.py, core/fairness.py),
and as it ends sends one more for the job that may start in its place.
Retries are few and for transient failures only: core marks a job FAILED itself for every
user-facing failure. The job a message last ran is kept in its options (`claimed`), so that when
its retries run out, that job is the one given up."""

import logging

import dramatiq
from dramatiq.middleware import CurrentMessage

from downline.core import events, plugins
from downline.core.carriers import run as ingesting
from downline.core.config import get_settings
from downline.core.exports import run as exporting
from downline.core.models import CarrierReport, Export
from downline.core.storage import get_storage
from downline.server.broker import broker  # noqa: F401  (binds the actors below to it)

log = logging.getLogger(__name__)

# One deployment's queue on a shared broker (DOWNLINE_QUEUE; several deployments may share one).
QUEUE = get_settings().queue


def _publish(kind: str):
    def publish(job) -> None:
        events.get_bus().publish(events.channel(kind, job.id), {"status": job.status})

    return publish


def _remember(job) -> None:
    """Note in the message being run which job (and attempt) it claimed."""
    message = CurrentMessage.get_current_message()
    if message is not None:  # None: the actor called as a function (tests)
        message.options["claimed"] = {"id": job.id, "attempt": job.attempts}


def _time_limit(actor_name: str) -> int:
    """Milliseconds a job of this actor may run (Dramatiq's time limit), as configured now: each
    message carries it (`send`), so a deployment's setting holds for the embedded worker too."""
    settings = get_settings()
    seconds = {
        "ingest_report": settings.report_time_limit_seconds,
        "build_export": settings.export_time_limit_seconds,
    }[actor_name]
    return int(seconds * 1000)


@dramatiq.actor(
    queue_name=QUEUE,
    max_retries=3,
    min_backoff=1000,
    time_limit=_time_limit("ingest_report"),  # for a message sent without its own
)
def ingest_report(report_id: str) -> None:
    ingesting.run_report(
        report_id,
        get_storage(get_settings()),
        plugins.installed_parsers(),
        progress=_publish("report"),
        claimed=_remember,
        wake=lambda next_id: send(ingest_report, next_id),
    )


@dramatiq.actor(
    queue_name=QUEUE,
    max_retries=3,
    min_backoff=1000,
    time_limit=_time_limit("build_export"),
    on_retry_exhausted="export_gave_up",
)
def build_export(export_id: str) -> None:
    exporting.run_export(
        export_id,
        get_storage(get_settings()),
        plugins.installed_export_types(),
        plugins.notify_export_ready,
        progress=_publish("export"),
        claimed=_remember,
        wake=lambda next_id: send(build_export, next_id),
    )


@dramatiq.actor(queue_name=QUEUE, max_retries=0)
def export_gave_up(message_data: dict, _retry_info: dict) -> None:
    """Retries of a transient failure ran out: the export the message last ran fails, saying
    so (unless another worker has it now)."""
    claimed = message_data["options"].get("claimed")
    if claimed is None:
        exporting.give_up(message_data["args"][0])
    else:
        exporting.give_up(claimed["id"], claimed["attempt"])


class DramatiqQueue:
    """The API's way to wake workers (schema.context.JobQueue). Called after the job's row is
    committed; a broker that is down leaves the row QUEUED for the sweep to send again, and the
    request still succeeds."""

    def send_report(self, report: CarrierReport) -> None:
        send(ingest_report, report.id)

    def send_export(self, export: Export) -> None:
        send(build_export, export.id)


def send(actor: dramatiq.Actor, job_id: str) -> None:
    try:
        actor.send_with_options(args=(job_id,), time_limit=_time_limit(actor.actor_name))
    except Exception:  # noqa: BLE001 - the row is the truth; the message only wakes a worker
        log.warning("could not send job %s to the broker", job_id, exc_info=True)
