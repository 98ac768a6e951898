"""Once a process has started (the API's lifespan, a `downline worker` process's boot)."""

import gc
from functools import cache

import dramatiq


@cache  # once per process (tests start many apps and workers in one)
def freeze_startup_objects() -> None:
    """Everything loaded by now (modules, the schema, the plugins: 100,000 to 200,000 objects)
    lives as long as the process. Frozen, out of the collector's way, a full collection scans
    only what requests, subscriptions and jobs made since: with 1,000 subscriptions open, each
    full collection stopped every request of an API process for 130-500 ms on a 2-CPU
    machine."""
    gc.collect()
    gc.freeze()


class FreezeAtBoot(dramatiq.Middleware):
    def after_worker_boot(self, broker, worker) -> None:
        freeze_startup_objects()
