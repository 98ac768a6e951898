"""Relay connections: Node, PageInfo, and generic Edge/Connection (named e.g. ClientConnection)."""

from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

import strawberry

from downline.core.paging import Page, count, fetch_page
from downline.schema.context import run

T = TypeVar("T")


@strawberry.interface
class Node:
    id: strawberry.ID


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    node: T
    cursor: str


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    _total: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field
    async def total_count(self) -> int:
        """Every row of the list, across pages; counted only when asked for."""
        return await self._total()


def connection(page: Page, convert: Callable, total: Callable[[], Awaitable[int]]) -> Connection:
    edges = [
        Edge(node=convert(row), cursor=c) for row, c in zip(page.rows, page.cursors, strict=True)
    ]
    return Connection(
        edges=edges,
        page_info=PageInfo(has_next_page=page.has_next, end_cursor=page.end_cursor),
        _total=total,
    )


async def known(value: int) -> int:
    return value


async def list_connection(query, keys, convert, first: int | None, after: str | None) -> Connection:
    """A page of a scoped list query, its total counted only if asked for."""
    page = await run(fetch_page, query, keys, first, after)
    return connection(page, convert, lambda: run(count, query))
