"""The GraphQL endpoint: strawberry's ASGI view behind a bearer-token check.

HTTP: a missing or bad token answers 401 with a JSON error before GraphQL runs. WebSocket (both
graphql-transport-ws and legacy graphql-ws): the token comes in connection_init's payload as
{"authorization": "Bearer <token>"}; without a valid one the connection is refused. A socket
lives long, so its user is re-loaded at every operation it starts, and the socket is closed
(4401) when its user is gone or its token expires, even while idle. A user holds at most
DOWNLINE_MAX_SOCKETS_PER_USER sockets, and a socket that does not sign in within
DOWNLINE_WS_INIT_SECONDS is closed, whichever its protocol (server/sockets.py).

A POST body over its limit is answered 413, unparsed; a request that gets no database
connection within DOWNLINE_DB_POOL_TIMEOUT, 503 with Retry-After. A query may come by GET too
(`?query=…&variables=…`, or a persisted query's hash alone: server/persisted.py), signed in like
a POST; a mutation by GET is refused 405. Answers are application/json or, when the client asks
for it, application/graphql-response+json (server/responses.py).
"""

import asyncio
import json
import logging
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta

import anyio.to_thread
import orjson
from cross_web import HTTPException
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse
from starlette.types import Message, Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.types.unset import UNSET

from downline.core import presence
from downline.core.db import BUSY
from downline.schema.context import Context, JobQueue, Unit, request_unit
from downline.server import plain, responses
from downline.server.auth import AuthError, authenticate
from downline.server.persisted import PersistedQueries
from downline.server.sockets import FairSockets, Places

log = logging.getLogger("downline.api")

# Bytes: a JSON body this long decodes in well under a millisecond, less than the hop to a thread.
LARGE_BODY = 64 * 1024

# The request's body and what it decoded to in a worker thread (see parse_http_body).
_decoded: ContextVar[tuple[bytes, object] | None] = ContextVar("decoded", default=None)


SUBSCRIPTION_OVER_HTTP = (
    "a subscription runs over a WebSocket (graphql-transport-ws or graphql-ws) at this same "
    "address, not in a POST"
)

# Operations running at once on one socket (a subscription runs until it ends): one more is
# refused with "Subscription limit reached".
SUBSCRIPTIONS_PER_SOCKET = 100

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


class GraphQLTransportWSHandler(FairSockets, CredentialsOverTime, BaseGraphQLTransportWSHandler):
    async def handle_subscribe(self, message) -> None:
        # Before sign-in the base class refuses the operation itself.
        if self.connection_acknowledged and not await self.signed_in_still():
            return
        await super().handle_subscribe(message)

    async def stop_operations(self) -> None:
        for operation_id in list(self.operations):
            await self.cleanup_operation(operation_id)


class GraphQLWSHandler(FairSockets, CredentialsOverTime, BaseGraphQLWSHandler):
    # strawberry gives legacy graphql-ws no sign-in deadline: FairSockets keeps one for it.
    init_deadline_of_its_own = False

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

    def __init__(
        self,
        schema,
        queue: JobQueue,
        persisted: PersistedQueries,
        sockets_per_user: int,
        init_seconds: float,
        **options,
    ) -> None:
        super().__init__(
            schema,
            connection_init_wait_timeout=timedelta(seconds=init_seconds),
            max_subscriptions_per_connection=SUBSCRIPTIONS_PER_SOCKET,
            **options,
        )
        self.queue = queue
        self.persisted = persisted
        self.places = Places(sockets_per_user)

    async def run(self, request, context=UNSET, root_value=UNSET):
        try:
            return await super().run(request, context, root_value)
        except responses.Refused as refusal:
            return refusal.response(request.headers.get("accept"))

    def should_render_graphql_ide(self, request) -> bool:
        """A GET with a persisted query's hash and no document is an operation, not a visit."""
        return super().should_render_graphql_ide(request) and (
            "extensions" not in request.query_params
        )

    async def execute_single(
        self, request, request_adapter, sub_response, context, root_value, request_data
    ):
        keep = await self.persisted.fill(request_data)
        try:
            result = await super().execute_single(
                request, request_adapter, sub_response, context, root_value, request_data
            )
        except HTTPException as exc:
            if not isinstance(exc.__cause__, InvalidOperationTypeError):
                raise
            if request_adapter.method == "GET":
                # The GraphQL-over-HTTP spec: GET is safe, so it runs queries only.
                raise responses.Refused(
                    405, exc.reason, "BAD_USER_INPUT", headers={"Allow": "POST"}
                ) from exc
            raise responses.Refused(None, SUBSCRIPTION_OVER_HTTP, "BAD_USER_INPUT") from exc
        if keep and not responses.failed_before_execution(result.data, result.errors):
            await self.persisted.keep(keep, request_data.query)
        return result

    async def parse_http_body(self, request):
        """A large JSON body is decoded in a worker thread, off the event loop; strawberry's own
        parsing then takes that result for the same body (decode_json)."""
        if request.method != "POST" or "json" not in (request.content_type or ""):
            return await super().parse_http_body(request)
        body = await request.get_body()
        if len(body) <= LARGE_BODY:
            return await super().parse_http_body(request)
        decoded = await anyio.to_thread.run_sync(self.parse_json, body)
        token = _decoded.set((body, decoded))
        try:
            return await super().parse_http_body(request)
        finally:
            _decoded.reset(token)

    def encode_json(self, data: object) -> str:
        """orjson: a page of 500 clients took json.dumps 1.1 ms. A str, not bytes: strawberry
        sends bytes over a WebSocket as binary frames, which graphql-ws clients do not read.
        What orjson refuses (an integer past 64 bits, in an export's params stored before they
        were bounded) json.dumps still writes."""
        try:
            return orjson.dumps(data).decode()
        except TypeError:
            return json.dumps(data, separators=(",", ":"))

    def decode_json(self, data: str | bytes) -> object:
        done = _decoded.get()
        if done is not None and done[0] is data:
            return done[1]
        return super().decode_json(data)

    async def get_sub_response(self, request):
        sub_response = await super().get_sub_response(request)
        sub_response.media_type = responses.media_type(request.headers.get("accept"))
        return sub_response

    def create_response(self, response_data, sub_response):
        """In the media type the client asked for, with that media type's status code; 503
        with Retry-After when a part of the answer could not have its database connection in
        time: the client should try again, not take the errors as its own."""
        media = sub_response.media_type
        response_data, status = responses.shaped(response_data, media)
        response = super().create_response(response_data, sub_response)
        response.status_code = status
        response.headers["content-type"] = responses.content_type(media)
        if status == 503:
            response.headers["Retry-After"] = str(responses.RETRY_AFTER_SECONDS)
        return response

    async def get_context(self, request, response) -> Context:
        principal = request.scope.get("state", {}).get("principal")
        if principal is not None:
            presence.mark(principal.email)  # others' long jobs give way (core/yielding.py)
        return Context(request, response, principal, self.queue)

    async def on_ws_connect(self, context: Context):
        try:
            signed_in = await authenticate(_authorization(context))
        except AuthError as exc:
            raise ConnectionRejectionError({"message": str(exc)}) from exc
        context.sign_in(signed_in.principal, signed_in.until)
        presence.mark(signed_in.principal.email)
        return None


class Authenticated:
    """ASGI wrapper: an operation, by POST or by GET, must carry a valid bearer token (a GET
    without one serves GraphiQL), and come within its size: an upload (multipart)
    `max_upload_bytes`, which it must declare in Content-Length; anything else
    `max_query_bytes`, refused unread when Content-Length (or the URL) says so, else counted
    while it is read (a chunked body)."""

    def __init__(self, view: DownlineGraphQL, max_upload_bytes: int, max_query_bytes: int) -> None:
        self.view = view
        self.max_upload_bytes = max_upload_bytes
        self.max_query_bytes = max_query_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # The request's database work, from its sign-in on (schema/context.py); an upload's
        # resolver stores the file before it writes, so it keeps a session per step instead of
        # holding one open while a large file is stored.
        unit = Unit()
        entered = request_unit.set(unit)
        try:
            await self._serve(scope, receive, send, unit)
        finally:
            request_unit.reset(entered)
            await unit.close()

    async def _serve(self, scope: Scope, receive: Receive, send: Send, unit: Unit) -> None:
        refusal = None
        if scope["type"] == "http" and scope["method"] == "POST":
            request = Request(scope, receive)
            upload = request.headers.get("content-type", "").startswith("multipart/")
            refusal = self._declared_too_large(request, upload)
            if refusal is None:
                refusal = await self._sign_in(request, scope, None if upload else unit)
            if upload:
                request_unit.set(None)
            if refusal is None and not upload:
                try:
                    body = await _body_within(request, self.max_query_bytes)
                except ClientDisconnect:
                    return  # gone before its request was whole: nobody to answer
                if body is None:
                    refusal = self._query_too_large(request)
                else:
                    # The everyday request (one JSON operation) skips the view's adapters.
                    plainly = len(body) <= LARGE_BODY
                    response = await plain.answer(self.view, request, body) if plainly else None
                    if response is not None:
                        await response(scope, receive, send)
                        return
                    receive = _replay(body, receive)
        elif scope["type"] == "http" and scope["method"] == "GET":
            request = Request(scope, receive)
            if {"query", "extensions"} & set(request.query_params):
                if len(scope["query_string"]) > self.max_query_bytes:
                    refusal = self._query_too_large(request)
                else:
                    refusal = await self._sign_in(request, scope, unit)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        await self.view(scope, receive, send)

    def _declared_too_large(self, request: Request, upload: bool) -> JSONResponse | None:
        length = request.headers.get("content-length")
        if upload and (length is None or _over(length, self.max_upload_bytes)):
            # Uploads must say their size up front; anything over the limit is refused unread.
            limit = self.max_upload_bytes // (1024 * 1024)
            message = f"the request is larger than {limit} MB"
            return _error(request, 413, message, "BAD_USER_INPUT", "file")
        if not upload and length is not None and _over(length, self.max_query_bytes):
            return self._query_too_large(request)
        return None

    def _query_too_large(self, request: Request) -> JSONResponse:
        message = responses.too_large(self.max_query_bytes)
        return _error(request, 413, message, "BAD_USER_INPUT", "query")

    async def _sign_in(
        self, request: Request, scope: Scope, unit: Unit | None
    ) -> JSONResponse | None:
        try:
            signed_in = await authenticate(request.headers.get("authorization"), unit)
        except AuthError as exc:
            return _error(request, 401, str(exc), "UNAUTHENTICATED")
        except PoolTimeout:
            log.warning("no database connection within the pool timeout to sign a request in")
            # Nothing wrong with the request: the client should try again.
            return _error(request, 503, BUSY, "UNAVAILABLE")
        scope.setdefault("state", {})["principal"] = signed_in.principal
        return None


def _over(length: str, limit: int) -> bool:
    return not length.isdigit() or int(length) > limit


def _error(
    request: Request, status: int, message: str, code: str, field: str | None = None
) -> JSONResponse:
    return responses.error(status, message, code, field, request.headers.get("accept"))


async def _body_within(request: Request, limit: int) -> bytes | None:
    """The whole body, or None as soon as it passes `limit` bytes (the rest is never read)."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that hands the view the body read already, then waits as the server's does
    (for the client's disconnect)."""
    pending: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]

    async def replay() -> Message:
        return pending.pop() if pending else await receive()

    return replay
