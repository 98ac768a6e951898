"""The API's everyday request, answered without strawberry's request adapters.

Nearly every request is a POST of one JSON object: `query`, `variables`, `operationName`. For
it, strawberry's view built a request adapter, parsed the content type and the Accept header for
a streamed answer, asked for a root value, a GraphiQL page and a batch, then ran the operation:
as much CPU again as a one-row page's own execution. Here that request runs the operation the
view would run (`schema.execute`, with the view's own sub-response, context, result and
response), and answers exactly what the view would.

Anything else returns None and takes the view's path as before: GET, uploads, a large body
(server/graphql.py decodes it off the event loop), another content type, a batch, a persisted
query (`extensions`), an Accept asking for a streamed answer, any value the view would refuse (a
query that is not a string, variables that are not an object), and a body orjson does not read
as the view's JSON decoder would (NaN, integers past 64 bits). An operation refused before it
ran (no operation, or a subscription over POST) also takes the view's path, which answers it as
it always did.
"""

import orjson
from starlette.requests import Request
from starlette.responses import Response
from strawberry.exceptions import MissingQueryError
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError

FIELDS = frozenset({"query", "variables", "operationName"})
REFUSED_BEFORE_RUNNING = (CannotGetOperationTypeError, InvalidOperationTypeError, MissingQueryError)


async def answer(view, request: Request, body: bytes) -> Response | None:
    """The response to a plain POST of one operation, or None for the view's own path."""
    data = _operation(request, body)
    if data is None or view._get_stream_transport_from_headers(request.headers) is not None:
        return None
    sub_response = await view.get_sub_response(request)
    context = await view.get_context(request, sub_response)
    try:
        result = await view.schema.execute(
            data["query"],
            variable_values=data.get("variables"),
            context_value=context,
            operation_name=data.get("operationName"),
        )
    except REFUSED_BEFORE_RUNNING:
        return None
    return view.create_response(await view.process_result(request, result), sub_response)


def _operation(request: Request, body: bytes) -> dict | None:
    media, _, _ = request.headers.get("content-type", "").partition(";")
    if media.strip().lower() != "application/json":
        return None
    try:
        data = orjson.loads(body)
    except ValueError:
        return None
    if type(data) is not dict or not data.keys() <= FIELDS:
        return None
    query, variables, name = data.get("query"), data.get("variables"), data.get("operationName")
    if type(query) is not str:
        return None
    if not (variables is None or type(variables) is dict):
        return None
    if not (name is None or type(name) is str):
        return None
    return data
