"""Messy variants of every delimited-text sample, made here from the sample itself: real carrier
files move columns, add some, change header case and spacing, carry byte-order marks, CRLF line
ends, blank lines, quoted separators and line breaks, and the odd broken row. Good rows must read
the same; bad rows are rejected with their exact line and reason; a wrong file is refused."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date

import pytest

from downline.core.carriers.parsers import FileRejected
from downline.core.production.vocabulary import PolicyRecord, RowError
from downline.testing import record_view

AS_OF = date(2026, 11, 24)


@dataclass(frozen=True)
class Text:
    """What the test knows of a delimited format, from its format."""

    delimiter: str
    preamble: int
    encoding: str
    npn: str
    policy: str
    effective: str
    dob: str
    status: str | None
    label: str  # the date format as messages name it
    bad_date: str
    future_dob: str | None  # None: two-digit years can never be after as_of
    trailer: bool = False


TEXT = {
    "aetna": Text(",", 0, "utf-8", "Writing Agent NPN", "Member ID", "Effective Date", "Date of Birth", "Enrollment Status", "MM/DD/YYYY", "13/45/2026", "01/15/2030"),
    "alignment": Text("|", 2, "utf-8", "BROKER_NPN", "MEMBER_ID", "EFFECTIVE_DATE", "DOB", "STATUS", "YYYY-MM-DD", "2026-13-45", "2030-01-15"),
    "banner": Text("\t", 0, "cp1252", "Agent_NPN", "Member_Number", "Eff_Date", "Birth_Date", "Member_Status", "YYYYMMDD", "20261345", "20300115"),
    "central_health_plan": Text(",", 0, "utf-8", "NPN", "Member ID", "Effective Date", "Date Of Birth", "Status", "MM/DD/YY", "13/45/26", None, trailer=True),
    "cigna": Text(",", 0, "utf-8", "Writing Broker NPN", "Customer ID", "Effective Date", "Customer DOB", "Status", "DD-Mon-YYYY", "45-Foo-2026", "15-Jan-2030"),
    "devoted": Text(",", 0, "utf-8", "agent_npn", "member_id", "coverage_start_date", "birth_date", "enrollment_status", "YYYY-MM-DD", "2026-13-45", "2030-01-15"),
    "healthsun": Text("|", 0, "utf-8", "AGENT_NPN", "MEMBER_NO", "EFF_DT", "MBR_DOB", "STATUS_CD", "MM/DD/YYYY", "13/45/2026", "01/15/2030"),
    "humana": Text(",", 0, "utf-8", "Agent NPN", "Humana ID", "Effective Date", "Birth Date", "Status", "MM/DD/YYYY", "13/45/2026", "01/15/2030"),
    "memorial_hermann": Text("\t", 0, "utf-8", "npn", "policy_number", "effective", "dob", None, "YYYY-MM-DD", "2026-13-45", "2030-01-15"),
    "molina": Text(",", 0, "utf-8", "Broker NPN", "Subscriber ID", "Effective Date", "DOB", "Policy Status", "MM/DD/YYYY", "13/45/2026", "01/15/2030"),
    "scan": Text(",", 0, "utf-8", "Agent NPN", "Member ID", "Eff Date", "DOB", "Member Status", "MM/DD/YYYY", "13/45/2026", "01/15/2030"),
    "uhc": Text(",", 0, "utf-8", "Writing Agent NPN", "Member Number", "Policy Effective Date", "Member DOB", "Policy Status", "MM/DD/YYYY", "13/45/2026", "01/15/2030"),
    "zing": Text(",", 0, "utf-8", "Agent Npn", "Member Id", "Start Date", "Birth Date", "Status", "YYYY/MM/DD", "2026/13/45", "2030/01/15"),
}  # fmt: skip


@dataclass
class Table:
    preamble: list[str]
    header: list[str]
    rows: list[list[str]]


def load(sample, key: str) -> Table:
    """The sample split into its preamble lines, header and rows (the trailer dropped)."""
    fmt = TEXT[key]
    text = sample(key).read_bytes().decode("utf-8-sig" if fmt.encoding == "utf-8" else "cp1252")
    lines = text.splitlines()
    table = list(csv.reader(lines[fmt.preamble :], delimiter=fmt.delimiter))
    rows = table[1:-1] if fmt.trailer else table[1:]
    return Table(lines[: fmt.preamble], table[0], rows)


def render(
    key: str,
    table: Table,
    *,
    encoding: str | None = None,
    bom: bool = False,
    crlf: bool = False,
    blank_every: int = 0,
    trailer_count: int | None = None,
) -> tuple[bytes, list[int]]:
    """The table as a file, and the physical line each row starts on."""
    fmt = TEXT[key]
    end = "\r\n" if crlf else "\n"
    out = io.StringIO()
    writer = csv.writer(out, delimiter=fmt.delimiter, lineterminator=end)
    for line in table.preamble:
        out.write(line + end)
    writer.writerow(table.header)
    starts = []
    for number, row in enumerate(table.rows):
        if blank_every and number % blank_every == 0:
            out.write(("   " if number % 2 else "") + end)
        starts.append(out.getvalue().count("\n") + 1)
        writer.writerow(row)
    if fmt.trailer:
        count = len(table.rows) if trailer_count is None else trailer_count
        out.write(f"TOTAL RECORDS: {count}{end}")
    data = out.getvalue().encode(encoding or fmt.encoding)
    return (b"\xef\xbb\xbf" + data if bom else data), starts


def expected_records(expected, key: str) -> list[dict]:
    return json.loads(expected(key).read_text(encoding="utf-8"))["records"]


def messy_header(label: str, number: int) -> str:
    """Header spelling as carriers vary it: case flipped, spaces doubled, padding."""
    flipped = label.swapcase() if number % 2 else label.upper()
    return f"  {flipped.replace(' ', '  ')} "


@pytest.fixture(params=sorted(TEXT))
def text_key(request) -> str:
    return request.param


def test_moved_extra_and_respelled_columns_with_bom_crlf_blank_lines_and_quoted_breaks_read_the_same(
    parsers, parse, sample, expected, text_key
):
    # Given the sample with its columns reversed and respelled, a quoted "Notes" column holding
    # the delimiter and a line break, a BOM, CRLF line ends and blank lines between rows
    fmt = TEXT[text_key]
    table = load(sample, text_key)
    note = f"call back{fmt.delimiter} maybe\nnext week"
    table.header = ["Notes", *(messy_header(h, i) for i, h in enumerate(reversed(table.header)))]
    table.rows = [[f"{note} {i}", *reversed(row)] for i, row in enumerate(table.rows)]
    data, starts = render(text_key, table, bom=True, crlf=True, blank_every=3)
    # When it is parsed
    items = parse(parsers[text_key], data)
    # Then every record reads as from the sample, numbered by the line its record starts on
    assert [item.line for item in items] == starts
    assert all(isinstance(item, PolicyRecord) for item in items)
    wanted = expected_records(expected, text_key)
    assert [record_view(r, text_key, w) for r, w in zip(items, wanted, strict=True)] == wanted


def test_bad_rows_are_rejected_with_line_and_reason_and_the_rest_load(
    parsers, parse, sample, text_key
):
    fmt = TEXT[text_key]
    table = load(sample, text_key)
    at = {name: table.header.index(name) for name in (fmt.npn, fmt.policy, fmt.effective, fmt.dob)}
    rows = table.rows
    rows[1][at[fmt.effective]] = fmt.bad_date
    rows[3][at[fmt.npn]] = "12AB"
    rows[5] = rows[5][:-3]
    rows[6] = [*rows[6], "stray"]
    rows[7][at[fmt.policy]] = ""
    if fmt.future_dob:
        rows[8][at[fmt.dob]] = fmt.future_dob
    rows[9][at[fmt.npn]] = " 0018000003 "
    rows[10][at[fmt.npn]] = "12345678901"
    rows[11][at[fmt.npn]] = "99999"
    data, starts = render(text_key, table)
    width = len(table.header)

    items = parse(parsers[text_key], data)

    errors = {item.line: item.message for item in items if isinstance(item, RowError)}
    line = dict(enumerate(starts))
    wanted = {
        line[1]: f"line {line[1]}: {fmt.effective} '{fmt.bad_date}' is not a date ({fmt.label})",
        line[3]: f"line {line[3]}: {fmt.npn} '12AB' is not an NPN (1-10 digits)",
        line[
            5
        ]: f"line {line[5]}: {width - 3} fields where the header has {width}: a cut-short row?",
        line[
            6
        ]: f"line {line[6]}: {width + 1} fields where the header has {width}: an unquoted separator?",
        line[7]: f"line {line[7]}: {fmt.policy} is empty: a policy id is required",
        line[10]: f"line {line[10]}: {fmt.npn} '12345678901' is not an NPN (1-10 digits)",
    }
    if fmt.future_dob:
        # A birth date is masked everywhere else, so its rejection never repeats it.
        wanted[line[8]] = f"line {line[8]}: {fmt.dob} is after the as-of date 2026-11-24"
    assert errors == wanted
    records = {item.line: item for item in items if isinstance(item, PolicyRecord)}
    assert records[line[9]].agent_npn == "18000003"
    assert records[line[11]].agent_npn == "99999"
    assert len(records) + len(errors) == 12


def test_a_file_of_another_kind_is_refused_naming_every_missing_required_column(
    parsers, parse, text_key
):
    fmt = TEXT[text_key]
    parser = parsers[text_key]
    lines = ["Preamble line"] * fmt.preamble + ["Name|Email|Phone", "Ada|ada@example.com|555"]
    data = "\n".join(line.replace("|", fmt.delimiter) for line in lines).encode()
    required = [fmt.policy, fmt.npn, fmt.effective] + ([fmt.status] if fmt.status else [])
    named = ", ".join(f"'{label}'" for label in required)
    with pytest.raises(FileRejected) as refused:
        parse(parser, data)
    assert str(refused.value) == f"{parser.name} report: missing required columns {named}"


@pytest.mark.parametrize("text_key", [key for key, fmt in sorted(TEXT.items()) if fmt.status])
def test_a_missing_status_column_is_named_alone(parsers, parse, sample, text_key):
    fmt = TEXT[text_key]
    table = load(sample, text_key)
    drop = table.header.index(fmt.status)
    table.header.pop(drop)
    for row in table.rows:
        row.pop(drop)
    data, _ = render(text_key, table)
    parser = parsers[text_key]
    with pytest.raises(FileRejected) as refused:
        parse(parser, data)
    assert str(refused.value) == f"{parser.name} report: missing required column '{fmt.status}'"


def test_optional_columns_may_be_absent(parsers, parse, sample, text_key):
    fmt = TEXT[text_key]
    table = load(sample, text_key)
    keep = [
        i
        for i, h in enumerate(table.header)
        if h in (fmt.npn, fmt.policy, fmt.effective, fmt.status)
    ]
    table.header = [table.header[i] for i in keep]
    table.rows = [[row[i] for i in keep] for row in table.rows]
    data, _ = render(text_key, table)
    records = parse(parsers[text_key], data)
    assert all(isinstance(r, PolicyRecord) for r in records) and len(records) == 12
    assert {r.plan_name for r in records} == {None} and {r.first_name for r in records} == {""}


def test_an_empty_file_is_refused(parsers, parse, text_key):
    parser = parsers[text_key]
    with pytest.raises(FileRejected, match=r"the file is empty \(no header line\)"):
        parse(parser, b"\r\n\r\n" if not TEXT[text_key].preamble else b"")


def test_a_cp1252_file_is_read_where_utf_8_was_promised(parsers, parse, sample):
    table = load(sample, "aetna")
    data, _ = render("aetna", table, encoding="cp1252")
    names = [r.client_name for r in parse(parsers["aetna"], data)]
    assert names[1] == "William Hernández" and names[6] == "José Muñoz"


def test_a_utf_8_file_with_bom_is_read_where_windows_1252_was_promised(parsers, parse, sample):
    table = load(sample, "banner")
    data, _ = render("banner", table, encoding="utf-8", bom=True)
    names = [r.client_name for r in parse(parsers["banner"], data)]
    assert names[2] == "Tomás Nguyen" and names[7] == "James Muñoz"


def test_a_trailer_counts_every_record_line_rejected_ones_included(parsers, parse, sample):
    table = load(sample, "central_health_plan")
    table.rows[0][0] = "not-an-npn"
    data, _ = render("central_health_plan", table, blank_every=4)
    items = parse(parsers["central_health_plan"], data)
    assert len(items) == 12 and isinstance(items[0], RowError)


@pytest.mark.parametrize(
    ("count", "message"),
    [
        (11, "line 14: the trailer counts 11 records, the file holds 12"),
        (13, "line 14: the trailer counts 13 records, the file holds 12"),
    ],
)
def test_a_trailer_count_that_does_not_match_rejects_the_file(
    parsers, parse, sample, count, message
):
    data, _ = render(
        "central_health_plan", load(sample, "central_health_plan"), trailer_count=count
    )
    with pytest.raises(FileRejected) as refused:
        parse(parsers["central_health_plan"], data)
    assert str(refused.value) == message


def test_a_file_cut_before_its_trailer_is_refused(parsers, parse, sample):
    data, _ = render("central_health_plan", load(sample, "central_health_plan"))
    cut = data[: data.index(b"TOTAL RECORDS")]
    with pytest.raises(
        FileRejected,
        match=r"no trailer line \(like 'TOTAL RECORDS: 12'\) at the end: the file may be cut short",
    ):
        parse(parsers["central_health_plan"], cut)


def test_data_after_the_trailer_rejects_the_file(parsers, parse, sample):
    data, _ = render("central_health_plan", load(sample, "central_health_plan"))
    with pytest.raises(FileRejected, match="line 15: data after the trailer line 14"):
        parse(
            parsers["central_health_plan"], data + b"18000001,CEN1,X Y,,,,,,,,01/01/26,,ACTIVE,\n"
        )


def test_an_unclosed_quote_is_reported_where_it_starts(parsers, parse, sample):
    # Given a quote opened on the 11th record and never closed: it swallows the file's end
    table = load(sample, "aetna")
    data, starts = render("aetna", table)
    lines = data.decode().split("\n")
    lines[starts[10] - 1] = lines[starts[10] - 1].replace(",x,", ',"x,', 1)
    items = parse(parsers["aetna"], "\n".join(lines).encode())
    assert len(items) == 11
    assert items[-1].message == (
        f"line {starts[10]}: 2 fields where the header has 17: a cut-short row? "
        f"(the record runs over lines {starts[10]}-{starts[11]})"
    )
