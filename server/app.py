"""The Starlette application: GraphQL, health, readiness and metrics (the routes in the README)."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import anyio.to_thread
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute

from downline.core import db, events, plugins
from downline.core.config import Settings, get_settings
from downline.schema import make_schema
from downline.schema.context import on_the_loop
from downline.server import cors, downloads, metrics, startup, webapp
from downline.server.actors import DramatiqQueue
from downline.server.compression import Compression
from downline.server.embedded import WORKER_THREADS, background, should_run_workers
from downline.server.graphql import Authenticated, DownlineGraphQL
from downline.server.logs import configure_logging
from downline.server.persisted import PersistedQueries, make_store

log = logging.getLogger("downline.server")


async def healthz(_: Request) -> Response:
    return PlainTextResponse("ok")


def _database() -> None:
    with db.get_engine().connect() as conn:
        conn.execute(text("SELECT 1"))


def _broker() -> None:
    from downline.server import broker

    broker.ping()


def _checks() -> dict:
    settings = get_settings()
    checks = {"database": _database}
    if settings.broker_url:
        checks["broker"] = _broker
    if settings.redis_url:
        checks["event bus"] = events.get_bus().ping
    return checks


async def readyz(_: Request) -> Response:
    """200 when the database (and the broker and event bus, if configured) answer; 503 naming
    what is down otherwise."""
    down = {}
    for name, check in _checks().items():
        try:
            with anyio.fail_after(5):
                await anyio.to_thread.run_sync(check, abandon_on_cancel=True)
        except Exception as exc:  # noqa: BLE001 - any failure means "not ready", said in the body
            down[name] = f"{type(exc).__name__}: {str(exc)[:200]}"
    if down:
        return JSONResponse({"ready": False, "down": down}, status_code=503)
    return JSONResponse({"ready": True})


# A job may hold a few connections at once: its transaction, its progress, its heartbeat.
CONNECTIONS_PER_JOB = 4


def request_threads(settings: Settings) -> int:
    """The worker threads requests run on (database work, large documents): the pool's
    connections less those the in-process job workers may hold, so that no request's thread
    waits for a connection (one number, DOWNLINE_DB_POOL_SIZE, sizes both)."""
    held_by_jobs = WORKER_THREADS * CONNECTIONS_PER_JOB if should_run_workers(settings) else 0
    return max(settings.db_pool_size - held_by_jobs, 1)


def lifespan(settings: Settings):
    @asynccontextmanager
    async def run(app) -> AsyncIterator[None]:
        # anyio's limiter belongs to the event loop: set once the loop runs.
        anyio.to_thread.current_default_thread_limiter().total_tokens = request_threads(settings)
        startup.freeze_startup_objects()
        async with background(settings)(app), on_the_loop():
            yield

    return run


def create_app() -> Starlette:
    settings = get_settings()
    configure_logging(settings.production)
    # Every plugin is checked now: a broken or duplicate one is a start-up error, not a 500 later.
    plugins.installed_parsers()
    plugins.installed_export_types()
    extensions, middleware = [metrics.OperationMetrics], []
    if settings.tracing:
        from downline.server import broker, tracing

        tracing.start(settings, broker.broker)
        extensions += tracing.schema_extensions()
        middleware.append(Middleware(tracing.HttpSpans))
    view = DownlineGraphQL(
        make_schema(
            production=settings.production,
            max_cost=settings.max_query_cost,
            extra_extensions=extensions,
        ),
        DramatiqQueue(),
        PersistedQueries(
            make_store(settings), settings.persisted_query_max_bytes, settings.max_query_bytes
        ),
        sockets_per_user=settings.max_sockets_per_user,
        init_seconds=settings.ws_init_seconds,
        graphql_ide=None if settings.production else "graphiql",
        allow_queries_via_get=True,
        multipart_uploads_enabled=True,
        allowed_origins=settings.cors_origins,
    )
    graphql = Authenticated(
        view,
        max_upload_bytes=settings.max_upload_mb * 1024 * 1024,
        max_query_bytes=settings.max_query_bytes,
    )
    routes = [
        Route("/graphql", graphql, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", view),
        Route("/exports/{export_id}/download", downloads.download),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics.endpoint),
        *webapp.routes(),
    ]
    middleware += [cors.middleware(settings), Middleware(Compression)]
    return Starlette(routes=routes, middleware=middleware, lifespan=lifespan(settings))
