"""What one sheet, and the shared strings, may ask of calamine, read as a stream of pieces: the
span calamine gives a sheet's cells (where a cell's `r` says, else next to the cell before it in
its row, below the row before), a sheet's declared <dimension>, and the strings the shared-strings
part declares and holds. xlsxguard.py walks the zip and hands each part's pieces here."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from xml.parsers import expat

from downline.core.carriers.parsers import FileRejected

MiB = 1 << 20
GiB = 1 << 30
_U32 = 1 << 32  # calamine reads rows and columns into u32s, wrapping


@dataclass(frozen=True)
class Limits:
    """Generous for any real report (a sheet of 1,048,576 rows × 38 columns fits); each far
    below what would exhaust a worker."""

    cells: int = 40_000_000  # rows × columns of one sheet's span: calamine holds each cell
    sheets: int = 1_000
    parts: int = 10_000  # files in the zip
    directory: int = 4 * MiB  # the zip's central directory, and workbook.xml and its .rels
    total: int = 4 * GiB  # every part inflated
    ratio: int = 100  # a part that expands more than this many times over ...
    bomb: int = 16 * MiB  # ... past this size is a zip bomb
    shared_strings: int = 16_000_000
    shared_strings_bytes: int = 1 * GiB
    run: int = 1 * MiB  # sheet XML between two tags: far more than Excel's 32,767 characters a cell


LIMITS = Limits()

# Any `r` attribute holding a cell reference, and some that only end in r: a superset of the
# cells' own (quotes either way, spaces around `=` as XML allows). No whitespace before the `r` is
# asked for, so the search jumps from one `r` to the next.
_REF_ROW = re.compile(rb"r\s*=\s*[\"'][A-Za-z]+([0-9]+)[\"']")
_REF_COLUMN = re.compile(rb"r\s*=\s*[\"']([A-Za-z]+)[0-9]+[\"']")
# A cell whose first attribute is not `r`: it may sit where no `r` says.
_UNPLACED = re.compile(rb"<(?:[^\s/>:]*:)?c(?=[\s/>])(?!\s+r\s*=)")
ATTRS = rb"(?:[^>\"']|\"[^\"]*\"|'[^']*')*"
_DIMENSION = re.compile(rb"<(?:[^\s/>:]*:)?dimension\s(" + ATTRS + rb")>")
_SST = re.compile(rb"<(?:[^\s/>:]*:)?sst(?=[\s/>])(" + ATTRS + rb")>")
_SI = re.compile(rb"<(?:[^\s/>:]*:)?si(?=[\s/>])")
_ATTR = re.compile(rb"([^\s=/>]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")


def amount(size: int) -> str:
    """A size in words: "16 MiB", "4 GiB", "512 bytes"."""
    if size >= GiB:
        return f"{size / GiB:,.4g} GiB"
    return f"{size / MiB:,.4g} MiB" if size >= MiB else f"{size:,} bytes"


def attributes(text: bytes) -> dict[str, str]:
    return {
        key.decode("utf-8", "replace"): html.unescape((v1 or v2).decode("utf-8", "replace"))
        for key, v1, v2 in _ATTR.findall(text)
    }


def _row(digits: bytes | str) -> int:
    """calamine's 1-based row number for these digits (0: none, which calamine refuses)."""
    return int(digits) % _U32


def _column(letters: bytes | str) -> int:
    """calamine's 1-based column number for these letters (A = 1; 0: none)."""
    number = 0
    for letter in letters.upper() if isinstance(letters, str) else letters.decode().upper():
        number = (number * 26 + ord(letter) - 64) % _U32
    return number


def _column_name(number: int) -> str:
    name = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        name = chr(65 + rest) + name
    return name


class _Span:
    """The rows and columns a sheet's cells cover: calamine holds every cell of the rectangle."""

    def __init__(self) -> None:
        self.top = self.left = _U32
        self.bottom = self.right = 0

    def rows(self, *numbers: int) -> None:
        self.top, self.bottom = min(self.top, *numbers), max(self.bottom, *numbers)

    def columns(self, *numbers: int) -> None:
        self.left, self.right = min(self.left, *numbers), max(self.right, *numbers)

    def check(self, what: str, verb: str, limits: Limits) -> None:
        if not self.bottom or not self.right:
            return
        rows, columns = self.bottom - self.top + 1, self.right - self.left + 1
        if rows * columns > limits.cells:
            corner = f"{_column_name(self.left)}{self.top}:{_column_name(self.right)}{self.bottom}"
            raise FileRejected(
                f"{what} {verb} {corner}, {rows:,} rows × {columns:,} columns; "
                f"at most {limits.cells:,} cells are read"
            )


_KEEP = 4096  # what is kept of a piece before a sheet's data, for a tag cut between two pieces


class Sheet:
    """A part read as calamine reads a sheet: the span its <dimension> declares (before the
    sheet data) and the span of the cells placed by their `r` (after it). Any part may be a
    sheet (a relationship can point anywhere); one without sheet data holds no cells."""

    def __init__(self, what: str, limits: Limits) -> None:
        self.what, self.limits = what, limits
        self.carry = b""
        self.in_data = False
        self.span = _Span()
        self.unplaced = False  # a cell without `r` first: the sheet must be walked (Walk)

    def feed(self, piece: bytes) -> None:
        buffer = self.carry + piece
        if not self.in_data:
            at = buffer.find(b"sheetData")
            head = buffer if at < 0 else buffer[:at]
            if b"dimension" in head:
                self._dimension(head)
            if at < 0:
                self.carry = buffer[-_KEEP:]
                return
            self.in_data, buffer = True, buffer[at:]
        # Cut at a tag's start: no reference, and no cell's first attribute, spans the cut.
        cut = max(buffer.rfind(b"<"), 0)
        body, self.carry = buffer[:cut], buffer[cut:]
        if len(self.carry) > self.limits.run:
            raise FileRejected(
                f"{self.what} holds over {amount(self.limits.run)} without a tag: more than "
                "any cell holds"
            )
        self._cells(body)

    def close(self) -> None:
        if self.in_data:
            self._cells(self.carry)

    def _dimension(self, head: bytes) -> None:
        for match in _DIMENSION.finditer(head):
            ref = attributes(match.group(1)).get("ref", "")
            corners = [re.fullmatch(r"([A-Za-z]+)([0-9]+)", part) for part in ref.split(":")]
            if not 1 <= len(corners) <= 2 or not all(corners):
                continue  # calamine refuses it
            (c1, r1), (c2, r2) = [(_column(m[1]), _row(m[2])) for m in (corners[0], corners[-1])]
            # calamine's own arithmetic: u32 differences, wrapping when the corners are reversed
            rows, columns = (r2 - r1) % _U32 + 1, (c2 - c1) % _U32 + 1
            if rows * columns > self.limits.cells:
                raise FileRejected(
                    f"{self.what} declares {ref}, {rows:,} rows × {columns:,} columns; "
                    f"at most {self.limits.cells:,} cells are read"
                )

    def _cells(self, body: bytes) -> None:
        # Distinct values first: a piece holds thousands of cells but a few dozen columns.
        rows = [n for n in map(_row, set(_REF_ROW.findall(body))) if n]
        if rows:
            columns = [n for n in map(_column, set(_REF_COLUMN.findall(body))) if n]
            if columns:
                self.span.rows(min(rows), max(rows))
                self.span.columns(min(columns), max(columns))
                self.span.check(self.what, "has cells across", self.limits)
        if not self.unplaced and (body.count(b"<c") != body.count(b'<c r="') or b":c" in body):
            self.unplaced = _UNPLACED.search(body) is not None


class SharedStrings:
    """The shared strings: calamine reserves room for the count they declare, then holds each."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.carry = b""
        self.size = self.strings = 0
        self.declared = False

    def feed(self, piece: bytes) -> None:
        self.size += len(piece)
        if self.size > self.limits.shared_strings_bytes:
            raise FileRejected(
                f"the shared strings take more than {amount(self.limits.shared_strings_bytes)}; "
                f"at most {amount(self.limits.shared_strings_bytes)} is read"
            )
        buffer = self.carry + piece
        cut = max(buffer.rfind(b"<"), 0)
        body, self.carry = buffer[:cut], buffer[cut:]
        if len(self.carry) > self.limits.run:
            raise FileRejected(
                f"the shared strings hold over {amount(self.limits.run)} without a tag: "
                "more than any cell holds"
            )
        self._count(body)

    def close(self) -> None:
        self._count(self.carry)

    def _count(self, body: bytes) -> None:
        if not self.declared and (match := _SST.search(body)):
            self.declared = True
            declared = attributes(match.group(1)).get("uniqueCount", "")
            if re.fullmatch(r"[0-9]+", declared) and int(declared) > self.limits.shared_strings:
                raise FileRejected(
                    f"the shared strings declare {int(declared):,} strings; "
                    f"at most {self.limits.shared_strings:,} are read"
                )
        self.strings += len(_SI.findall(body))
        if self.strings > self.limits.shared_strings:
            raise FileRejected(
                f"the shared strings hold more than {self.limits.shared_strings:,} strings; "
                f"at most {self.limits.shared_strings:,} are read"
            )


class Walk:
    """A sheet walked event by event as calamine walks it, for cells without an `r`: such a cell
    sits right of the cell before it in its row (the first column after a row's end), in the row
    the last <row r> named or one below the row before. calamine reads an element written empty
    (<c/>, <row r="9"/>) as opened and closed, as expat reports it. Only XML that expat reads
    whole is walked: anything else is refused."""

    def __init__(self, what: str, limits: Limits) -> None:
        self.what, self.limits = what, limits
        self.span = _Span()
        self.row = self.column = 0  # calamine's 0-based row and column indexes
        self.state = "before"  # "before" the sheet data, "in" it, "after" it
        self.cell: tuple[int, int] | None = None  # the cell open now
        self.parser = expat.ParserCreate()
        self.parser.StartElementHandler = self._start
        self.parser.EndElementHandler = self._end
        self.parser.StartDoctypeDeclHandler = self._doctype

    def feed(self, piece: bytes) -> None:
        self._parse(piece, False)

    def close(self) -> None:
        self._parse(b"", True)

    def _parse(self, data: bytes, final: bool) -> None:
        try:
            self.parser.Parse(data, final)
        except expat.ExpatError as exc:
            raise FileRejected(f"{self.what} is not well-formed XML ({exc})") from None

    def _doctype(self, *_) -> None:
        raise FileRejected(f"{self.what} declares a DTD, which no worksheet has")

    def _start(self, name: str, attrs: dict[str, str]) -> None:
        local = name.rpartition(":")[2]
        if self.state == "before" and local == "sheetData":
            self.state = "in"
        if self.state != "in" or local not in ("row", "c"):
            return
        if self.cell is not None:
            raise FileRejected(f"{self.what} has a <{local}> inside a cell, which no sheet has")
        if local == "row":
            found = re.fullmatch(r"[A-Za-z]*([0-9]+)", attrs.get("r", ""))
            if found and _row(found[1]):
                self.row = _row(found[1]) - 1
            return
        self.cell = (self.row, self.column)
        if "r" in attrs:
            found = re.fullmatch(r"([A-Za-z]+)([0-9]+)", attrs["r"])
            if not found or not _row(found[2]) or not _column(found[1]):
                self.state = "after"  # calamine stops here with an error: no grid is made
                return
            self.cell = (_row(found[2]) - 1, _column(found[1]) - 1)

    def _end(self, name: str) -> None:
        local = name.rpartition(":")[2]
        if self.state == "in" and local == "sheetData":
            self.state = "after"  # calamine reads no cell past the first sheet data
        if self.state != "in":
            return
        if local == "row":
            self.row, self.column = self.row + 1, 0
        elif local == "c" and self.cell is not None:
            row, column = self.cell
            self.cell = None
            self.span.rows(row + 1)
            self.span.columns(column + 1)
            self.span.check(self.what, "has cells across", self.limits)
            self.column = column + 1
