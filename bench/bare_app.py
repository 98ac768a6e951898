"""The baselines of bench/api.py, served by uvicorn exactly like downline (`uvicorn bare_app:app
--app-dir bench`, the same worker count), so the difference is downline's own work:

- `POST /graphql`: a bare Starlette JSON route. It parses the request body and answers a body the
  size of downline's `viewer` answer.
- `POST /viewer`: `viewer { email role exportsAllowed }` written by hand: the bearer token
  verified as `/clients` does, and the caller loaded as it stands now, in one statement (the
  user, its agent's or its own agency, its tenant, as downline's principal; and the switch an
  agent's exports hang on), since every request must load its principal.
- `POST /clients`: the Clients page written by hand: Starlette, SQLAlchemy Core and one SQL
  statement. It verifies the bearer token as downline does (HS256, the same secret), reads
  `variables.first` from the JSON body and answers, for the token's agency admin, the JSON
  downline gives for `clients(first:) { edges { node { id firstName lastName submittedAt agent {
  name agency { name } } } } pageInfo { hasNextPage endCursor } }` (bench/api.py checks that the
  two answers are equal). The scope is downline's own SQL: the agents of every agency at or below
  the admin's (the closure table), the list's default filter and order.

The database and the secret come from DOWNLINE_DATABASE_URL and DOWNLINE_SECRET_KEY; the pool
holds DOWNLINE_DB_POOL_SIZE connections (40), no pre-ping.
"""

import base64
import json
import os

import jwt
from sqlalchemy import create_engine, text
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

VIEWER = {
    "data": {
        "viewer": {"email": "admin@demo.downline", "role": "AGENCY_ADMIN", "exportsAllowed": True}
    }
}

POOL = int(os.environ.get("DOWNLINE_DB_POOL_SIZE") or 40)
ENGINE = create_engine(
    os.environ.get("DOWNLINE_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1/postgres"),
    pool_size=POOL,
    max_overflow=0,
)
SECRET = os.environ.get("DOWNLINE_SECRET_KEY", "")

PAGE = text(
    """
    SELECT c.id, c.first_name, c.last_name, c.submitted_at, a.name, g.name
    FROM client c
    JOIN agent a ON a.id = c.agent_id
    JOIN agency g ON g.id = a.agency_id
    WHERE c.agent_id IN (
        SELECT agent.id FROM agent WHERE agent.agency_id IN (
            SELECT descendant_id FROM agency_closure WHERE ancestor_id = (
                SELECT agency_id FROM "user" WHERE email = :email)))
      AND c.submitted_at IS NOT NULL
      AND NOT c.archived
      AND NOT c.ia_three_way_call_completed
    ORDER BY c.submitted_at DESC NULLS LAST, c.id
    LIMIT :limit
    """
)


VIEWER_ROW = text(
    """
    SELECT u.email, u.role, coalesce(own.exports_allowed_for_agents, true),
      (SELECT up.ancestor_id FROM agency_closure up JOIN agency top ON top.id = up.ancestor_id
       WHERE up.descendant_id = coalesce(a.agency_id, admin.id) AND top.parent_id IS NULL)
    FROM "user" u
    LEFT JOIN agent a ON a.id = u.agent_id
    LEFT JOIN agency own ON own.id = a.agency_id
    LEFT JOIN agency admin ON admin.id = u.agency_id
    WHERE u.email = :email
    """
)


async def graphql(request: Request) -> JSONResponse:
    await request.json()
    return JSONResponse(VIEWER)


def _cursor(submitted_at, client_id: str) -> str:
    plain = json.dumps([submitted_at.isoformat(), client_id], separators=(",", ":"))
    return base64.urlsafe_b64encode(plain.encode()).decode()


def _page(email: str, first: int) -> dict:
    with ENGINE.connect() as conn:
        rows = conn.execute(PAGE, {"email": email, "limit": first + 1}).all()
    shown = rows[:first]
    edges = [
        {
            "node": {
                "id": client_id,
                "firstName": first_name,
                "lastName": last_name,
                "submittedAt": submitted_at.isoformat(),
                "agent": {"name": agent, "agency": {"name": agency}},
            }
        }
        for client_id, first_name, last_name, submitted_at, agent, agency in shown
    ]
    end = _cursor(shown[-1][3], shown[-1][0]) if shown else None
    info = {"hasNextPage": len(rows) > first, "endCursor": end}
    return {"data": {"clients": {"edges": edges, "pageInfo": info}}}


def _claims(request: Request) -> dict | None:
    _, _, token = request.headers.get("authorization", "").partition(" ")
    try:
        return jwt.decode(token, SECRET, algorithms=["HS256"], options={"require": ["exp"]})
    except jwt.PyJWTError:
        return None


UNAUTHENTICATED = JSONResponse({"errors": [{"message": "unauthenticated"}]}, status_code=401)


async def clients(request: Request) -> JSONResponse:
    claims = _claims(request)
    if claims is None:
        return UNAUTHENTICATED
    body = await request.json()
    first = int(body.get("variables", {}).get("first", 50))
    return JSONResponse(await run_in_threadpool(_page, claims["sub"], first))


def _viewer_row(email: str):
    with ENGINE.connect() as conn:
        return conn.execute(VIEWER_ROW, {"email": email}).first()


async def viewer(request: Request) -> JSONResponse:
    claims = _claims(request)
    if claims is None:
        return UNAUTHENTICATED
    await request.json()
    row = await run_in_threadpool(_viewer_row, claims["sub"])
    if row is None or row[3] is None:  # gone, or no longer in an agency
        return UNAUTHENTICATED
    email, role, allowed, _tenant = row
    viewer = {"email": email, "role": role, "exportsAllowed": role == "AGENCY_ADMIN" or allowed}
    return JSONResponse({"data": {"viewer": viewer}})


async def healthz(_: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


app = Starlette(
    routes=[
        Route("/graphql", graphql, methods=["POST"]),
        Route("/clients", clients, methods=["POST"]),
        Route("/viewer", viewer, methods=["POST"]),
        Route("/healthz", healthz),
    ]
)
