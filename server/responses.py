"""What a GraphQL answer over HTTP is sent as, by the GraphQL-over-HTTP spec.

`application/graphql-response+json` when the client's Accept asks for it: its status codes
tell a request error (a document that does not parse or validate, a variable that does not
coerce, a limit checked before anything runs) from an executed operation. A request error has no
`data` entry and is answered 400; an executed operation is answered 200, even when a field failed
(partial data, or `data: null` from a failed non-null field).

`application/json` otherwise (no Accept, `*/*`, or application/json preferred), as before the
spec had a media type of its own: every well-formed request is answered 200, request errors
with `data: null`, because existing clients rely on exactly that.

Either way a database too busy to answer in time is 503 with Retry-After (the client should try
again), and a request refused before GraphQL sees it (no token, too large, a mutation over GET)
keeps its own status code.
"""

from collections.abc import Mapping, Sequence

from starlette.responses import JSONResponse

JSON = "application/json"
GRAPHQL_RESPONSE = "application/graphql-response+json"
RETRY_AFTER_SECONDS = 2


def media_type(accept: str | None) -> str:
    """application/graphql-response+json when Accept names it, at least as high as anything
    that would stand for application/json; application/json otherwise."""
    wanted = accepted_json = 0.0
    for item in (accept or "").split(","):
        kind, *parameters = (part.strip() for part in item.split(";"))
        quality = _quality(parameters)
        if kind.lower() == GRAPHQL_RESPONSE:
            wanted = max(wanted, quality)
        elif kind.lower() in (JSON, "application/*", "*/*"):
            accepted_json = max(accepted_json, quality)
    return GRAPHQL_RESPONSE if wanted > 0 and wanted >= accepted_json else JSON


def _quality(parameters: Sequence[str]) -> float:
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0


def too_large(limit: int) -> str:
    return (
        f"the request is larger than {limit:,} bytes, the most a GraphQL request may send "
        "(comments and whitespace included); a file goes in an upload"
    )


def content_type(media: str) -> str:
    return f"{media}; charset=utf-8" if media == GRAPHQL_RESPONSE else media


def failed_before_execution(data: object, errors: Sequence | None) -> bool:
    """A GraphQL request error: nothing was executed. Such errors come without data and
    without a path; an error in a field always has the field's path."""
    return data is None and bool(errors) and all(_path(error) is None for error in errors)


def _path(error: object) -> object:
    return error.get("path") if isinstance(error, Mapping) else getattr(error, "path", None)


def _codes(errors: Sequence) -> set[str]:
    return {(error.get("extensions") or {}).get("code") for error in errors}


def shaped(payload: dict, media: str) -> tuple[dict, int]:
    """The body to send and its status code, for a GraphQL response `payload`."""
    errors = payload.get("errors") or []
    if "UNAVAILABLE" in _codes(errors):
        return payload, 503
    if media != GRAPHQL_RESPONSE or not failed_before_execution(payload.get("data"), errors):
        return payload, 200
    payload = {key: value for key, value in payload.items() if key != "data"}
    return payload, 500 if "INTERNAL" in _codes(errors) else 400


class Refused(Exception):
    """A request answered with one GraphQL error before anything runs. `status` None: the
    status of a request error in the media type the client asked for (200 as
    application/json, 400 as application/graphql-response+json)."""

    def __init__(
        self,
        status: int | None,
        message: str,
        code: str,
        field: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.code, self.field = status, message, code, field
        self.headers = dict(headers or {})

    def response(self, accept: str | None) -> JSONResponse:
        media = media_type(accept)
        status = self.status or (400 if media == GRAPHQL_RESPONSE else 200)
        return error(status, self.message, self.code, self.field, accept, self.headers)


def error(
    status: int,
    message: str,
    code: str,
    field: str | None,
    accept: str | None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    extensions = {"code": code} | ({"field": field} if field else {})
    response = JSONResponse(
        {"errors": [{"message": message, "extensions": extensions}]},
        status_code=status,
        headers=headers,
    )
    response.headers["content-type"] = content_type(media_type(accept))
    if status == 503:
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
