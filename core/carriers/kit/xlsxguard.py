"""What an untrusted workbook may ask of its reader, checked before calamine sees it.

calamine (Rust) sizes its memory by what a workbook says: a sheet's grid by the span of its cells
(one cell at XFD1048576 asks for 512 GiB), the shared strings by the count they declare, and it
inflates whatever the zip holds. An allocation that fails aborts the whole process, which no
`except` catches. So an .xlsx is read here first, as a stream: the zip's directory from its end,
then each part inflated a piece at a time, never whole. It is refused, naming what is too big,
when the zip holds more parts than a workbook needs; when a part expands like a zip bomb, or all
of them past a total; when it lists too many sheets; when a sheet's declared <dimension>, or the
span of the cells it holds, is more rows × columns than a cell budget; or when the shared strings
declare or hold too many strings.

A cell's place is the one calamine gives it: where its `r` says, else next to the cell before it
in its row, below the row before. Cells that all say where they are (every writer's habit) are
found with a regular expression; a sheet with any cell that does not is walked as calamine walks
it, with expat. A file that is no zip (.xls, or no workbook at all), or whose zip directory cannot
be read, is left to the reader, which runs in a child process under a memory limit anyway
(xlsxread.py), and refuses it or reads it there.
"""

from __future__ import annotations

import html
import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO
from xml.parsers import expat

from downline.core.carriers.parsers import FileRejected

MiB = 1 << 20
GiB = 1 << 30


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
PIECE = 1 * MiB  # inflated at a time
_READ = 64 * 1024  # compressed bytes read at a time

# The zip's end of central directory, and its Zip64 locator and record.
_END = struct.Struct("<4s4H2LH")
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_END = struct.Struct("<4sQ2H2L4Q")
_LOCAL = struct.Struct("<4s5H3L2H")  # a part's local header; its data follows name and extra
_U32 = 1 << 32  # calamine reads rows and columns into u32s, wrapping

# Any `r` attribute holding a cell reference, and some that only end in r: a superset of the
# cells' own (quotes either way, spaces around `=` as XML allows). No whitespace before the `r` is
# asked for, so the search jumps from one `r` to the next.
_REF_ROW = re.compile(rb"r\s*=\s*[\"'][A-Za-z]+([0-9]+)[\"']")
_REF_COLUMN = re.compile(rb"r\s*=\s*[\"']([A-Za-z]+)[0-9]+[\"']")
# A cell whose first attribute is not `r`: it may sit where no `r` says.
_UNPLACED = re.compile(rb"<(?:[^\s/>:]*:)?c(?=[\s/>])(?!\s+r\s*=)")
_ATTRS = rb"(?:[^>\"']|\"[^\"]*\"|'[^']*')*"
_DIMENSION = re.compile(rb"<(?:[^\s/>:]*:)?dimension\s(" + _ATTRS + rb")>")
_SST = re.compile(rb"<(?:[^\s/>:]*:)?sst(?=[\s/>])(" + _ATTRS + rb")>")
_SI = re.compile(rb"<(?:[^\s/>:]*:)?si(?=[\s/>])")
_SHEET = re.compile(rb"<(?:[^\s/>:]*:)?sheet\s(" + _ATTRS + rb")>")
_RELATIONSHIP = re.compile(rb"<(?:[^\s/>:]*:)?Relationship\s(" + _ATTRS + rb")>")
_ATTR = re.compile(rb"([^\s=/>]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")


def check_workbook(file: BinaryIO, limits: Limits = LIMITS) -> None:
    """Raise FileRejected naming what is too big, if anything is; return otherwise. `file` must
    be seekable; it is left anywhere."""
    size = file.seek(0, 2)
    directory = _directory(file, size)
    if directory is None:
        return
    parts, directory_size = directory
    _count_parts(parts, limits)
    if directory_size > limits.directory:
        raise FileRejected(
            f"the workbook's table of contents takes {amount(directory_size)}; "
            f"at most {amount(limits.directory)} is read"
        )
    try:
        file.seek(0)
        members = zipfile.ZipFile(file).infolist()
    except Exception:  # noqa: BLE001 - a damaged zip, or an .xls whose bytes look like one's end
        return
    _count_parts(len(members), limits)  # the end record may understate them
    _Book(file, size, members, limits).check()


def _count_parts(parts: int, limits: Limits) -> None:
    if parts > limits.parts:
        raise FileRejected(f"the workbook holds {parts:,} files; at most {limits.parts:,} are read")


def amount(size: int) -> str:
    """A size in words: "16 MiB", "4 GiB", "512 bytes"."""
    if size >= GiB:
        return f"{size / GiB:,.4g} GiB"
    return f"{size / MiB:,.4g} MiB" if size >= MiB else f"{size:,} bytes"


def _directory(file: BinaryIO, size: int) -> tuple[int, int] | None:
    """(files, central directory bytes) as the zip's end record states them; None if no zip."""
    tail_size = min(size, _END.size + 0xFFFF)  # the record, then a comment of up to 64 KiB
    file.seek(size - tail_size)
    tail = file.read(tail_size)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + _END.size > len(tail):
        return None
    *_, parts, directory_size, _, _ = _END.unpack_from(tail, at)
    locator = at - _ZIP64_LOCATOR.size
    zip64 = parts == 0xFFFF or directory_size == 0xFFFFFFFF  # the true figures are elsewhere
    if zip64 and locator >= 0 and tail.startswith(b"PK\x06\x07", locator):
        _, _, record_at, _ = _ZIP64_LOCATOR.unpack_from(tail, locator)
        file.seek(record_at)
        record = file.read(_ZIP64_END.size)
        if len(record) == _ZIP64_END.size and record.startswith(b"PK\x06\x06"):
            *_, parts, directory_size, _ = _ZIP64_END.unpack(record)
    return parts, directory_size


class _Book:
    """A zip's parts, read in turn: the workbook's own first (the sheets' names), then all."""

    def __init__(self, file: BinaryIO, size: int, members: list[zipfile.ZipInfo], limits: Limits):
        self.file, self.size, self.limits = file, size, limits
        self.members = members
        self.by_name = {_path(m.filename): m for m in members}

    def check(self) -> None:
        names = self._sheet_names()
        total = 0
        for info in self.members:
            what = names.get(_path(info.filename)) or f"the workbook's part '{info.filename}'"
            if posixpath.basename(_path(info.filename)) == "sharedstrings.xml":
                what = "the shared strings table"
                scans = [_Sheet(what, self.limits), _SharedStrings(self.limits)]
            else:
                scans = [_Sheet(what, self.limits)]
            total += self._check_part(info, what, total, scans)
            if scans[0].unplaced:
                self._walk(info, what)

    def _check_part(self, info: zipfile.ZipInfo, what: str, total: int, scans) -> int:
        size = 0
        for piece, consumed in self._inflated(info):
            size += len(piece)
            if size > self.limits.bomb and size > self.limits.ratio * consumed:
                raise FileRejected(
                    f"{what} expands more than {self.limits.ratio} times over, past "
                    f"{amount(self.limits.bomb)}: a zip bomb, not a report"
                )
            if total + size > self.limits.total:
                raise FileRejected(
                    f"the workbook expands to more than {amount(self.limits.total)}; "
                    f"at most {amount(self.limits.total)} is read"
                )
            for scan in scans:
                scan.feed(piece)
        for scan in scans:
            scan.close()
        return size

    def _walk(self, info: zipfile.ZipInfo, what: str) -> None:
        walk = _Walk(what, self.limits)
        for piece, _ in self._inflated(info):
            walk.feed(piece)
        walk.close()

    def _inflated(self, info: zipfile.ZipInfo) -> Iterator[tuple[bytes, int]]:
        """(a piece of the part, compressed bytes consumed so far), inflated as the reader would
        inflate it. Where the data is damaged the pieces stop: the reader fails there too."""
        if not 0 <= info.header_offset < self.size:
            return
        self.file.seek(info.header_offset)
        header = self.file.read(_LOCAL.size)
        if len(header) < _LOCAL.size or not header.startswith(b"PK\x03\x04") or info.flag_bits & 1:
            return  # no local header, or encrypted: the reader cannot open it either
        *_, name_length, extra_length = _LOCAL.unpack(header)
        start = info.header_offset + _LOCAL.size + name_length + extra_length
        left = max(0, min(info.compress_size, self.size - start))
        self.file.seek(start)
        if info.compress_type == zipfile.ZIP_STORED:
            consumed = 0
            while left and (piece := self.file.read(min(PIECE, left))):
                left -= len(piece)
                consumed += len(piece)
                yield piece, consumed
        elif info.compress_type == zipfile.ZIP_DEFLATED:
            yield from self._inflate(left)
        else:
            raise FileRejected(
                f"not an Excel workbook (its part '{info.filename}' is compressed with method "
                f"{info.compress_type}, which Excel never uses)"
            )

    def _inflate(self, left: int) -> Iterator[tuple[bytes, int]]:
        inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        fed = 0
        while left and not inflater.eof and (raw := self.file.read(min(_READ, left))):
            left -= len(raw)
            fed += len(raw)
            pending = raw
            while not inflater.eof:
                try:
                    piece = inflater.decompress(pending, PIECE)
                except zlib.error:
                    return
                pending = inflater.unconsumed_tail
                if not piece:
                    break
                yield piece, fed - len(pending)

    def _read_small(self, name: str) -> bytes:
        """A small part (the workbook, its relationships) whole, within limits.directory."""
        info = self.by_name.get(_path(name))
        if info is None:
            return b""
        data = bytearray()
        for piece, _ in self._inflated(info):
            data += piece
            if len(data) > self.limits.directory:
                raise FileRejected(
                    f"the workbook's part '{name}' is over {amount(self.limits.directory)}"
                )
        return bytes(data)

    def _sheet_names(self) -> dict[str, str]:
        """{part: "sheet 'its name'"} for the sheets the workbook lists (found as calamine finds
        them: the package's officeDocument, then its relationships); refused past the limit."""
        package = _relationships(self._read_small("_rels/.rels"), "")
        workbook = next(
            (target for kind, target in package.values() if kind.endswith("/officeDocument")),
            "xl/workbook.xml",
        )
        folder, base = posixpath.split(workbook)
        targets = _relationships(
            self._read_small(posixpath.join(folder, "_rels", base + ".rels")), folder
        )
        sheets = [_attributes(m.group(1)) for m in _SHEET.finditer(self._read_small(workbook))]
        if len(sheets) > self.limits.sheets:
            raise FileRejected(
                f"the workbook has {len(sheets):,} sheets; at most {self.limits.sheets:,} are read"
            )
        names = {}
        for sheet in sheets:
            rid = next((v for k, v in sheet.items() if k.split(":")[-1] == "id"), None)
            if rid in targets and "name" in sheet:
                names[_path(targets[rid][1])] = f"sheet '{sheet['name']}'"
        return names


def _path(name: str) -> str:
    """A part's name as calamine looks it up: any letter case, either slash."""
    return name.replace("\\", "/").lower()


def _attributes(text: bytes) -> dict[str, str]:
    return {
        key.decode("utf-8", "replace"): html.unescape((v1 or v2).decode("utf-8", "replace"))
        for key, v1, v2 in _ATTR.findall(text)
    }


def _relationships(xml: bytes, folder: str) -> dict[str, tuple[str, str]]:
    """{Id: (Type, the target's part name)}: a target is relative to `folder` unless absolute."""
    found = {}
    for match in _RELATIONSHIP.finditer(xml):
        attrs = _attributes(match.group(1))
        target = attrs.get("Target", "")
        path = target[1:] if target.startswith("/") else posixpath.join(folder, target)
        found[attrs.get("Id", "")] = (attrs.get("Type", ""), posixpath.normpath(path))
    return found


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


class _Sheet:
    """A part read as calamine reads a sheet: the span its <dimension> declares (before the
    sheet data) and the span of the cells placed by their `r` (after it). Any part may be a
    sheet (a relationship can point anywhere); one without sheet data holds no cells."""

    def __init__(self, what: str, limits: Limits) -> None:
        self.what, self.limits = what, limits
        self.carry = b""
        self.in_data = False
        self.span = _Span()
        self.unplaced = False  # a cell without `r` first: the sheet must be walked (_Walk)

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
            ref = _attributes(match.group(1)).get("ref", "")
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


class _SharedStrings:
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
            declared = _attributes(match.group(1)).get("uniqueCount", "")
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


class _Walk:
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
