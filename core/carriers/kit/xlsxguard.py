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

import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from typing import BinaryIO

from downline.core.carriers.kit.xlsxsheets import (
    ATTRS,
    LIMITS,
    Limits,
    MiB,
    SharedStrings,
    Sheet,
    Walk,
    amount,
    attributes,
)
from downline.core.carriers.parsers import FileRejected

PIECE = 1 * MiB  # inflated at a time
_READ = 64 * 1024  # compressed bytes read at a time

# The zip's end of central directory, and its Zip64 locator and record.
_END = struct.Struct("<4s4H2LH")
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_END = struct.Struct("<4sQ2H2L4Q")
_LOCAL = struct.Struct("<4s5H3L2H")  # a part's local header; its data follows name and extra

_SHEET = re.compile(rb"<(?:[^\s/>:]*:)?sheet\s(" + ATTRS + rb")>")
_RELATIONSHIP = re.compile(rb"<(?:[^\s/>:]*:)?Relationship\s(" + ATTRS + rb")>")


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
                scans = [Sheet(what, self.limits), SharedStrings(self.limits)]
            else:
                scans = [Sheet(what, self.limits)]
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
        walk = Walk(what, self.limits)
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
        sheets = [attributes(m.group(1)) for m in _SHEET.finditer(self._read_small(workbook))]
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


def _relationships(xml: bytes, folder: str) -> dict[str, tuple[str, str]]:
    """{Id: (Type, the target's part name)}: a target is relative to `folder` unless absolute."""
    found = {}
    for match in _RELATIONSHIP.finditer(xml):
        attrs = attributes(match.group(1))
        target = attrs.get("Target", "")
        path = target[1:] if target.startswith("/") else posixpath.join(folder, target)
        found[attrs.get("Id", "")] = (attrs.get("Type", ""), posixpath.normpath(path))
    return found
