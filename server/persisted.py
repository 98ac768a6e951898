"""Automatic persisted queries, as Apollo's protocol defines them.

A client names its document by hash in `extensions.persistedQuery = {"version": 1, "sha256Hash":
H}`, first without the document (by GET, or POST): when the store holds H, its document runs as
if it had been sent. When not, the answer is the error `PersistedQueryNotFound` (code
PERSISTED_QUERY_NOT_FOUND) and the client sends H again with the document: H must be the SHA-256
of the document's text ("provided sha does not match query" otherwise), the document runs, and
once it has parsed and validated it is kept under H. A short hash then stands for a long
document in every later request, and a query can go by GET with a short URL.

A stored document is a document like any other: DOWNLINE_MAX_QUERY_BYTES and the token, depth,
alias and cost limits apply to it when it runs, whoever stored it. Documents longer than
DOWNLINE_PERSISTED_QUERY_MAX_BYTES run but are not kept. The store is shared by every API process
through Redis (DOWNLINE_REDIS_URL: one key per document, living DOWNLINE_PERSISTED_QUERY_TTL
seconds after its last use); embedded, it is a least-recently-used map in memory of at most
MEMORY_BUDGET characters. A store that fails is logged and reads as empty: clients then send
their documents in full, as the protocol has them do.
"""

import hashlib
import logging
import re
from collections import OrderedDict
from typing import Protocol

from downline.core.config import Settings
from downline.server.responses import Refused, too_large

log = logging.getLogger("downline.api")

VERSION = 1
NOT_FOUND = "PersistedQueryNotFound"
DIGEST = re.compile(r"[0-9a-f]{64}")
# Characters of documents kept in memory: a few thousand ordinary documents.
MEMORY_BUDGET = 16 * 1024 * 1024
REDIS_KEY = "downline:persisted-query:"
# The browser and any cache must ask again: the document may be stored a moment later.
NOT_FOUND_HEADERS = {"Cache-Control": "private, no-cache, must-revalidate"}


class Store(Protocol):
    async def get(self, digest: str) -> str | None: ...

    async def put(self, digest: str, document: str) -> None: ...


class MemoryStore:
    """This process's documents, the least recently used dropped first beyond `budget`
    characters."""

    def __init__(self, budget: int = MEMORY_BUDGET) -> None:
        self.budget = budget
        self.size = 0
        self._documents: OrderedDict[str, str] = OrderedDict()

    async def get(self, digest: str) -> str | None:
        document = self._documents.get(digest)
        if document is not None:
            self._documents.move_to_end(digest)
        return document

    async def put(self, digest: str, document: str) -> None:
        if digest in self._documents:
            self._documents.move_to_end(digest)
            return
        self._documents[digest] = document
        self.size += len(document)
        while self.size > self.budget:
            _, dropped = self._documents.popitem(last=False)
            self.size -= len(dropped)


class RedisStore:
    """Documents shared by every API process; each use renews its time to live."""

    def __init__(self, url: str, ttl: int) -> None:
        import redis.asyncio

        self.ttl = ttl
        self._client = redis.asyncio.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)

    async def get(self, digest: str) -> str | None:
        try:
            document = await self._client.getex(REDIS_KEY + digest, ex=self.ttl)
        except Exception:  # noqa: BLE001 - a store that fails reads as empty (module docstring)
            log.warning("could not read a persisted query from Redis", exc_info=True)
            return None
        return document.decode() if document is not None else None

    async def put(self, digest: str, document: str) -> None:
        try:
            await self._client.set(REDIS_KEY + digest, document, ex=self.ttl)
        except Exception:  # noqa: BLE001 - the client sends the document again next time
            log.warning("could not keep a persisted query in Redis", exc_info=True)


def make_store(settings: Settings) -> Store:
    if settings.redis_url:
        return RedisStore(settings.redis_url, settings.persisted_query_ttl)
    return MemoryStore()


def digest_of(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


class PersistedQueries:
    def __init__(self, store: Store, keep_bytes: int, max_query_bytes: int) -> None:
        self.store = store
        self.keep_bytes = keep_bytes
        self.max_query_bytes = max_query_bytes

    async def fill(self, request) -> str | None:
        """Give `request` (strawberry's GraphQLRequestData) the document its hash names, or
        check the hash it came with. Returns the hash to keep the document under once it has
        run, if it should be kept. Raises Refused for what the protocol refuses."""
        extension = (request.extensions or {}).get("persistedQuery")
        if extension is None:
            return None
        if not isinstance(extension, dict) or extension.get("version") != VERSION:
            raise Refused(
                400,
                "Unsupported persisted query version",
                "BAD_USER_INPUT",
                "extensions.persistedQuery.version",
            )
        digest = extension.get("sha256Hash")
        if not isinstance(digest, str) or not DIGEST.fullmatch(digest):
            raise Refused(
                400,
                "sha256Hash must be the SHA-256 of the document: 64 lower-case hex digits",
                "BAD_USER_INPUT",
                "extensions.persistedQuery.sha256Hash",
            )
        if not request.query:
            request.query = await self._stored(digest)
            return None
        if digest_of(request.query) != digest:
            raise Refused(
                400,
                "provided sha does not match query",
                "BAD_USER_INPUT",
                "extensions.persistedQuery.sha256Hash",
            )
        return digest if len(request.query.encode()) <= self.keep_bytes else None

    async def keep(self, digest: str, document: str) -> None:
        await self.store.put(digest, document)

    async def _stored(self, digest: str) -> str:
        document = await self.store.get(digest)
        if document is None:
            raise Refused(None, NOT_FOUND, "PERSISTED_QUERY_NOT_FOUND", headers=NOT_FOUND_HEADERS)
        if len(document.encode()) > self.max_query_bytes:
            # Kept when the limit was higher, or by a process with another: sent today, it
            # would be refused.
            raise Refused(413, too_large(self.max_query_bytes), "BAD_USER_INPUT", "query")
        return document
