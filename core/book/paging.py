"""Keyset pagination: opaque cursors over (sort keys..., id), never OFFSET.

A list declares its order as `Key`s; the last one must be unique (the id). The cursor of a row is
its key values, JSON-encoded and base64'd. "Rows after the cursor" is one SQL condition, so page
1000 costs what page 1 costs.
"""

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute
from sqlmodel import Session

from downline.core.errors import BadUserInput

MAX_PAGE = 500
DEFAULT_PAGE = 50


@dataclass(frozen=True)
class Key:
    column: InstrumentedAttribute
    descending: bool = False
    nullable: bool = False  # NULLs sort last, whatever the direction (only the first key)
    kind: type = str  # str, int, datetime or date: how the cursor value is decoded

    def order(self):
        ordered = self.column.desc() if self.descending else self.column.asc()
        return ordered.nulls_last() if self.nullable else ordered


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    keys: Sequence[Key]
    has_next: bool

    def cursor(self, row: Any) -> str:
        """Encoded when asked for: most pages are asked for their end cursor only."""
        return encode([getattr(row, k.column.key) for k in self.keys])

    @property
    def end_cursor(self) -> str | None:
        return self.cursor(self.rows[-1]) if self.rows else None


def check_first(first: int | None) -> int:
    """`first` as asked (an explicit null means the default), refused beyond the cap."""
    if first is None:
        return DEFAULT_PAGE
    if first < 0 or first > MAX_PAGE:
        raise BadUserInput(f"first must be between 0 and {MAX_PAGE}, got {first}", field="first")
    return first


def fetch_page(
    session: Session, query: Select, keys: Sequence[Key], first: int | None, after: str | None
) -> Page:
    """The `first` rows of `query` (which selects one entity) after cursor `after`."""
    first = check_first(first)
    keys = tuple(keys)
    values = decode(after, keys) if after is not None else None
    lead = keys[0]
    if not lead.nullable:
        rows = _rows(session, query, keys, values, first + 1)
    else:
        # NULLs sort last: the non-NULL rows, then the NULL tail by the other keys. Two plain
        # range queries, each able to walk its index, instead of one OR that cannot.
        rows = []
        if values is None or values[0] is not None:
            rows = _rows(session, query, keys, values, first + 1, NOT_NULL)
        if len(rows) <= first:
            in_tail = values is not None and values[0] is None
            tail = values[1:] if in_tail else None
            rows += _rows(session, query, keys, tail, first + 1 - len(rows), NULL)
    return Page(rows[:first], keys, has_next=len(rows) > first)


ALL, NOT_NULL, NULL = "all", "not null", "null"  # the rows a part of a page reads, by its lead


def _rows(
    session: Session, query: Select, keys: tuple, values, limit: int, part: str = ALL
) -> list:
    """`limit` rows of `query`'s `part` after `values` (None: from the start). Plain rows, not
    ORM entities: a page is read, never changed, and building 50 entities (identity map,
    instance state) cost more CPU than the rest of the query."""
    if values is None:
        statement = _from_start(query, keys, limit, part)
    else:
        statement = _bounded(query, keys, part).where(_after(_ordered_by(keys, part), values))
        statement = statement.order_by(*(k.order() for k in _ordered_by(keys, part)))
        statement = statement.limit(limit)
    return session.connection().execute(statement).all()


def _ordered_by(keys: tuple, part: str) -> tuple:
    return keys[1:] if part == NULL else keys  # in the NULL tail the lead is no key


def _bounded(query: Select, keys: tuple, part: str) -> Select:
    if part == ALL:
        return query
    lead = keys[0].column
    return query.where(lead.is_(None) if part == NULL else lead.is_not(None))


@lru_cache(maxsize=1024)
def _from_start(query: Select, keys: tuple, limit: int, part: str) -> Select:
    """A page from the start of a query, built once: a list's query is itself built once per
    principal and filter (schema/book.py), and building a statement cost as much as running it.
    Keyed on the query object itself, which the cache keeps alive."""
    return (
        _bounded(query, keys, part)
        .order_by(*(k.order() for k in _ordered_by(keys, part)))
        .limit(limit)
    )


def counted(query: Select) -> Select:
    """The statement counting `query`'s rows (a list's totalCount, an export's rowsTotal)."""
    return select(func.count()).select_from(query.order_by(None).subquery())


def count(session: Session, query: Select) -> int:
    return session.scalar(counted(query))


def encode(values: Sequence[Any]) -> str:
    plain = [v.isoformat() if isinstance(v, date | datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain, separators=(",", ":")).encode()).decode()


def decode(cursor: str, keys: Sequence[Key]) -> list[Any]:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if not isinstance(values, list) or len(values) != len(keys):
            raise ValueError("wrong length")
        return [_decode_value(v, k) for v, k in zip(values, keys, strict=True)]
    except (ValueError, TypeError, binascii.Error, UnicodeError) as exc:
        raise BadUserInput("after is not a cursor of this list", field="after") from exc


def _decode_value(value: Any, key: Key) -> Any:
    if value is None:
        if not key.nullable:
            raise ValueError("null key")
        return None
    if key.kind is datetime:
        return datetime.fromisoformat(value)
    if key.kind is date:
        return date.fromisoformat(value)
    if not isinstance(value, key.kind):
        raise TypeError("wrong type")
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("NUL")  # never a stored value; PostgreSQL refuses it in a comparison
    return value


def _after(keys: Sequence[Key], values: Sequence[Any]):
    """Rows strictly after `values` (none of them NULL) in the order `keys`."""
    key, value = keys[0], values[0]
    column = key.column
    beyond = column < value if key.descending else column > value
    if len(keys) == 1:
        return beyond
    # `bound` repeats what the OR implies, so the planner can use it as an index condition.
    bound = column <= value if key.descending else column >= value
    return and_(bound, or_(beyond, and_(column == value, _after(keys[1:], values[1:]))))
