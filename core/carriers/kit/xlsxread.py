"""A workbook's rows, read so that no file can take this process down.

calamine (Rust) aborts the whole process when an allocation fails, and no `except` catches that:
one hostile upload would end the API (in embedded mode the workers run inside it) and, sent again
by the sweep, every worker after it. Two walls stand in front of it:

1. xlsxguard checks what the workbook may ask for (cells, strings, expansion) before calamine
   sees it, and refuses it with a message naming what is too big.
2. calamine itself runs in a child process (xlsxchild.py) whose address space is limited to
   READER_MEMORY, and streams the sheet's rows back in batches. Whatever the guard cannot judge
   (an .xls, an .ods) or misjudges ends the child, not this process: the file is refused, saying
   how much the reader was asked for.

The child gets no environment beyond what Python needs to start: it reads untrusted bytes, so it
holds none of our settings or secrets. What it sends back is unpickled as cell values only.
"""

from __future__ import annotations

import datetime
import json
import logging
import os
import pickle
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from downline.core.carriers.kit.xlsxguard import PIECE, check_workbook
from downline.core.carriers.kit.xlsxsheets import GiB, amount
from downline.core.carriers.parsers import FileRejected

log = logging.getLogger(__name__)

# Room for the largest sheet the guard lets through (40 million cells at about 90 bytes each,
# as calamine holds them) and the workbook itself; far below what a hostile file asks for.
READER_MEMORY = 8 * GiB
CHILD = Path(__file__).with_name("xlsxchild.py")
_ENVIRONMENT = ("PATH", "PYTHONPATH", "PYTHONHOME")
_UNREADABLE = {
    "workbook": "not an Excel workbook ({})",
    "sheet": "the workbook's sheet cannot be read ({})",
}


def sheet_rows(
    stream: BinaryIO, sheet: str | None, memory: int = READER_MEMORY
) -> Iterator[tuple[int, list[object]]]:
    """(sheet row number, cells) for each row of the sheet named (the first sheet when the
    workbook has none of that name), from the sheet's first row on. Raises FileRejected when the
    workbook is too big (xlsxguard), unreadable, or asks its reader for more than `memory`."""
    with _seekable(stream) as workbook:
        check_workbook(workbook)
        workbook.seek(0)
        yield from _read(workbook, sheet, memory)


@contextmanager
def _seekable(stream: BinaryIO) -> Iterator[BinaryIO]:
    """The stream itself if it can seek (a stored file), else a copy on disk (an S3 body)."""
    if stream.seekable():
        yield stream
        return
    with tempfile.TemporaryFile() as copy:
        shutil.copyfileobj(stream, copy, PIECE)
        yield copy


def _read(workbook: BinaryIO, sheet: str | None, memory: int) -> Iterator[tuple[int, list]]:
    with tempfile.TemporaryFile() as said:  # the child's stderr: never a pipe nobody reads
        child = subprocess.Popen(
            # -P: the script's own folder (holding cells.py, dates.py...) is not put on the path.
            [sys.executable, "-P", str(CHILD), str(memory), json.dumps(sheet)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=said,
            env={name: os.environ[name] for name in _ENVIRONMENT if name in os.environ},
        )
        try:
            _send(workbook, child)
            yield from _receive(child, said, memory)
        finally:
            if child.poll() is None:  # the rows were not all wanted, or something failed here
                child.kill()
            child.stdout.close()
            child.wait()


def _send(workbook: BinaryIO, child: subprocess.Popen) -> None:
    """The whole workbook, before anything is read back: the child reads all of it first."""
    try:
        with child.stdin:
            shutil.copyfileobj(workbook, child.stdin, PIECE)
    except BrokenPipeError:
        pass  # the child died early; _receive says why


def _receive(child: subprocess.Popen, said, memory: int) -> Iterator[tuple[int, list]]:
    number = 0
    while True:
        try:
            # One unpickler a message: each was pickled on its own, memo and all.
            kind, *content = _CellValues(child.stdout).load()
        except (EOFError, pickle.UnpicklingError):  # it died before its "end"
            raise FileRejected(_death(child, said, memory)) from None
        if kind == "first":
            number = content[0]
        elif kind == "rows":
            for cells in content[0]:
                number += 1
                yield number, cells
        elif kind == "unreadable":
            stage, reason = content
            raise FileRejected(_UNREADABLE[stage].format(reason))
        else:  # "end"
            return


class _CellValues(pickle.Unpickler):
    """Unpickles what the child sends: plain values and the datetime types of cells, nothing
    else, so a child that misbehaved cannot make this process run anything."""

    def find_class(self, module: str, name: str):
        if module == "datetime" and name in ("date", "datetime", "time", "timedelta"):
            return getattr(datetime, name)
        raise pickle.UnpicklingError(f"{module}.{name} is no cell value")


def _death(child: subprocess.Popen, said, memory: int) -> str:
    """Why the child stopped before its rows were all sent, in words for the report."""
    code = child.wait()
    said.seek(max(0, said.seek(0, 2) - 64 * 1024))
    last_words = said.read()
    tail = last_words[-2000:].decode(errors="replace")
    log.warning("the workbook reader stopped (exit status %s): %s", code, tail)
    asked = re.search(rb"memory allocation of (\d+) bytes failed", last_words)
    if asked:
        return (
            f"reading the workbook asked for {int(asked[1]):,} bytes at once; "
            f"at most {amount(memory)} is allowed"
        )
    how = f"signal {-code}" if code < 0 else f"exit code {code}"
    return f"the workbook's reader stopped ({how}) before the end of the sheet"
