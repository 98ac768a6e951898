"""Who is using downline right now, so that one user's long jobs can give way to the others
(core/yielding.py).

A user is active for ACTIVE_SECONDS after each GraphQL request it makes and after each of its
jobs starts. `mark(email)` never waits on the network: it is called on the event loop, once per
request. With DOWNLINE_REDIS_URL the marks go to one sorted set per queue, shared by every API
process and worker (written by a thread of each process every FLUSH_SECONDS, and at once for a
user just arriving; scored by the time); without it they stay in this process, which is where
the embedded workers run.

Users are kept by a digest of their email: nothing here needs more than "the same user or not".
A presence that cannot be read (Redis away) says nobody else is active: long jobs then run as
they would without it.
"""

import hashlib
import logging
import threading
import time
from functools import lru_cache

from downline.core.config import get_settings

log = logging.getLogger(__name__)

ACTIVE_SECONDS = 2.0  # a request's follow-ups (a page's next queries, a poll) fall within it
FLUSH_SECONDS = 0.25  # how late a mark may reach Redis (a user just arriving: at once)


def mark(email: str) -> None:
    """`email` is active now."""
    _presence().mark(_who(email))


def others_active(email: str) -> bool:
    """Has a user other than `email` been active in the last ACTIVE_SECONDS?"""
    return _presence().others_active(_who(email))


def _who(email: str) -> str:
    return hashlib.blake2b(email.casefold().encode(), digest_size=8).hexdigest()


def _seen_now(seen: dict[str, float], who: str, now: float) -> dict[str, float]:
    """`seen` (who -> when last seen) with `who` seen `now`, the dict to keep: past 1,000
    entries the long gone are forgotten (a new dict), so that it stays small."""
    seen[who] = now
    if len(seen) <= 1000:
        return seen
    since = now - ACTIVE_SECONDS
    return {w: t for w, t in list(seen.items()) if t >= since}


class LocalPresence:
    """In this process: the embedded server, whose workers are threads beside its API."""

    def __init__(self) -> None:
        self._seen: dict[str, float] = {}

    def mark(self, who: str) -> None:
        self._seen = _seen_now(self._seen, who, time.time())

    def others_active(self, who: str) -> bool:
        since = time.time() - ACTIVE_SECONDS
        return any(w != who and t >= since for w, t in list(self._seen.items()))


class RedisPresence:
    """A sorted set per queue (`downline:<queue>:active`: user digest -> time last seen), kept to
    the last ACTIVE_SECONDS."""

    def __init__(self, url: str, queue: str) -> None:
        import redis

        self._client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.key = f"downline:{queue}:active"
        self._pending: dict[str, float] = {}  # marks not written yet
        self._recent: dict[str, float] = {}  # who this process marked lately, and when
        self._arrived = threading.Event()  # a user arrived: write now, not at the next flush
        self._lock = threading.Lock()
        self._flusher: threading.Thread | None = None

    def mark(self, who: str) -> None:
        now = time.time()
        with self._lock:
            # A user just arriving goes out at once: the long jobs running then should give way
            # to its first request, which is often all it does (a one-row export takes 50 ms).
            arriving = now - self._recent.get(who, 0.0) > ACTIVE_SECONDS / 2
            self._recent = _seen_now(self._recent, who, now)
            self._pending[who] = now
            if self._flusher is None:
                self._flusher = threading.Thread(
                    target=self._flush_forever, name="presence", daemon=True
                )
                self._flusher.start()
        if arriving:
            self._arrived.set()

    def _flush_forever(self) -> None:
        while True:
            self._arrived.wait(FLUSH_SECONDS)
            self._arrived.clear()
            self.flush()

    def flush(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, {}
        if not pending:
            return
        try:
            with self._client.pipeline(transaction=False) as pipe:
                pipe.zadd(self.key, pending)
                pipe.zremrangebyscore(self.key, "-inf", time.time() - ACTIVE_SECONDS)
                pipe.expire(self.key, 60)
                pipe.execute()
        except Exception:  # noqa: BLE001 - presence is a hint: long jobs then run unhindered
            log.warning("could not record who is active in Redis", exc_info=True)

    def others_active(self, who: str) -> bool:
        since = time.time() - ACTIVE_SECONDS
        try:
            # Two are enough to know: `who` itself may be one of them.
            found = self._client.zrangebyscore(self.key, since, "+inf", start=0, num=2)
        except Exception:  # noqa: BLE001 - as above
            log.warning("could not read who is active from Redis", exc_info=True)
            return False
        return any(member.decode() != who for member in found)


@lru_cache
def _presence() -> LocalPresence | RedisPresence:
    settings = get_settings()
    if settings.redis_url:
        return RedisPresence(settings.redis_url, settings.queue)
    return LocalPresence()
