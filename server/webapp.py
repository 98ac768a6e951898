"""The export centre page (`GET /app`; `/` redirects there).

A static page, no build step: `web/index.html` and plain ES modules under `/app/static/`, which
talk to the API like any other client (POST /graphql with the bearer token, subscriptions over
WebSocket /graphql with graphql-transport-ws). Nothing is fetched from anywhere else; the
Content-Security-Policy says so to the browser too.
"""

import mimetypes
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

WEB = Path(__file__).parent / "web"

# Module scripts must be served as JavaScript; not every system's mime table knows `.mjs`.
mimetypes.add_type("text/javascript", ".mjs")

CSP = "; ".join(
    [
        "default-src 'self'",
        "connect-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


async def home(_: Request) -> Response:
    return RedirectResponse("/app", status_code=307)


async def page(_: Request) -> Response:
    return FileResponse(WEB / "index.html", media_type="text/html", headers=HEADERS)


class _Static(StaticFiles):
    """The page's modules and styles; revalidated on each load so an upgrade shows at once."""

    def file_response(self, *args, **kwargs) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = "no-cache"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


def routes() -> list:
    return [
        Route("/", home),
        Route("/app", page),
        Mount("/app/static", _Static(directory=WEB), name="app-static"),
    ]
