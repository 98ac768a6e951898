"""Fixtures for the carrier parser tests: the samples (copied from the shared carrier docs into
tests/fixtures/carriers), the built-in parsers, and small file builders for messy variants."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from downline.core.carriers.parsers import CarrierParser
from downline.core.plugins import carrier_parsers, get_plugin_manager
from downline.core.production.vocabulary import PolicyRecord, RowError
from tests.conftest import SAMPLES

AS_OF = date(2026, 11, 24)
KNOWN_NPNS = {str(npn) for npn in range(18000001, 18000008)}
KEYS = (
    "aetna", "alignment", "anthem", "banner", "bnd", "central_health_plan", "cigna", "devoted",
    "freedom", "healthsun", "humana", "memorial_hermann", "molina", "scan", "uhc", "wellcare",
    "zing",
)  # fmt: skip


def sample_path(key: str) -> Path:
    return next(SAMPLES.glob(f"{key}-2026-11-24.*"))


def expected_path(key: str) -> Path:
    return SAMPLES / "expected" / f"{key}-2026-11-24.json"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test taking `carrier_key` runs once per built-in carrier."""
    if "carrier_key" in metafunc.fixturenames:
        metafunc.parametrize("carrier_key", KEYS)


@pytest.fixture
def sample() -> Callable[[str], Path]:
    """sample(key) -> the carrier's sample report."""
    return sample_path


@pytest.fixture
def expected() -> Callable[[str], Path]:
    """expected(key) -> the JSON of the records its sample must give."""
    return expected_path


@pytest.fixture
def as_of() -> date:
    return AS_OF


@pytest.fixture
def known_npns() -> set[str]:
    return set(KNOWN_NPNS)


@pytest.fixture(scope="session")
def parsers() -> dict[str, CarrierParser]:
    """The built-in parsers, no installed third-party plugins."""
    return carrier_parsers(get_plugin_manager(load_entrypoints=False))


@pytest.fixture
def parse() -> Callable[..., list[PolicyRecord | RowError]]:
    """parse(parser, data: bytes, as_of=AS_OF) -> every item the parser yields."""

    def run(parser: CarrierParser, data: bytes, as_of: date = AS_OF) -> list:
        return list(parser.parse(io.BytesIO(data), as_of))

    return run


# --- a minimal .xlsx writer (inline strings; dates as styled serials) -----------------------------

_EPOCH = date(1899, 12, 30)


def _cell(ref: str, value: object) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, datetime | date):
        day = value.date() if isinstance(value, datetime) else value
        return f'<c r="{ref}" s="1"><v>{(day - _EPOCH).days}</v></c>'
    if isinstance(value, int | float):
        return f'<c r="{ref}"><v>{value}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(str(value))}</t></is></c>'


def _column(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def _sheet_xml(rows: dict[int, Sequence[object]]) -> str:
    body = "".join(
        f'<row r="{n}">'
        + "".join(_cell(f"{_column(i)}{n}", value) for i, value in enumerate(cells))
        + "</row>"
        for n, cells in sorted(rows.items())
    )
    return (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<sheetData>{body}</sheetData></worksheet>"
    )


def build_xlsx(sheets: dict[str, dict[int, Sequence[object]]], padding: bytes = b"") -> bytes:
    """An .xlsx of `sheets` (name -> {row number: cells}); `padding`, if any, is stored as the
    first zip entry (to push the sheets past the first 64 KiB)."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    names = list(sheets)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as book:
        if padding:
            book.writestr(zipfile.ZipInfo("docProps/padding.bin"), padding)
        for number, name in enumerate(names, 1):
            book.writestr(f"xl/worksheets/sheet{number}.xml", _sheet_xml(sheets[name]))
        book.writestr(
            "[Content_Types].xml",
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            + "".join(
                f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                for n in range(1, len(names) + 1)
            )
            + "</Types>",
        )
        book.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>",
        )
        book.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{main}" xmlns:r="{rel}"><sheets>'
            + "".join(
                f'<sheet name="{escape(name)}" sheetId="{n}" r:id="rId{n}"/>'
                for n, name in enumerate(names, 1)
            )
            + "</sheets></workbook>",
        )
        book.writestr(
            "xl/_rels/workbook.xml.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            + "".join(
                f'<Relationship Id="rId{n}" Type="{rel}/worksheet" Target="worksheets/sheet{n}.xml"/>'
                for n in range(1, len(names) + 1)
            )
            + f'<Relationship Id="rId{len(names) + 1}" Type="{rel}/styles" Target="styles.xml"/>'
            "</Relationships>",
        )
        book.writestr(
            "xl/styles.xml",
            f'<styleSheet xmlns="{main}"><numFmts count="1">'
            '<numFmt numFmtId="164" formatCode="yyyy-mm-dd"/></numFmts>'
            '<fonts count="1"><font/></fonts><fills count="1"><fill/></fills>'
            '<borders count="1"><border/></borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0"/></cellStyleXfs>'
            '<cellXfs count="2"><xf numFmtId="0" xfId="0"/>'
            '<xf numFmtId="164" xfId="0" applyNumberFormat="1"/></cellXfs></styleSheet>',
        )
    return out.getvalue()


@pytest.fixture
def xlsx() -> Callable[..., bytes]:
    """xlsx({sheet name: {row number: [cells]}}, padding=b"") -> workbook bytes."""
    return build_xlsx


def read_sheet(path: Path) -> dict[int, list[object]]:
    """A sample workbook's first sheet as {sheet row number: cells}."""
    from python_calamine import CalamineWorkbook

    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
    first = sheet.start[0] if sheet.start else 0
    return {first + i + 1: list(cells) for i, cells in enumerate(sheet.iter_rows())}


@pytest.fixture
def sample_sheet() -> Callable[[str], dict[int, list[object]]]:
    return lambda key: read_sheet(sample_path(key))
