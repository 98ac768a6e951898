"""Hostile workbooks, each built from the Anthem sample by changing or adding a part or two: a few
KiB to a few hundred KiB on disk, each asking its reader for far more than it may have. Building
them never reads them: only zipfile touches the bytes."""

import io
import zipfile
from collections.abc import Callable
from pathlib import Path

SAMPLE = Path(__file__).parents[1] / "fixtures" / "carriers" / "anthem-2026-11-24.xlsx"
SHEET = "xl/worksheets/sheet1.xml"
WORKBOOK = "xl/workbook.xml"
RELS = "xl/_rels/workbook.xml.rels"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
WORKSHEET = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"


def rebuilt(
    change: dict[str, Callable[[bytes], bytes]] | None = None,
    add: dict[str, bytes] | None = None,
) -> bytes:
    """The sample with each part in `change` passed through its function, and `add` added."""
    change = change or {}
    out = io.BytesIO()
    with (
        zipfile.ZipFile(SAMPLE) as sample,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as book,
    ):
        for info in sample.infolist():
            data = sample.read(info)
            book.writestr(info.filename, change.get(info.filename, lambda d: d)(data))
        for name, data in (add or {}).items():
            book.writestr(name, data)
    return out.getvalue()


def in_sheet_data(xml: bytes) -> Callable[[bytes], bytes]:
    """A change adding `xml` at the end of the sheet's data."""
    return lambda data: data.replace(b"</sheetData>", xml + b"</sheetData>")


def corner_cell() -> bytes:
    """The reproducer: one cell in the last row and column of the sheet (512 GiB of grid)."""
    cell = b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    return rebuilt({SHEET: in_sheet_data(cell)})


def huge_dimension() -> bytes:
    """A sheet that declares it spans the whole grid."""
    wide = b'<dimension ref="A1:XFD1048576" />'
    return rebuilt({SHEET: lambda data: data.replace(b'<dimension ref="A1:P13" />', wide)})


def many_sheets(count: int = 2000) -> bytes:
    """`count` empty sheets after the real one, each its own part."""
    names = range(2, count + 2)
    sheets = "".join(f'<sheet name="Empty {n}" sheetId="{n}" r:id="rIdEmpty{n}"/>' for n in names)
    targets = "".join(
        f'<Relationship Id="rIdEmpty{n}" Type="{WORKSHEET}" Target="worksheets/empty{n}.xml"/>'
        for n in names
    )
    empty = f'<worksheet xmlns="{MAIN}"><sheetData/></worksheet>'.encode()
    return rebuilt(
        {
            WORKBOOK: lambda data: data.replace(b"</sheets>", sheets.encode() + b"</sheets>"),
            RELS: lambda data: data.replace(
                b"</Relationships>", targets.encode() + b"</Relationships>"
            ),
        },
        {f"xl/worksheets/empty{n}.xml": empty for n in names},
    )


def zip_bomb(size: int = 32 << 20) -> bytes:
    """A sheet that inflates about a thousand times over: `size` bytes of comment before its data."""
    padding = b"<!--" + b"A" * size + b"-->"
    return rebuilt({SHEET: lambda data: data.replace(b"<sheetData>", padding + b"<sheetData>")})


def shared_strings(declared: int = 50_000_000, held: int = 2_000_000) -> bytes:
    """Shared strings that declare `declared` entries (calamine makes room for all of them at
    once) and hold `held`."""
    head = f'<sst xmlns="{MAIN}" count="{declared}" uniqueCount="{declared}">'
    xml = head.encode() + b"<si><t>x</t></si>" * held + b"</sst>"
    return rebuilt(add={"xl/sharedStrings.xml": xml})


CELLS = "at most 40,000,000 cells are read"
HOSTILE = {  # name: (build, what the report says, after its file name)
    "corner-cell": (
        corner_cell,
        "sheet 'Book of Business' has cells across A1:XFD1048576, "
        f"1,048,576 rows × 16,384 columns; {CELLS}",
    ),
    "huge-dimension": (
        huge_dimension,
        f"sheet 'Book of Business' declares A1:XFD1048576, 1,048,576 rows × 16,384 columns; {CELLS}",
    ),
    "many-sheets": (many_sheets, "the workbook has 2,001 sheets; at most 1,000 are read"),
    "zip-bomb": (
        zip_bomb,
        "sheet 'Book of Business' expands more than 100 times over, past 16 MiB: a zip bomb, "
        "not a report",
    ),
    "shared-strings": (
        shared_strings,
        "the shared strings declare 50,000,000 strings; at most 16,000,000 are read",
    ),
}
