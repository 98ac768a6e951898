"""Every error leaves with `extensions.code`: DownlineSchema shapes every result
it returns, executed, refused before execution, or streamed. Our own typed errors pass through
with their message (and `field` for BAD_USER_INPUT); GraphQL's own parse, validation and input
coercion errors become BAD_USER_INPUT; no database connection in time is UNAVAILABLE (the server
answers it 503); anything else is masked as INTERNAL with a reference that the log carries beside
the full traceback. No stack, no SQL ever reaches the caller."""

import logging
import re
import uuid
from collections.abc import AsyncGenerator

from graphql import GraphQLError, VariableDefinitionNode
from sqlalchemy.exc import TimeoutError as PoolTimeout

from downline.core.db import BUSY
from downline.core.errors import DownlineError

log = logging.getLogger("downline.api")


# graphql-core's "Did you mean 'x'?" hints map the schema for a prober: cut in production,
# wherever they stand ("... unknown field 'serch'. Did you mean 'search'? Found: {...}.").
SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


def shape(error: GraphQLError, hide_suggestions: bool = False) -> GraphQLError:
    if error.extensions and "code" in error.extensions:
        return error  # shaped already
    original = error.original_error
    while isinstance(original, GraphQLError) and original.original_error is not None:
        original = original.original_error
    if isinstance(original, DownlineError):
        extensions = {"code": original.code}
        if original.field:
            extensions["field"] = original.field
        return _copy(error, original.message, extensions)
    if isinstance(original, PoolTimeout):
        log.warning("no database connection within the pool timeout at %s", error.path)
        return _copy(error, BUSY, {"code": "UNAVAILABLE"})
    # GraphQL's own errors: parse and validation (no original), and a variable that could not be
    # coerced (before execution, so no path; its original is graphql-core's own GraphQLError).
    if original is None or (isinstance(original, GraphQLError) and error.path is None):
        message = SUGGESTION.sub("", error.message) if hide_suggestions else error.message
        extensions = {"code": "BAD_USER_INPUT"}
        variable = _variable(error)
        if variable:
            extensions["field"] = variable
        return _copy(error, message, extensions)
    reference = uuid.uuid4().hex[:12]
    log.error("internal error %s at %s", reference, error.path, exc_info=original)
    return _copy(error, f"Internal error (reference {reference}).", {"code": "INTERNAL"})


def _variable(error: GraphQLError) -> str | None:
    """The name of the variable an error is about (its definition is the error's node)."""
    for node in error.nodes or ():
        if isinstance(node, VariableDefinitionNode):
            return node.variable.name.value
    return None


def _copy(error: GraphQLError, message: str, extensions: dict) -> GraphQLError:
    return GraphQLError(
        message, nodes=error.nodes, path=error.path, original_error=None, extensions=extensions
    )


def shape_all(result, hide_suggestions: bool = False) -> None:
    if result is not None and result.errors:
        result.errors = [shape(e, hide_suggestions) for e in result.errors]


async def shaped_stream(source: AsyncGenerator, hide_suggestions: bool = False) -> AsyncGenerator:
    """Each result of a subscription, shaped; closing it closes the source."""
    try:
        async for result in source:
            shape_all(result, hide_suggestions)
            yield result
    finally:
        await source.aclose()
