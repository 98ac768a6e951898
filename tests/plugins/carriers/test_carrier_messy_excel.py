"""The Excel carriers (Anthem, Freedom, Wellcare) with messy workbooks built here from their samples:
moved and respelled columns, numeric NPN cells, blank rows, extra sheets, cells of the wrong kind
for the carrier's dates, wrong workbooks and files that are no workbook at all."""

import io
import json
import os
import struct
import zipfile
from datetime import date

import pytest

from downline.core.carriers.parsers import CarrierNotRecognized, FileRejected, sniff_carrier
from downline.core.production.vocabulary import PolicyRecord, RowError
from downline.testing import record_view

HEADER_ROW = {"anthem": 1, "freedom": 4, "wellcare": 1}
NPN = {"anthem": "Producer NPN", "freedom": "Agent NPN", "wellcare": "AGENT NPN"}
POLICY = {"anthem": "HCID", "freedom": "Member ID", "wellcare": "MEMBER ID"}
EFFECTIVE = {
    "anthem": "Coverage Effective Date",
    "freedom": "Effective Date",
    "wellcare": "EFFECTIVE DATE",
}
SHEET = {"anthem": "Book of Business", "freedom": "BOB", "wellcare": "Sheet1"}
WRONG_KIND = {  # a cell of another kind than the carrier's dates, and how the message names it
    "anthem": ("2026-12-01", "an Excel date cell"),
    "freedom": (date(2026, 12, 1), "MM/DD/YYYY"),
    "wellcare": (date(2026, 12, 1), "an Excel serial day number"),
}


@pytest.fixture(params=sorted(HEADER_ROW))
def excel_key(request) -> str:
    return request.param


def split(sheet: dict, key: str) -> tuple[dict, list, dict]:
    """(rows before the header, header, {row number: data row})."""
    top = HEADER_ROW[key]
    before = {n: cells for n, cells in sheet.items() if n < top}
    return before, list(sheet[top]), {n: list(c) for n, c in sheet.items() if n > top}


def test_moved_respelled_and_extra_columns_numeric_npns_blank_rows_and_extra_sheets_read_the_same(
    parsers, parse, xlsx, sample_sheet, expected, excel_key
):
    before, header, rows = split(sample_sheet(excel_key), excel_key)
    at_npn = header.index(NPN[excel_key])
    top = HEADER_ROW[excel_key]
    messy = {**before, top: ["Notes", *(f" {h.upper()}  " for h in reversed(header))]}
    lines = []
    for offset, (_, cells) in enumerate(sorted(rows.items())):
        cells[at_npn] = int(cells[at_npn])  # a numeric cell: read as its digits
        number = top + 1 + offset * 2  # a blank row before every record
        messy[number + 1] = ["call back, maybe", *reversed(cells)]
        lines.append(number + 1)
    book = xlsx({"Summary": {1: ["Nothing to see"]}, SHEET[excel_key]: messy})

    items = parse(parsers[excel_key], book)

    assert [item.line for item in items] == lines
    wanted = json.loads(expected(excel_key).read_text())["records"]
    assert [record_view(r, excel_key, w) for r, w in zip(items, wanted, strict=True)] == wanted


def test_cells_of_the_wrong_kind_and_bad_ids_are_rejected_with_their_sheet_row(
    parsers, parse, xlsx, sample_sheet, excel_key
):
    before, header, rows = split(sample_sheet(excel_key), excel_key)
    first = HEADER_ROW[excel_key] + 1
    wrong, kind = WRONG_KIND[excel_key]
    rows[first][header.index(EFFECTIVE[excel_key])] = wrong
    rows[first + 2][header.index(NPN[excel_key])] = 18000001.5
    rows[first + 4][header.index(POLICY[excel_key])] = ""
    book = xlsx({SHEET[excel_key]: {**before, first - 1: header, **rows}})

    items = parse(parsers[excel_key], book)

    assert [(e.line, e.message) for e in items if isinstance(e, RowError)] == [
        (first, f"line {first}: {EFFECTIVE[excel_key]} '2026-12-01' is not a date ({kind})"),
        (first + 2, f"line {first + 2}: {NPN[excel_key]} '18000001.5' is not an NPN (1-10 digits)"),
        (first + 4, f"line {first + 4}: {POLICY[excel_key]} is empty: a policy id is required"),
    ]
    assert sum(isinstance(item, PolicyRecord) for item in items) == 9


def test_a_workbook_whose_sheet_is_renamed_is_read_from_its_first_sheet(
    parsers, parse, xlsx, sample_sheet, excel_key
):
    book = xlsx({"Export": sample_sheet(excel_key)})
    assert len([r for r in parse(parsers[excel_key], book) if isinstance(r, PolicyRecord)]) == 12


def test_another_carriers_workbook_is_refused_naming_the_missing_columns(parsers, parse, sample):
    with pytest.raises(FileRejected) as refused:
        parse(parsers["anthem"], sample("freedom").read_bytes())
    assert str(refused.value) == (
        "Anthem report: missing required columns 'HCID', 'Producer NPN', "
        "'Coverage Effective Date', 'Policy Status'"
    )


def test_a_file_that_is_no_workbook_is_refused(parsers, parse, sample, excel_key):
    with pytest.raises(FileRejected, match="not an Excel workbook"):
        parse(parsers[excel_key], sample("aetna").read_bytes())


def test_a_workbook_whose_sheet_is_damaged_is_refused(parsers, parse, sample, excel_key):
    """Found by tests/fuzz: a workbook that opens but whose sheet cannot be inflated failed as an
    internal error instead of being refused."""
    data = bytearray(sample(excel_key).read_bytes())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as book:
        sheets = [i for i in book.infolist() if i.filename.startswith("xl/worksheets/")]
    for info in sheets:  # overwrite each sheet's compressed bytes
        name_len, extra_len = struct.unpack_from("<HH", data, info.header_offset + 26)
        start = info.header_offset + 30 + name_len + extra_len
        data[start : start + info.compress_size] = b"\xff" * info.compress_size
    with pytest.raises(FileRejected, match="the workbook's sheet cannot be read"):
        parse(parsers[excel_key], bytes(data))


def test_a_large_workbook_sniffs_from_its_first_64_kib(parsers, xlsx, sample_sheet):
    # Given a Wellcare workbook far larger than the 64 KiB sniffing reads
    sheet = sample_sheet("wellcare")
    rows = {1: sheet[1]}
    for number in range(2, 8002):
        cells = list(sheet[2 + number % 12])
        cells[1] = f"WEL{os.urandom(6).hex()}"
        rows[number] = cells
    book = xlsx({"Sheet1": rows})
    assert len(book) > 4 * 64 * 1024
    # Then its header, inflated from the zip entries in reach, still names the carrier
    assert sniff_carrier(parsers, book[: 64 * 1024], "report.xlsx").key == "wellcare"


def test_a_workbook_whose_text_lies_beyond_64_kib_falls_back_on_its_file_name(
    parsers, xlsx, sample_sheet
):
    book = xlsx({"Book of Business": sample_sheet("anthem")}, padding=os.urandom(80 * 1024))
    head = book[: 64 * 1024]
    assert sniff_carrier(parsers, head, "Anthem BOB 2026-11.xlsx").key == "anthem"
    with pytest.raises(CarrierNotRecognized, match="no carrier recognises"):
        sniff_carrier(parsers, head, "book.xlsx")
