"""The baseline of bench/api.py: a bare Starlette JSON route, served by uvicorn exactly like
downline (`uvicorn bare_app:app --app-dir bench`). It parses the request body and answers a
body the size of downline's `viewer` answer, so the difference is downline's own work."""

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

VIEWER = {
    "data": {
        "viewer": {"email": "admin@demo.downline", "role": "AGENCY_ADMIN", "exportsAllowed": True}
    }
}


async def graphql(request: Request) -> JSONResponse:
    await request.json()
    return JSONResponse(VIEWER)


async def healthz(_: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


app = Starlette(routes=[Route("/graphql", graphql, methods=["POST"]), Route("/healthz", healthz)])
