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

# Characters. Up to this, parsing and validating take a millisecond or so (and a document sent
# again is a cache hit): not worth the hop to a thread.
SHORT = 1_000
# Up to this, a document is cached (at most CACHED of them: a few tens of megabytes at worst).
CACHEABLE = 100_000
CACHED = 256

_cached_parse = lru_cache(maxsize=CACHED)(parse)
_cached_validate = lru_cache(maxsize=CACHED)(validate_document)


class _Caches(SchemaExtension):
    """What strawberry's ParserCache and ValidationCache do (the caches are module-level, shared
    by every request), as work to run."""

    def _parse(self) -> Callable[[], Any]:
        context = self.execution_context
        how = _cached_parse if self._cacheable() else parse
        return partial(how, context.query, **context.parse_options)

    def _validate(self) -> Callable[[], Any]:
        context = self.execution_context
        how = _cached_validate if self._cacheable() else validate_document
        return partial(
            how, context.schema._schema, context.graphql_document, context.validation_rules
        )

    def _cacheable(self) -> bool:
        return len(self.execution_context.query) <= CACHEABLE


class ParseAndValidate(_Caches):
    """Off the event loop unless the document is short."""

    async def on_parse(self) -> AsyncIterator[None]:
        self.execution_context.graphql_document = await self._off_the_loop_unless_short(
            self._parse()
        )
        yield

    async def on_validate(self) -> AsyncIterator[None]:
        self.execution_context.pre_execution_errors = await self._off_the_loop_unless_short(
            self._validate()
        )
        yield

    async def _off_the_loop_unless_short(self, work: Callable[[], Any]) -> Any:
        if len(self.execution_context.query) <= SHORT:
            return work()
        return await anyio.to_thread.run_sync(work)


class ParseAndValidateSync(_Caches):
    """For `execute_sync`, which cannot await (tests, tools): the work where it is called."""

    def on_parse(self) -> Iterator[None]:
        self.execution_context.graphql_document = self._parse()()
        yield

    def on_validate(self) -> Iterator[None]:
        self.execution_context.pre_execution_errors = self._validate()()
        yield
