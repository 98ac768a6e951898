"""A batch of valid records: the checks that need the database, then the upsert.

Every check is one IN query for the whole batch, never one per row. The upsert is one
INSERT ... ON CONFLICT (key) DO UPDATE that carries only new and changed rows (LESSONS, Do 4), so
loading the same book again writes nothing and the counts say so.
"""

from collections import defaultdict
from collections.abc import Collection
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    RowMapping,
    String,
    Table,
    any_,
    delete,
    insert,
    literal,
    select,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from downline.core import db
from downline.core.loading.kinds import ID_TABLES, Kind, Pending, Ref
from downline.core.loading.reasons import show
from downline.core.loading.report import FileReport

BATCH = 2000
Refused = list[tuple[Pending, str]]


def flush(session: Session, kind: Kind, batch: list[Pending], report: FileReport) -> None:
    """Check the records of `batch` (in line order) against the database, then write the rest."""
    if not batch:
        return
    batch = without_foreign_ids(session, kind, batch, report)
    for ref in kind.refs:
        batch = _drop(batch, _unknown(session, ref, batch), report)
    stored = _stored(session, kind, batch)
    if kind.unique:
        # Last: a record frees its old value for the records after it only if nothing refuses it.
        batch = _drop(batch, _taken(session, kind, batch, stored), report)
    _write(session, kind, batch, stored, report)


def write(session: Session, kind: Kind, batch: list[Pending], report: FileReport) -> None:
    """Write records already checked (agencies, whose checks need the whole file)."""
    _write(session, kind, batch, _stored(session, kind, batch), report)


def without_foreign_ids(
    session: Session, kind: Kind, batch: list[Pending], report: FileReport
) -> list[Pending]:
    """`batch` less the records whose id another type already uses (ids are unique across types)."""
    if not kind.shares_ids or not batch:
        return batch
    ids = [pending.key for pending in batch]
    owners = union_all(
        *(
            select(table.c.id, literal(table.name)).where(_among(session, table.c.id, ids))
            for table in ID_TABLES
            if table is not kind.table
        )
    )
    used = dict(session.execute(owners).all())
    refused = [
        (pending, f"id {show(pending.key)} is already used by {_a(used[pending.key])}")
        for pending in batch
        if pending.key in used
    ]
    return _drop(batch, refused, report)


def _among(session: Session, column: Column, values: Collection[str]) -> ColumnElement[bool]:
    """`column IN values`. On PostgreSQL as one array parameter: a batch's worth of separate
    parameters costs more to render and send than the query takes to run."""
    if db.is_postgres(session.get_bind()):
        return column == any_(literal(list(values), postgresql.ARRAY(String)))
    return column.in_(values)


def _drop(batch: list[Pending], refused: Refused, report: FileReport) -> list[Pending]:
    for pending, reason in refused:
        report.reject(pending.line, reason)
    lines = {pending.line for pending, _ in refused}
    return [pending for pending in batch if pending.line not in lines]


def _a(noun: str) -> str:
    return f"an {noun}" if noun[0] in "aeiou" else f"a {noun}"


def _unknown(session: Session, ref: Ref, batch: list[Pending]) -> Refused:
    wanted = {pending.row[ref.field] for pending in batch} - {None}
    if not wanted:
        return []
    column = ref.table.c.id
    known = set(session.scalars(select(column).where(_among(session, column, wanted))))
    return [
        (pending, f"{ref.field} {show(value)} is not a known {ref.noun}")
        for pending in batch
        if (value := pending.row[ref.field]) is not None and value not in known
    ]


def _stored(session: Session, kind: Kind, batch: list[Pending]) -> dict[str, RowMapping]:
    key = kind.table.c[kind.key]
    keys = [pending.key for pending in batch]
    rows = session.execute(select(kind.table).where(_among(session, key, keys)))
    return {row[kind.key]: row for row in rows.mappings()}


def _taken(
    session: Session, kind: Kind, batch: list[Pending], stored: dict[str, RowMapping]
) -> Refused:
    """Records whose unique value another row holds, in the database or earlier in the batch."""
    name = kind.unique
    column, key = kind.table.c[name], kind.table.c[kind.key]
    values = {pending.row[name] for pending in batch}
    query = select(column, key).where(_among(session, column, values))
    holders = dict(session.execute(query).all())
    refused: Refused = []
    for pending in batch:
        value = pending.row[name]
        holder = holders.get(value, pending.key)
        if holder != pending.key:
            reason = f"{name} {show(value)} already belongs to {kind.table.name} {show(holder)}"
            refused.append((pending, reason))
            continue
        old = stored.get(pending.key)
        if old is not None and holders.get(old[name]) == pending.key:
            del holders[old[name]]  # given up: a later record of the batch may take it
        holders[value] = pending.key
    return refused


def _write(
    session: Session,
    kind: Kind,
    batch: list[Pending],
    stored: dict[str, RowMapping],
    report: FileReport,
) -> None:
    families = _stored_children(session, kind, [pending.key for pending in batch])
    no_children = {table.name: [] for table in kind.children}
    rows, new_families = [], []
    for pending in batch:
        old = stored.get(pending.key)
        row = _complete(kind, pending.row, old)
        row_changed = old is None or any(old[name] != value for name, value in row.items())
        children_changed = pending.children != families.get(pending.key, no_children)
        if old is None:
            report.inserted += 1
        elif row_changed or children_changed:
            report.updated += 1
        else:
            report.unchanged += 1
        if row_changed:
            rows.append(row)
        if children_changed:
            new_families.append(pending)
    _upsert(session, kind.table, kind.key, rows)
    _replace_children(session, kind, new_families)


def _complete(kind: Kind, row: dict[str, Any], old: RowMapping | None) -> dict[str, Any]:
    """`row` with the kept columns it leaves out: the stored value, or the default when new."""
    left_out = {
        name: old[name] if old is not None else default()
        for name, default in kind.kept.items()
        if row[name] is None
    }
    return {**row, **left_out}


def _upsert(session: Session, table: Table, key: str, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    dialect = postgresql if db.is_postgres(session.get_bind()) else sqlite
    statement = dialect.insert(table)
    updates = {name: statement.excluded[name] for name in rows[0] if name != key}
    session.execute(statement.on_conflict_do_update(index_elements=[key], set_=updates), rows)


def _parent(table: Table, kind: Kind) -> Column:
    """The column of a child table that points at its parent row."""
    return next(fk.parent for fk in table.foreign_keys if fk.column.table is kind.table)


def _own_columns(table: Table, kind: Kind) -> list[Column]:
    return [c for c in table.c if not c.primary_key and c is not _parent(table, kind)]


def _stored_children(
    session: Session, kind: Kind, keys: list[str]
) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """The stored child rows of each parent in `keys`, by table name, in their stored order."""
    found: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(
        lambda: {table.name: [] for table in kind.children}
    )
    for table in kind.children:
        parent, columns = _parent(table, kind), _own_columns(table, kind)
        query = select(parent, *columns).where(_among(session, parent, keys))
        query = query.order_by(parent, table.c.id)
        for row in session.execute(query).mappings():
            found[row[parent.name]][table.name].append({c.name: row[c.name] for c in columns})
    return found


def _replace_children(session: Session, kind: Kind, families: list[Pending]) -> None:
    """Replace the child rows of the parents in `families` (rows written first: foreign keys)."""
    if not families:
        return
    keys = [pending.key for pending in families]
    for table in kind.children:
        parent = _parent(table, kind)
        session.execute(delete(table).where(_among(session, parent, keys)))
        rows = [
            {parent.name: pending.key, **child}
            for pending in families
            for child in pending.children[table.name]
        ]
        if rows:
            session.execute(insert(table), rows)
