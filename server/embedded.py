"""What runs beside the API for as long as the app runs: the sweep, always; and in embedded
mode a real Dramatiq worker on the in-memory broker. With a broker configured, `downline
worker` processes do the work instead."""

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from dramatiq import Worker
from dramatiq.middleware import TimeLimit

from downline.core.config import Settings
from downline.server import broker as process_broker
from downline.server.sweeper import sweep_forever

WORKER_THREADS = 2


def should_run_workers(settings: Settings) -> bool:
    if settings.workers_in_process is None:
        return process_broker.embedded()
    return settings.workers_in_process


def background(settings: Settings) -> Callable:
    @asynccontextmanager
    async def lifespan(_app) -> AsyncIterator[None]:
        sweeper = asyncio.create_task(sweep_forever(settings.sweep_seconds))
        worker = None
        if should_run_workers(settings):
            worker = Worker(
                process_broker.broker, worker_threads=WORKER_THREADS, worker_timeout=100
            )
            worker.start()
            _watch_time_limits()
        try:
            yield
        finally:
            sweeper.cancel()
            if worker is not None:
                worker.stop(timeout=30_000)
                _detach(worker)

    return lifespan


def _detach(worker: Worker) -> None:
    """Take the stopped worker's hooks off the broker, which outlives it: an app started again
    in the same process (every test does) would otherwise add one more each time (and a
    warning to the log)."""
    broker = process_broker.broker
    broker.middleware = [m for m in broker.middleware if getattr(m, "worker", None) is not worker]


def _watch_time_limits() -> None:
    """Dramatiq starts its time-limit watcher as one of its own worker processes boots, which
    the API's process is not: started here for the embedded worker, once (it runs as long as
    the process)."""
    broker = process_broker.broker
    for middleware in broker.middleware:
        if isinstance(middleware, TimeLimit) and not middleware.manager.is_alive():
            middleware.after_process_boot(broker)
