"""Job events: a worker publishes "this job moved" on a channel; the one subscriber of that
channel in each API process (the job's feed) wakes up and re-reads the row, which stays the
truth, for every GraphQL subscription following the job. In-process in embedded mode; Redis
pub/sub when DOWNLINE_REDIS_URL is set, so a worker on any machine reaches a subscriber on any
API process.

`publish` is synchronous and thread-safe (workers are threads or processes); `subscribe` is an
async iterator for the API's event loop.
"""

import asyncio
import json
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import lru_cache

from downline.core.config import get_settings

log = logging.getLogger(__name__)


def channel(kind: str, job_id: str) -> str:
    return f"downline:{kind}:{job_id}"


class InProcessBus:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: dict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Queue]]] = {}

    def publish(self, name: str, event: dict) -> None:
        with self._lock:
            targets = list(self._subscribers.get(name, ()))
        for loop, queue in targets:
            loop.call_soon_threadsafe(queue.put_nowait, event)

    @asynccontextmanager
    async def subscribe(self, name: str) -> AsyncIterator[asyncio.Queue]:
        entry = (asyncio.get_running_loop(), asyncio.Queue())
        with self._lock:
            self._subscribers.setdefault(name, set()).add(entry)
        try:
            yield entry[1]
        finally:
            with self._lock:
                self._subscribers[name].discard(entry)
                if not self._subscribers[name]:
                    del self._subscribers[name]

    def ping(self) -> None:
        return None


class RedisBus:
    def __init__(self, url: str) -> None:
        import redis

        self.url = url
        self._client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)

    def publish(self, name: str, event: dict) -> None:
        try:
            self._client.publish(name, json.dumps(event))
        except Exception:  # noqa: BLE001 - an event is a nudge; subscribers also poll the row
            log.warning("could not publish job event on %s", name, exc_info=True)

    @asynccontextmanager
    async def subscribe(self, name: str) -> AsyncIterator[asyncio.Queue]:
        import redis.asyncio

        client = redis.asyncio.Redis.from_url(self.url, socket_connect_timeout=5)
        pubsub = client.pubsub()
        await pubsub.subscribe(name)
        queue: asyncio.Queue = asyncio.Queue()

        async def relay() -> None:
            async for message in pubsub.listen():
                if message.get("type") == "message":
                    queue.put_nowait(json.loads(message["data"]))

        task = asyncio.create_task(relay())
        try:
            yield queue
        finally:
            task.cancel()
            await pubsub.aclose()
            await client.aclose()

    def ping(self) -> None:
        self._client.ping()


@lru_cache
def get_bus() -> InProcessBus | RedisBus:
    url = get_settings().redis_url
    return RedisBus(url) if url else InProcessBus()
