"""The GraphQL endpoint: strawberry's ASGI view behind a bearer-token check.

HTTP: a missing or bad token answers 401 with a JSON error before GraphQL runs. WebSocket (both
graphql-transport-ws and legacy graphql-ws): the token comes in connection_init's payload as
{"authorization": "Bearer <token>"}; without a valid one the connection is refused.
"""

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError

from downline.schema.context import Context, JobQueue
from downline.server.auth import AuthError, authenticate


class DownlineGraphQL(GraphQL):
    def __init__(self, schema, queue: JobQueue, **options) -> None:
        super().__init__(schema, **options)
        self.queue = queue

    async def get_context(self, request, response) -> Context:
        principal = request.scope.get("state", {}).get("principal")
        return Context(request, response, principal, self.queue)

    async def on_ws_connect(self, context: Context):
        params = context.connection_params if isinstance(context.connection_params, dict) else {}
        header = params.get("authorization") or params.get("Authorization")
        try:
            context.sign_in(await authenticate(header))
        except AuthError as exc:
            raise ConnectionRejectionError({"message": str(exc)}) from exc
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
                principal = await authenticate(request.headers.get("authorization"))
            except AuthError as exc:
                body = {
                    "errors": [{"message": str(exc), "extensions": {"code": "UNAUTHENTICATED"}}]
                }
                await JSONResponse(body, status_code=401)(scope, receive, send)
                return
            scope.setdefault("state", {})["principal"] = principal
        await self.view(scope, receive, send)


def _too_large(request: Request, limit: int) -> bool:
    """Uploads must say their size up front; anything over the limit is refused unread."""
    length = request.headers.get("content-length")
    if length is None:
        return request.headers.get("content-type", "").startswith("multipart/")
    return not length.isdigit() or int(length) > limit
