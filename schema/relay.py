"""Relay connections: Node, PageInfo, and generic Edge/Connection (named e.g. ClientConnection)."""

from collections.abc import Awaitable, Callable, Iterable, Iterator
from typing import Any, Generic, TypeVar

import strawberry
from graphql import FieldNode, FragmentSpreadNode, SelectionSetNode
from strawberry.types import Info

from downline.core.book.paging import Page, count, fetch_page
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
    row: strawberry.Private[Any]
    page: strawberry.Private[Page]

    @strawberry.field
    def cursor(self) -> str:
        return self.page.cursor(self.row)


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
    edges = [Edge(node=convert(row), row=row, page=page) for row in page.rows]
    return Connection(
        edges=edges,
        page_info=PageInfo(has_next_page=page.has_next, end_cursor=page.end_cursor),
        _total=total,
    )


async def known(value: int) -> int:
    return value


async def list_connection(
    info: Info, query, keys, convert, first: int | None, after: str | None, related=None
) -> Connection:
    """A page of a scoped list query, its total counted only if the selection asks for it, in
    the same trip to a worker thread as the page (the request's statements run one at a time
    anyway: a trip of its own cost the total a hop, and under load a wait for a thread and a CPU).

    `related(session, rows)`, when given, reads in the page's own session what the selection
    wants beyond the rows (their agents, say) and each node is `convert(row, what_it_read)`: a
    page of 50 then costs one trip to the database instead of one per loader."""
    counted = asks_for(info, "totalCount")

    def read(session):
        page = fetch_page(session, query, keys, first, after)
        found = related(session, page.rows) if related else None
        return page, found, count(session, query) if counted else None

    page, found, total = await run(read)
    node = convert if related is None else lambda row: convert(row, found)
    # Not counted, the total is never asked for: asks_for sees every totalCount selected.
    return connection(page, node, lambda: known(total))


def asks_for(info: Info, *path: str) -> bool:
    """Whether the field being resolved selects `path` (e.g. "edges", "node", "agent"),
    looking through fragments. Read from the document's nodes: strawberry's `selected_fields`
    builds an object for every field below, which cost a page more than its own conversion."""
    raw = info._raw_info
    level: Iterable[FieldNode] = raw.field_nodes
    for name in path:
        level = [child for node in level for child in _named(node.selection_set, name, raw)]
        if not level:
            return False
    return True


def _named(selection_set: SelectionSetNode | None, name: str, raw) -> Iterator[FieldNode]:
    for selection in selection_set.selections if selection_set else ():
        if isinstance(selection, FieldNode):
            if selection.name.value == name:
                yield selection
        elif isinstance(selection, FragmentSpreadNode):  # its fields are the parent's
            yield from _named(raw.fragments[selection.name.value].selection_set, name, raw)
        else:  # an inline fragment: the same
            yield from _named(selection.selection_set, name, raw)
