"""The GraphQL endpoint: strawberry's ASGI view behind a bearer-token check.

HTTP: a missing or bad token answers 401 with a JSON error before GraphQL runs. WebSocket (both
graphql-transport-ws and legacy graphql-ws): the token comes in connection_init's payload as
{"authorization": "Bearer <token>"}; without a valid one the connection is refused. A socket
lives long, so its user is re-loaded at every operation it starts, and the socket is closed
(4401) when its user is gone or its token expires, even while idle.
"""

import asyncio
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler

from downline.schema.context import Context, JobQueue
from downline.server.auth import AuthError, authenticate

# graphql-transport-ws's code for "Unauthorized"; legacy graphql-ws has none, so it gets the same.
UNAUTHORIZED = 4401


def _authorization(context: Context) -> str | None:
    params = context.connection_params if isinstance(context.connection_params, dict) else {}
    return params.get("authorization") or params.get("Authorization")


class CredentialsOverTime:
    """Mixed into both protocols' handlers. A socket signs in once, by connection_init, and may
    stay open for hours: a user removed, demoted or moved by a load meanwhile, or a token past
    its exp, must not keep the rights it signed in with."""

    clock: asyncio.Task | None = None  # closes the socket at the token's exp
    closing = False

    async def handle(self) -> None:
        try:
            await super().handle()
        finally:
            self._stop_clock()

    async def handle_connection_init(self, message) -> None:
        await super().handle_connection_init(message)
        if self.connection_acknowledged:
            # Legacy graphql-ws may sign in again, with another token: its exp counts from now.
            self._stop_clock()
            self.clock = asyncio.create_task(self._close_at(self.context.signed_in_until))

    async def signed_in_still(self) -> bool:
        """Before an operation starts: re-load the user as an HTTP request would (the token's
        exp included), or close the socket."""
        if self.closing:
            return False
        try:
            signed_in = await authenticate(_authorization(self.context))
        except AuthError:
            await self._close_unauthorized()
            return False
        self.context.sign_in(signed_in.principal, signed_in.until)
        return not self.closing  # the clock may have run out while the user was loading

    async def _close_at(self, until: datetime) -> None:
        await asyncio.sleep((until - datetime.now(UTC)).total_seconds())
        await self._close_unauthorized()

    async def _close_unauthorized(self) -> None:
        if self.closing:
            return
        self.closing = True
        # Running subscriptions stop first: nothing more goes out for a user who is gone.
        await self.stop_operations()
        await self.websocket.close(code=UNAUTHORIZED, reason="Unauthorized")

    async def stop_operations(self) -> None:
        raise NotImplementedError

    def _stop_clock(self) -> None:
        if self.clock is not None:
            self.clock.cancel()


class GraphQLTransportWSHandler(CredentialsOverTime, BaseGraphQLTransportWSHandler):
    async def handle_subscribe(self, message) -> None:
        # Before sign-in the base class refuses the operation itself.
        if self.connection_acknowledged and not await self.signed_in_still():
            return
        await super().handle_subscribe(message)

    async def stop_operations(self) -> None:
        for operation_id in list(self.operations):
            await self.cleanup_operation(operation_id)


class GraphQLWSHandler(CredentialsOverTime, BaseGraphQLWSHandler):
    async def handle_start(self, message) -> None:
        # Before sign-in the base class refuses the operation itself.
        if self.connection_acknowledged and not await self.signed_in_still():
            return
        await super().handle_start(message)

    async def stop_operations(self) -> None:
        await self.cleanup()


class DownlineGraphQL(GraphQL):
    graphql_transport_ws_handler_class = GraphQLTransportWSHandler
    graphql_ws_handler_class = GraphQLWSHandler

    def __init__(self, schema, queue: JobQueue, **options) -> None:
        super().__init__(schema, **options)
        self.queue = queue

    async def get_context(self, request, response) -> Context:
        principal = request.scope.get("state", {}).get("principal")
        return Context(request, response, principal, self.queue)

    async def on_ws_connect(self, context: Context):
        try:
            signed_in = await authenticate(_authorization(context))
        except AuthError as exc:
            raise ConnectionRejectionError({"message": str(exc)}) from exc
        context.sign_in(signed_in.principal, signed_in.until)
        return None


class Authenticated:
    """ASGI wrapper: POST requests must carry a valid bearer token (GET serves GraphiQL)."""

    def __init__(self, view: DownlineGraphQL, max_body_bytes: int) -> None:
        self.view = view
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            request = Request(scope, receive)
            if _too_large(request, self.max_body_bytes):
                limit = self.max_body_bytes // (1024 * 1024)
                body = {
                    "errors": [
                        {
                            "message": f"the request is larger than {limit} MB",
                            "extensions": {"code": "BAD_USER_INPUT", "field": "file"},
                        }
                    ]
                }
                await JSONResponse(body, status_code=413)(scope, receive, send)
                return
            try:
                signed_in = await authenticate(request.headers.get("authorization"))
            except AuthError as exc:
                body = {
                    "errors": [{"message": str(exc), "extensions": {"code": "UNAUTHENTICATED"}}]
                }
                await JSONResponse(body, status_code=401)(scope, receive, send)
                return
            scope.setdefault("state", {})["principal"] = signed_in.principal
        await self.view(scope, receive, send)


def _too_large(request: Request, limit: int) -> bool:
    """Uploads must say their size up front; anything over the limit is refused unread."""
    length = request.headers.get("content-length")
    if length is None:
        return request.headers.get("content-type", "").startswith("multipart/")
    return not length.isdigit() or int(length) > limit
