"""Parsing and validating a document: cached, and in a worker thread unless it is short.

graphql-core's lexer and validation are pure Python: a document of a few kilobytes of fields
takes milliseconds, and comments and whitespace cost the lexer as much as tokens do
(MaxTokensLimiter counts tokens only), about a quarter of a second per megabyte here. On the event
loop that is a pause of every other request of the process. The caches spare the work for the
documents clients send again and again; a very long document is not cached, as a cache of them
would hold hundreds of megabytes.
"""

from collections.abc import AsyncIterator, Callable, Iterator
from functools import lru_cache, partial
from typing import Any

import anyio.to_thread
from graphql import parse
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document  # graphql-core's, plus strawberry's rules
from strawberry.types import ExecutionContext

# Characters. Up to this, parsing and validating take a millisecond or so (and a document sent
# again is a cache hit): not worth the hop to a thread.
SHORT = 1_000
# Up to this, a document is cached (at most CACHED of them: a few tens of megabytes at worst).
CACHEABLE = 100_000
CACHED = 256

_cached_parse = lru_cache(maxsize=CACHED)(parse)
_cached_validate = lru_cache(maxsize=CACHED)(validate_document)


def _parse(context: ExecutionContext) -> Callable[[], Any]:
    how = _cached_parse if _cacheable(context) else parse
    return partial(how, context.query, **context.parse_options)


def _validate(context: ExecutionContext) -> Callable[[], Any]:
    how = _cached_validate if _cacheable(context) else validate_document
    return partial(how, context.schema._schema, context.graphql_document, context.validation_rules)


def _cacheable(context: ExecutionContext) -> bool:
    return len(context.query) <= CACHEABLE


async def _off_the_loop_unless_short(context: ExecutionContext, work: Callable[[], Any]) -> Any:
    if len(context.query) <= SHORT:
        return work()
    return await anyio.to_thread.run_sync(work)


async def parse_document(context: ExecutionContext) -> None:
    """The document of `context.query`, into `context.graphql_document` (a GraphQLError when it
    does not parse)."""
    context.graphql_document = await _off_the_loop_unless_short(context, _parse(context))


async def validate(context: ExecutionContext) -> None:
    """The document's validation errors (none: an empty list), into
    `context.pre_execution_errors`."""
    context.pre_execution_errors = await _off_the_loop_unless_short(context, _validate(context))


class ParseAndValidate(SchemaExtension):
    """What strawberry's ParserCache and ValidationCache do (the caches are module-level, shared
    by every request), off the event loop unless the document is short."""

    async def on_parse(self) -> AsyncIterator[None]:
        await parse_document(self.execution_context)
        yield

    async def on_validate(self) -> AsyncIterator[None]:
        await validate(self.execution_context)
        yield


class ParseAndValidateSync(SchemaExtension):
    """For `execute_sync`, which cannot await (tests, tools): the work where it is called."""

    def on_parse(self) -> Iterator[None]:
        self.execution_context.graphql_document = _parse(self.execution_context)()
        yield

    def on_validate(self) -> Iterator[None]:
        self.execution_context.pre_execution_errors = _validate(self.execution_context)()
        yield
