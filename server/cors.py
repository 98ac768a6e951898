"""Pages on other sites that may call the API (DOWNLINE_CORS_ORIGINS), over HTTP and WebSocket
alike.

HTTP goes through Starlette's CORSMiddleware: a listed origin may POST (and GET) /graphql with
the bearer token and a JSON body, its preflight answered and cached by the browser for
DOWNLINE_CORS_MAX_AGE seconds; any other origin gets no Access-Control-Allow-Origin, so its
browser keeps the answer from the page. Browsers apply no CORS to a WebSocket handshake, so the
GraphQL view checks the handshake's Origin against the same list (strawberry's
`allowed_origins`): the API's own origin and listed ones may open a socket, any other is refused
with 403 before the socket opens.

No cookies are involved (the token travels in a header or in connection_init), so credentials
are never allowed: a page can only act with a token it was given.
"""

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

from downline.core.config import Settings

# What a page sends: the token, a JSON body, and a browser tracer's W3C trace context (so a
# frontend's trace continues into the API's).
REQUEST_HEADERS = ("Authorization", "Content-Type", "traceparent", "tracestate")
# What a page may read beyond the safelisted headers: how long to wait when the database is busy.
RESPONSE_HEADERS = ("Retry-After",)


def middleware(settings: Settings) -> Middleware:
    return Middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=("GET", "POST"),
        allow_headers=REQUEST_HEADERS,
        expose_headers=RESPONSE_HEADERS,
        allow_credentials=False,
        max_age=settings.cors_max_age,
    )
