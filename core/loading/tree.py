"""agencies.jsonl, read whole: a parent may come later in the file, and a cycle is only seen in
the whole tree (the stored parents overlaid with the file's). Agencies are few, so this is cheap.
"""

from collections.abc import Iterable

from sqlalchemy import select
from sqlmodel import Session

from downline.core.book.hierarchy import find_cycles, rebuild_closure
from downline.core.loading.batches import BATCH, without_foreign_ids, write
from downline.core.loading.kinds import AGENCIES, Pending
from downline.core.loading.reasons import show, valid_records
from downline.core.loading.report import FileReport
from downline.core.models import Agency

Parents = dict[str, str | None]
Refused = list[tuple[Pending, str]]


def load_agencies(session: Session, lines: Iterable[tuple[int, bytes]], report: FileReport) -> None:
    """Check and write the agencies on `lines`; rebuild the closure if the tree changed."""
    records = _first_of_each_id(valid_records(AGENCIES, lines, report), report)
    records = [
        kept
        for start in range(0, len(records), BATCH)
        for kept in without_foreign_ids(session, AGENCIES, records[start : start + BATCH], report)
    ]
    stored: Parents = dict(session.execute(select(Agency.id, Agency.parent_id)).all())
    records, parents = _within_tree(records, stored, report)
    # Parents first, so every foreign key points at a row already written.
    records.sort(key=_depth_of(parents))
    for start in range(0, len(records), BATCH):
        write(session, AGENCIES, records[start : start + BATCH], report)
    if any(_moved(record, stored) for record in records):
        rebuild_closure(session)


def _moved(record: Pending, stored: Parents) -> bool:
    """Whether `record` puts a new edge in the tree: a new agency, or a re-parented one."""
    return record.key not in stored or stored[record.key] != record.row["parent_id"]


def _first_of_each_id(records: Iterable[Pending], report: FileReport) -> list[Pending]:
    """The records with an id not seen before in the file; the repeats are rejected (the file is
    read whole, so a repeat is caught rather than silently applied over the first)."""
    first: dict[str, Pending] = {}
    for record in records:
        if record.key in first:
            reason = f"id {show(record.key)} repeats line {first[record.key].line}"
            report.reject(record.line, reason)
        else:
            first[record.key] = record
    return list(first.values())


def _within_tree(
    records: list[Pending], stored: Parents, report: FileReport
) -> tuple[list[Pending], Parents]:
    """The records that fit in the tree (known parent, no cycle), and the tree they make.

    Refusing a record can strand the records below it, so this repeats until nothing is refused.
    """
    live = {record.key: record for record in records}
    refused_on: dict[str, int] = {}
    while True:
        parents = stored | {key: record.row["parent_id"] for key, record in live.items()}
        refused = _orphans(live, parents, refused_on) or _loops(live, parents, stored)
        if not refused:
            return list(live.values()), parents
        for record, reason in refused:
            report.reject(record.line, reason)
            refused_on[record.key] = record.line
            del live[record.key]


def _orphans(live: dict[str, Pending], parents: Parents, refused_on: dict[str, int]) -> Refused:
    orphans: Refused = []
    for record in live.values():
        parent = record.row["parent_id"]
        if parent is None or parent in parents:
            continue
        if parent in refused_on:
            reason = f"parent_id {show(parent)} was rejected (line {refused_on[parent]})"
        else:
            reason = f"parent_id {show(parent)} is not a known agency"
        orphans.append((record, reason))
    return orphans


def _loops(live: dict[str, Pending], parents: Parents, stored: Parents) -> Refused:
    """The records whose new parent closes a cycle. The stored tree has none, so every cycle has
    at least one new edge, and only those are refused (not the agencies hanging below)."""
    looped = find_cycles(parents)
    refused: Refused = []
    for key, record in live.items():
        cycle = _cycle_from(key, parents) if key in looped and _moved(record, stored) else None
        if cycle:
            reason = f"parent_id {show(parents[key])} makes a cycle: {' -> '.join(cycle)}"
            refused.append((record, reason))
    return refused


def _cycle_from(start: str, parents: Parents) -> list[str] | None:
    """The path from `start` up its parents back to itself, or None if it leads elsewhere."""
    path, node = [start], parents.get(start)
    while node is not None and node not in path:
        path.append(node)
        node = parents.get(node)
    return [*path, start] if node == start else None


def _depth_of(parents: Parents):
    """A sort key: how many parents above an agency (memoised; the tree is acyclic here)."""
    depths: dict[str | None, int] = {None: -1}

    def depth(record: Pending) -> int:
        chain, node = [], record.key
        while node not in depths:
            chain.append(node)
            node = parents.get(node)
        for below in reversed(chain):
            depths[below] = depths[node] + 1
            node = below
        return depths[record.key]

    return depth
