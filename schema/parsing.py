"""Parsing and validating a document: cached on the event loop for the small documents clients
send again and again, uncached in a worker thread for a large one.

graphql-core's lexer is pure Python, about a quarter of a second per megabyte here, and a
document's comments and whitespace cost it as much as its tokens do (MaxTokensLimiter counts
tokens only); on the event loop that is a pause of every other request of the process. A large
document is not cached either: it is seldom sent twice, and a cache of them would keep hundreds
of them in memory.
"""

from collections.abc import AsyncIterator
from functools import lru_cache, partial

import anyio.to_thread
from graphql import parse
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

# Characters: a document this long parses and validates in about a millisecond, less than the
# hop to a thread costs under load.
LARGE_DOCUMENT = 10_000
CACHED = 256

_cached_parse = lru_cache(maxsize=CACHED)(parse)
_cached_validate = lru_cache(maxsize=CACHED)(validate_document)


class ParseAndValidate(SchemaExtension):
    """In place of strawberry's ParserCache and ValidationCache (the caches are module-level,
    shared by every request)."""

    async def on_parse(self) -> AsyncIterator[None]:
        context = self.execution_context
        if self._large():
            work = partial(parse, context.query, **context.parse_options)
            context.graphql_document = await anyio.to_thread.run_sync(work)
        else:
            context.graphql_document = _cached_parse(context.query, **context.parse_options)
        yield

    async def on_validate(self) -> AsyncIterator[None]:
        context = self.execution_context
        arguments = (context.schema._schema, context.graphql_document, context.validation_rules)
        if self._large():
            errors = await anyio.to_thread.run_sync(validate_document, *arguments)
        else:
            errors = _cached_validate(*arguments)
        context.pre_execution_errors = errors
        yield

    def _large(self) -> bool:
        return len(self.execution_context.query or "") > LARGE_DOCUMENT
