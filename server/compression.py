"""Answers of MIN_BYTES and more are compressed, with brotli when the client's Accept-Encoding
takes it (at least as gladly as gzip), else with gzip, else not at all. A GraphQL page of a
hundred clients shrinks to a tenth or so; small answers are not worth the work.

Starlette's GZip responder does the deciding for both encodings (size, a body already encoded,
a 206 part, excluded types, `Vary: Accept-Encoding`); brotli only compresses differently. Never
compressed: the WebSocket (no HTTP body), event streams and multipart streams (each message must
reach the client when it is sent), and CSV downloads, sent as stored: their Content-Length (a
browser's progress bar), the byte size and sha256 the export records, and any byte range all
stand for the bytes the client receives.
"""

import anyio.to_thread
import brotli
from starlette.datastructures import Headers
from starlette.middleware.gzip import (
    DEFAULT_EXCLUDED_CONTENT_TYPES,
    GZipResponder,
    IdentityResponder,
)
from starlette.types import ASGIApp, Receive, Scope, Send

MIN_BYTES = 1024
EXCLUDED = (*DEFAULT_EXCLUDED_CONTENT_TYPES, "multipart/mixed", "text/csv")
# Levels for answers made per request: most of the gain for little of the time.
GZIP_LEVEL = 6
BROTLI_QUALITY = 4
# A body this large is compressed in a worker thread, as Starlette's gzip does.
THREAD_BYTES = 128 * 1024


def chosen(accept_encoding: str) -> str | None:
    """ "br", "gzip" or None, from the client's Accept-Encoding (q=0 refuses a coding)."""
    weights: dict[str, float] = {}
    for item in accept_encoding.split(","):
        coding, *parameters = (part.strip() for part in item.split(";"))
        weight = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        if coding:
            weights[coding.lower()] = weight
    anything = weights.get("*", 0.0)
    brotli_weight = weights.get("br", anything)
    gzip_weight = weights.get("gzip", weights.get("x-gzip", anything))
    if brotli_weight > 0 and brotli_weight >= gzip_weight:
        return "br"
    return "gzip" if gzip_weight > 0 else None


class BrotliResponder(IdentityResponder):
    content_encoding = "br"

    def __init__(self, app: ASGIApp, minimum_size: int, **options) -> None:
        super().__init__(app, minimum_size, **options)
        self._compressor = brotli.Compressor(quality=BROTLI_QUALITY, mode=brotli.MODE_TEXT)

    async def apply_compression(self, body: bytes, *, more_body: bool) -> bytes:
        if len(body) >= THREAD_BYTES:
            return await anyio.to_thread.run_sync(self._compress, body, more_body)
        return self._compress(body, more_body)

    def _compress(self, body: bytes, more_body: bool) -> bytes:
        # A streamed body is flushed part by part, so each part reaches the client when sent.
        end = self._compressor.flush if more_body else self._compressor.finish
        return self._compressor.process(body) + end()


class Compression:
    def __init__(self, app: ASGIApp, minimum_size: int = MIN_BYTES) -> None:
        self.app = app
        self.minimum_size = minimum_size

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        coding = chosen(Headers(scope=scope).get("accept-encoding", ""))
        if coding == "br":
            responder = BrotliResponder(self.app, self.minimum_size, exclude_content_types=EXCLUDED)
        elif coding == "gzip":
            responder = GZipResponder(
                self.app,
                self.minimum_size,
                compresslevel=GZIP_LEVEL,
                thread_minimum_size=THREAD_BYTES,
                exclude_content_types=EXCLUDED,
            )
        else:
            responder = IdentityResponder(
                self.app, self.minimum_size, exclude_content_types=EXCLUDED
            )
        await responder(scope, receive, send)
