"""What a workbook may ask of its reader (core/carriers/kit/xlsxguard.py): every sample and a sheet
as big as the cell budget pass; anything bigger is refused, naming what is too big, however the
XML spells it. The guard never hands a file to calamine, so these run in this process; so does
the last test, whose reading happens in the reader's own child process (xlsxread.py)."""

import io
import zipfile

import pytest

from downline.core.carriers.kit.xlsxguard import LIMITS, Limits, check_workbook
from downline.core.carriers.kit.xlsxread import sheet_rows
from downline.core.carriers.parsers import FileRejected
from tests.security.hostile import SHEET, many_sheets, rebuilt, zip_bomb

from .conftest import SAMPLES

BUDGET = "at most 40,000,000 cells are read"
ONE = "<v>1</v></c>"  # the end of a cell holding 1


def with_cells(xml: str) -> bytes:
    """The Anthem sample whose sheet's data is `xml` (its <dimension> still says A1:P13)."""
    start = b"<sheetData>"
    return rebuilt(
        {
            SHEET: lambda data: (
                data[: data.index(start) + len(start)] + xml.encode() + b"</sheetData></worksheet>"
            )
        }
    )


def refusal(data: bytes, limits: Limits = LIMITS) -> str | None:
    try:
        check_workbook(io.BytesIO(data), limits)
    except FileRejected as refused:
        return str(refused)
    return None


@pytest.mark.parametrize("sample", sorted(SAMPLES.glob("*-2026-11-24.*")), ids=lambda p: p.name)
def test_every_sample_passes(sample):
    assert refusal(sample.read_bytes()) is None  # a text file is no zip: left to the reader


def test_a_sheet_as_big_as_the_cell_budget_passes_and_one_column_more_is_refused():
    a_million_by_thirty = (
        f'<row r="1"><c r="A1">{ONE}</row><row r="1000000"><c r="AD1000000">{ONE}</row>'
    )
    full_height = f'<row r="1"><c r="A1">{ONE}</row><row r="1048576"><c r="AL1048576">{ONE}</row>'
    assert refusal(with_cells(a_million_by_thirty)) is None
    assert refusal(with_cells(full_height)) is None  # 1,048,576 × 38
    assert refusal(with_cells(full_height.replace("AL", "AM"))) == (
        f"sheet 'Book of Business' has cells across A1:AM1048576, 1,048,576 rows × 39 columns; {BUDGET}"
    )


@pytest.mark.parametrize(
    "cell",
    [
        '<c r="XFD1048576">',
        "<c r = 'XFD1048576'>",
        '<c\n\tr="XFD1048576">',
        '<c r="xfd1048576">',
        '<x:c r="XFD1048576">',
        '<c t="n" r="XFD1048576">',
        '<c t=">" r="XFD1048576">',
    ],
)
def test_a_far_cell_is_found_however_its_reference_is_written(cell):
    data = with_cells(f'<row r="1"><c r="A1">{ONE}</row><row r="1048576">{cell}{ONE}</row>')
    assert refusal(data) == (
        "sheet 'Book of Business' has cells across A1:XFD1048576, 1,048,576 rows × 16,384 "
        f"columns; {BUDGET}"
    )


def test_cells_without_a_reference_are_placed_as_calamine_places_them():
    first = f'<row r="1"><c r="A1">{ONE}</row>'
    across = "A1:AM1048576, 1,048,576 rows × 39 columns"
    # Right of one another, in the row the <row> names: 39 columns across the last row.
    last_row = '<row r="1048576">' + f"<c>{ONE}" * 39 + "</row>"
    assert refusal(with_cells(first + last_row)) == (
        f"sheet 'Book of Business' has cells across {across}; {BUDGET}"
    )
    assert refusal(with_cells(first + last_row.replace(f"<c>{ONE}", "", 1))) is None
    # A row without `r` is the one below the row before, even one written empty; a cell
    # written empty still moves the next one right of it.
    below = '<row r="1048575"/><row><c r="AK1048576"/>' + f"<c>{ONE}" * 2 + "</row>"
    assert refusal(with_cells(first + below)) == (
        f"sheet 'Book of Business' has cells across {across}; {BUDGET}"
    )


def test_a_cell_inside_a_cell_is_refused():
    assert refusal(with_cells(f'<row r="1"><c><c r="A1">{ONE}</c></row>')) == (
        "sheet 'Book of Business' has a <c> inside a cell, which no sheet has"
    )


def test_a_declared_dimension_beyond_the_budget_is_refused():
    for ref, span in (
        ("A1:XFD1048576", "1,048,576 rows × 16,384 columns"),
        ("A1:AM1048576", "1,048,576 rows × 39 columns"),
        ("P13:A1", "4,294,967,285 rows × 4,294,967,282 columns"),  # reversed: calamine wraps
    ):
        data = rebuilt({SHEET: lambda d, ref=ref: d.replace(b"A1:P13", ref.encode())})
        assert refusal(data) == f"sheet 'Book of Business' declares {ref}, {span}; {BUDGET}"


def test_more_parts_or_sheets_than_a_workbook_needs_are_refused():
    sample = (SAMPLES / "anthem-2026-11-24.xlsx").read_bytes()  # 9 parts
    assert refusal(sample, Limits(parts=9)) is None
    assert refusal(sample, Limits(parts=8)) == "the workbook holds 9 files; at most 8 are read"
    four = many_sheets(3)
    assert refusal(four, Limits(sheets=4)) is None
    assert refusal(four, Limits(sheets=3)) == "the workbook has 4 sheets; at most 3 are read"


def test_expansion_past_the_limits_is_refused():
    assert refusal(zip_bomb()) == (
        "sheet 'Book of Business' expands more than 100 times over, past 16 MiB: a zip bomb, "
        "not a report"
    )
    sample = (SAMPLES / "anthem-2026-11-24.xlsx").read_bytes()
    with zipfile.ZipFile(io.BytesIO(sample)) as book:
        inflated = sum(info.file_size for info in book.infolist())
    assert refusal(sample, Limits(total=inflated)) is None
    assert refusal(sample, Limits(total=27_000)) == (
        "the workbook expands to more than 27,000 bytes; at most 27,000 bytes is read"
    )


def test_a_run_of_text_longer_than_any_cell_is_refused():
    data = with_cells(
        f'<row r="1"><c r="A1" t="inlineStr"><is><t>{"x" * (2 << 20)}</t></is></c></row>'
    )
    assert refusal(data) == (
        "sheet 'Book of Business' holds over 1 MiB without a tag: more than any cell holds"
    )


def test_shared_strings_past_the_limits_are_refused():
    def table(head: str, count: int) -> bytes:
        return rebuilt(
            add={"xl/sharedStrings.xml": (head + "<si><t>x</t></si>" * count + "</sst>").encode()}
        )

    limits = Limits(shared_strings=1000, shared_strings_bytes=100_000)
    assert refusal(table("<sst>", 1000), limits) is None
    assert refusal(table('<sst uniqueCount="1001">', 1), limits) == (
        "the shared strings declare 1,001 strings; at most 1,000 are read"
    )
    assert refusal(table('<sst uniqueCount="1">', 1001), limits) == (
        "the shared strings hold more than 1,000 strings; at most 1,000 are read"
    )
    assert refusal(table("<sst>", 6000), limits) == (
        "the shared strings take more than 100,000 bytes; at most 100,000 bytes is read"
    )


def test_a_part_compressed_in_a_way_excel_never_uses_is_refused():
    out = io.BytesIO()
    with (
        zipfile.ZipFile(SAMPLES / "anthem-2026-11-24.xlsx") as sample,
        zipfile.ZipFile(out, "w") as book,
    ):
        for info in sample.infolist():
            book.writestr(info.filename, sample.read(info), zipfile.ZIP_BZIP2)
    assert refusal(out.getvalue()) == (
        "not an Excel workbook (its part '_rels/.rels' is compressed with method 12, "
        "which Excel never uses)"
    )


def test_a_workbook_that_asks_its_reader_for_more_memory_than_allowed_is_refused():
    # Within the cell budget (2,000 × 16,384), but a gigabyte as calamine holds it: more than
    # the 256 MiB given here. calamine aborts, in the reader's child process only.
    data = with_cells(f'<row r="1"><c r="A1">{ONE}</row><row r="2000"><c r="XFD2000">{ONE}</row>')
    with pytest.raises(FileRejected) as refused:
        list(sheet_rows(io.BytesIO(data), "Book of Business", memory=256 << 20))
    assert str(refused.value) == (
        "reading the workbook asked for 1,048,576,000 bytes at once; at most 256 MiB is allowed"
    )


@pytest.mark.parametrize("name", ["xl/sharedStrings.xml", "XL\\SharedStrings.XML"])
def test_shared_strings_are_found_under_any_spelling_calamine_accepts(name):
    # calamine finds the part in any letter case, with either slash, and reserves what it declares
    table = b'<sst uniqueCount="4000000000"><si><t>x</t></si></sst>'
    assert refusal(rebuilt(add={name: table})) == (
        "the shared strings declare 4,000,000,000 strings; at most 16,000,000 are read"
    )
