"""`downline load DIR`: a directory of JSON Lines files into the book (docs/domain.md).

Files load in order (agencies, agents, users, clients, leads, payouts), each in one transaction,
so a crash never leaves half a file behind. Lines are read one at a time and written in batches;
only agencies.jsonl is read whole (see tree.py).
"""

import codecs
from collections.abc import Iterator
from operator import attrgetter
from pathlib import Path
from typing import Any, Protocol

from sqlmodel import Session

from downline.core import audit, db
from downline.core.book import tenants
from downline.core.errors import BadUserInput, DownlineError
from downline.core.loading.batches import BATCH, flush
from downline.core.loading.kinds import AGENCIES, AGENTS, KINDS, Kind, Pending
from downline.core.loading.reasons import valid_records
from downline.core.loading.report import FileReport, LoadReport
from downline.core.loading.tree import load_agencies
from downline.core.models import AgencyClosure

# Lines between progress updates: often enough to watch, rare enough to cost nothing.
PROGRESS_EVERY = 1000


class ProgressSink(Protocol):
    """Where bytes-read progress goes: the part of `rich.progress.Progress` the loader uses."""

    def add_task(self, description: str, *, total: float | None) -> Any: ...

    def update(self, task_id: Any, *, completed: float | None) -> None: ...


def load_directory(path: Path | str, *, progress: ProgressSink | None = None) -> LoadReport:
    """Load every book file in `path` (upsert); a rejected record is reported, the rest load.
    The load is audited as the operator's, with its counts; so is its refusal.

    Raises BadUserInput when `path` is not a directory or holds none of the book's files.
    """
    directory = Path(path)
    try:
        kinds = _kinds_in(directory)
    except DownlineError as refusal:
        _audit("load_refused", refusal.code, f"{directory}: {refusal.message}")
        raise
    known = {kind.file for kind in KINDS}
    report = LoadReport(ignored=sorted(p.name for p in directory.iterdir() if p.name not in known))
    for kind in kinds:
        report.files.append(_load_file(kind, directory / kind.file, progress))
    verdict = "ok" if report.ok else f"{len(report.rejections)} rejected"
    _audit("book_loaded", f"{verdict}: {'; '.join(map(str, report.files))}", str(directory))
    return report


def _audit(action: str, outcome: str, detail: str) -> None:
    with db.session() as session:
        audit.record(session, action, outcome, actor_email=audit.OPERATOR, detail=detail)
        session.commit()


def _kinds_in(directory: Path) -> list[Kind]:
    if not directory.is_dir():
        raise BadUserInput(f"{directory} is not a directory", field="dir")
    kinds = [kind for kind in KINDS if (directory / kind.file).is_file()]
    if not kinds:
        names = ", ".join(kind.file for kind in KINDS)
        raise BadUserInput(f"{directory} holds none of the book's files ({names})", field="dir")
    return kinds


def _load_file(kind: Kind, path: Path, progress: ProgressSink | None) -> FileReport:
    report = FileReport(kind.file)
    lines = _numbered_lines(path, progress)
    with db.session() as session:
        if kind is AGENCIES:
            load_agencies(session, lines, report)
        else:
            _load_stream(session, kind, lines, report)
        if kind is AGENTS:  # an agent may now hold the NPN of policies the operator holds
            tenants.place_held_policies(session)
        session.commit()
        if report.inserted + report.updated >= db.ANALYZE_ROWS:  # a bulk load: fresh statistics
            db.analyze(session, _written_tables(kind))
            session.commit()
    report.rejections.sort(key=attrgetter("line"))
    return report


def _written_tables(kind: Kind) -> list[str]:
    tables = [kind.table.name, *(child.name for child in kind.children)]
    return [*tables, AgencyClosure.__tablename__] if kind is AGENCIES else tables


def _load_stream(
    session: Session, kind: Kind, lines: Iterator[tuple[int, bytes]], report: FileReport
) -> None:
    batch: dict[str, Pending] = {}
    for record in valid_records(kind, lines, report):
        # A key repeated in the file updates what the first wrote, as it would from a later batch:
        # one statement cannot upsert the same key twice.
        if record.key in batch or len(batch) >= BATCH:
            flush(session, kind, list(batch.values()), report)
            batch = {}
        batch[record.key] = record
    flush(session, kind, list(batch.values()), report)


def _numbered_lines(path: Path, progress: ProgressSink | None) -> Iterator[tuple[int, bytes]]:
    """The non-blank lines of `path`, numbered from 1 (blank lines count), one at a time."""
    task = progress.add_task(path.name, total=path.stat().st_size) if progress else None
    done = 0
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            done += len(raw)
            if progress is not None and number % PROGRESS_EVERY == 0:
                progress.update(task, completed=done)
            if number == 1:
                raw = raw.removeprefix(codecs.BOM_UTF8)  # written by some Windows tools
            if raw.strip():
                yield number, raw
    if progress is not None:
        progress.update(task, completed=done)
