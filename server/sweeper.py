"""Runs the sweep (core/sweeping.py) every SWEEP_SECONDS inside each API process, and sends the
jobs it finds to the broker. Several API processes sweeping at once is harmless: sending a job
twice runs it once, and deleting a deleted file does nothing."""

import asyncio
import logging

from anyio import to_thread

from downline.core import db, events, jobs, sweeping
from downline.core.config import get_settings
from downline.core.storage import get_storage
from downline.server.actors import build_export, ingest_report, send

log = logging.getLogger(__name__)


def sweep_once() -> sweeping.Swept:
    settings = get_settings()
    with db.session() as session:
        swept = sweeping.sweep(session, settings, get_storage(settings))
    for export_id in swept.exports:
        send(build_export, export_id)
    for report_id in swept.reports:
        send(ingest_report, report_id)
    # Whoever follows a job given up sees it FAILED now, not at its next look at the row.
    for kind, given_up in (("export", swept.exports_given_up), ("report", swept.reports_given_up)):
        for job_id in given_up:
            events.get_bus().publish(events.channel(kind, job_id), {"status": jobs.FAILED})
    if swept.exports or swept.reports or swept.files_deleted:
        log.info(
            "sweep: sent %d export(s) and %d report(s) again, deleted %d expired file(s)",
            len(swept.exports),
            len(swept.reports),
            swept.files_deleted,
        )
    return swept


async def sweep_forever(every: float) -> None:
    while True:
        await asyncio.sleep(every)
        try:
            await to_thread.run_sync(sweep_once)
        except Exception:  # noqa: BLE001 - a failed sweep is retried at the next tick
            log.exception("sweep failed")
