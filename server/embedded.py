"""Embedded mode: a real Dramatiq worker on the in-memory broker, inside the API process, for
as long as the app runs. With a broker configured, `downline worker` processes do the work."""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from dramatiq import Worker

from downline.core.config import Settings
from downline.server import broker as process_broker

WORKER_THREADS = 2


def should_run_workers(settings: Settings) -> bool:
    if settings.workers_in_process is None:
        return process_broker.embedded()
    return settings.workers_in_process


def embedded_workers(settings: Settings) -> Callable:
    @asynccontextmanager
    async def lifespan(_app) -> AsyncIterator[None]:
        if not should_run_workers(settings):
            yield
            return
        worker = Worker(process_broker.broker, worker_threads=WORKER_THREADS, worker_timeout=100)
        worker.start()
        try:
            yield
        finally:
            worker.stop(timeout=30_000)

    return lifespan
