"""Streaming row sources: delimited text, Excel workbooks and fixed-width text.

Each source's `rows(stream)` yields the non-blank rows of a binary stream as `Row`s, the header
first, numbered by the 1-based physical line (a record spanning lines: its first line; Excel: the
sheet's row number). Lines before the header are skipped by count, blank lines wherever they are.
Text is read line by line, never whole. An Excel workbook is the exception: calamine needs the whole
workbook, so it is read in a child process under a memory limit, once xlsxguard has bounded what
it may ask for (xlsxread.py); its rows stream back.

`sniff(head, filename, judge)` scores the first 64 KiB of a file for one carrier.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import BinaryIO, ClassVar, NamedTuple, Protocol

from downline.core.carriers.kit.cells import cell_text
from downline.core.carriers.kit.xlsxhead import head_words
from downline.core.carriers.kit.xlsxread import sheet_rows
from downline.core.carriers.parsers import FileRejected

UTF8_BOM = b"\xef\xbb\xbf"
SNIFF_ROWS = 20


class Row(NamedTuple):
    line: int  # 1-based physical line (Excel: sheet row) where the record starts
    cells: list[object]
    text: str  # the row as one line of text, for trailer matching
    last_line: int  # where it ends (a quoted value may hold line breaks)


class Judge(Protocol):
    """What a source's `sniff` asks the carrier about what it found."""

    def header_score(self, cells: Sequence[object]) -> float: ...
    def rows_score(self, rows: list[Row]) -> float: ...  # rows[0]: the header
    def words_score(self, words: set[str]) -> float: ...
    def named_in(self, filename: str) -> bool: ...


def text_lines(stream: BinaryIO, encoding: str) -> Iterator[str]:
    """Decoded physical lines, line ends kept. A UTF-8 byte-order mark is dropped (and means
    UTF-8); a line that is not valid in `encoding` is read as Windows-1252 instead."""
    first = True
    for raw in stream:
        if first:
            first = False
            if raw.startswith(UTF8_BOM):
                raw, encoding = raw[len(UTF8_BOM) :], "utf-8"
        try:
            yield raw.decode(encoding)
        except UnicodeDecodeError:
            yield raw.decode("cp1252", errors="replace")


@dataclass(frozen=True)
class Delimited:
    """Delimited text: any delimiter, quoted values (separators, line breaks) allowed."""

    delimiter: str = ","
    encoding: str = "utf-8"
    preamble: int = 0  # lines before the header, skipped by count
    trailer: str | None = None  # e.g. "TOTAL RECORDS: {count}"
    strict_width: ClassVar[bool] = True

    def rows(self, stream: BinaryIO) -> Iterator[Row]:
        lines = text_lines(stream, self.encoding)
        skipped = sum(1 for _ in itertools.islice(lines, self.preamble))
        reader = csv.reader(lines, delimiter=self.delimiter)
        trailer = self.trailer
        while True:
            start = skipped + reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise FileRejected(f"line {start}: {exc}") from None
            cells = [cell.strip() for cell in cells]
            if any(cells):
                # The row as text is only ever read to spot a trailer line.
                text = self.delimiter.join(cells).strip(self.delimiter + " ") if trailer else ""
                yield Row(start, cells, text, skipped + reader.line_num)

    def sniff(self, head: bytes, filename: str, judge: Judge) -> float:
        try:
            header = next(self.rows(io.BytesIO(head)), None)
        except FileRejected:
            return 0.0
        return judge.header_score(header.cells) if header else 0.0


@dataclass(frozen=True)
class FixedWidth:
    """Fixed-width text, one record a line; no header: `fields` are (label, 1-based start, width)
    and the labels stand in for the header. A short line leaves its trailing fields blank."""

    fields: tuple[tuple[str, int, int], ...]
    encoding: str = "utf-8"
    trailer: str | None = None  # e.g. "TRL{count:09d}"
    strict_width: ClassVar[bool] = False

    def rows(self, stream: BinaryIO) -> Iterator[Row]:
        yield Row(0, [label for label, _, _ in self.fields], "", 0)
        for number, line in enumerate(text_lines(stream, self.encoding), 1):
            line = line.rstrip("\r\n")
            if line.strip():
                cells = [line[start - 1 : start - 1 + width] for _, start, width in self.fields]
                yield Row(number, [cell.strip() for cell in cells], line.strip(), number)

    def sniff(self, head: bytes, filename: str, judge: Judge) -> float:
        rows = list(itertools.islice(self.rows(io.BytesIO(head)), SNIFF_ROWS + 1))
        if len(rows) > 2 and not head.endswith(b"\n"):
            rows.pop()  # cut short by the 64 KiB limit
        return judge.rows_score(rows)


@dataclass(frozen=True)
class Excel:
    """An Excel workbook (.xlsx, .xls...) read with calamine: the named sheet, or the first sheet
    when no sheet has that name. Cells keep their types (text, number, date)."""

    sheet: str | None = None
    preamble: int = 0  # sheet rows before the header, skipped by count
    trailer: ClassVar[str | None] = None
    strict_width: ClassVar[bool] = False

    def rows(self, stream: BinaryIO) -> Iterator[Row]:
        # The sheet is read whole before its first row comes: a damaged one (a corrupt deflate
        # stream, broken XML, a sheet the workbook lists but lacks) fails at once.
        for number, cells in sheet_rows(stream, self.sheet):
            texts = [cell_text(cell) for cell in cells]
            if number > self.preamble and any(texts):
                cells = [cell.strip() if isinstance(cell, str) else cell for cell in cells]
                yield Row(number, cells, " ".join(t for t in texts if t), number)

    def sniff(self, head: bytes, filename: str, judge: Judge) -> float:
        words = head_words(head)
        if words is None:
            return 0.0
        if words:
            return judge.words_score(words)
        return 0.5 if judge.named_in(filename) else 0.0  # a workbook whose text lies further on
