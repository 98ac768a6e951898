"""The carrier kit's dense rules: two-digit years and the date-of-birth century, date kinds, status
inference from dates, status tables and their fallbacks, NPNs, plan ids, names, headers, trailers,
and row numbering of the text sources."""

import io
from datetime import date, datetime

import pytest

from downline.core.carriers.parsers import FileRejected
from downline.core.production.vocabulary import PolicyStatus, TermReason
from downline.plugins import (
    EXCEL_DATE_CELL,
    EXCEL_SERIAL,
    Delimited,
    FixedWidth,
    HeaderSpec,
    Strftime,
    birth_date,
    cell_text,
    century_year,
    clean_npn,
    column_table,
    date_kind,
    infer_status,
    join_plan_id,
    source_status,
    split_first_last,
    split_last_first,
    status_table,
    trailer_pattern,
)

AS_OF = date(2026, 11, 24)
A, P, AT, PD, U = "ACTIVE", "APPROVED", "ATTRITED", "POLICY_DISENROLLMENT", "UNKNOWN"


@pytest.mark.parametrize(
    ("yy", "year"), [(0, 2000), (26, 2026), (69, 2069), (70, 1970), (99, 1999)]
)
def test_two_digit_years_split_at_70(yy, year):
    assert century_year(yy) == year
    assert Strftime("%m/%d/%y").parse(f"03/01/{yy:02d}").year == year


@pytest.mark.parametrize(
    ("text", "born"),
    [
        ("06/05/62", date(1962, 6, 5)),
        ("01/01/20", date(2020, 1, 1)),
        ("11/24/26", date(2026, 11, 24)),  # the as-of day itself
        ("11/25/26", date(1926, 11, 25)),  # a day later would be in the future
        ("02/29/00", date(2000, 2, 29)),
        ("07/04/99", date(1999, 7, 4)),
    ],
)
def test_a_two_digit_birth_year_is_the_latest_not_after_as_of(text, born):
    assert Strftime("%m/%d/%y").parse(text, birth_as_of=AS_OF) == born


def test_a_29th_of_february_skips_a_century_that_had_none():
    assert birth_date(0, 2, 29, date(1999, 12, 31)) == date(1600, 2, 29)


def test_date_formats_are_strict_and_named_like_the_carrier_writes_them():
    assert Strftime("%d-%b-%Y").parse("05-jAN-2026") == date(2026, 1, 5)
    assert Strftime("%d-%b-%Y").label == "DD-Mon-YYYY"
    assert Strftime("%Y%m%d").label == "YYYYMMDD"
    for bad in ("13/45/2026", "03/01/26", "2026-03-01", "03/01/2026 00:00"):
        with pytest.raises(ValueError):
            Strftime("%m/%d/%Y").parse(bad)


def test_excel_dates_must_be_the_carriers_kind_of_cell():
    assert EXCEL_SERIAL.parse(45658) == date(2025, 1, 1)
    assert EXCEL_SERIAL.parse(45658.75) == date(2025, 1, 1)
    assert EXCEL_DATE_CELL.parse(datetime(2025, 1, 1, 8, 30)) == date(2025, 1, 1)
    for kind, wrong in [(EXCEL_SERIAL, "45658"), (EXCEL_SERIAL, True), (EXCEL_SERIAL, 0),
                        (EXCEL_SERIAL, date(2025, 1, 1)), (EXCEL_DATE_CELL, 45658.0),
                        (EXCEL_DATE_CELL, "2025-01-01"), (Strftime("%m/%d/%Y"), date(2025, 1, 1))]:  # fmt: skip
        with pytest.raises(ValueError):
            kind.parse(wrong)
    assert date_kind("excel-serial") is EXCEL_SERIAL and date_kind("excel-date") is EXCEL_DATE_CELL
    with pytest.raises(ValueError):
        date_kind("MM/DD/YYYY")


@pytest.mark.parametrize(
    ("effective", "term", "status"),
    [
        (date(2026, 12, 1), date(2026, 11, 20), AT),  # ended before it began
        (date(2026, 11, 1), date(2026, 11, 1), AT),  # ended the day it began
        (date(2026, 1, 1), date(2026, 6, 30), PD),  # in effect, then ended
        (None, date(2026, 6, 30), PD),
        (date(2026, 1, 1), date(2026, 11, 24), PD),  # ends on the as-of day
        (date(2026, 1, 1), date(2026, 12, 31), A),  # ends later: still in effect
        (date(2026, 12, 1), date(2026, 12, 31), P),
        (date(2026, 12, 1), None, P),
        (date(2026, 11, 24), None, A),
        (None, None, U),
        (None, date(2027, 1, 1), U),
    ],
)
def test_the_dates_decide_a_status_as_of_the_ingest_day(effective, term, status):
    assert infer_status(effective, term, AS_OF) == PolicyStatus(status)


TABLE = status_table("""
    Active     |              | ACTIVE
    Terminated | Moved        | POLICY_DISENROLLMENT | PLAN_EXIT
    Terminated | Other        | ENDED                | OTHER
    Cancelled  |              | ATTRITED             | CANCELED
    Gone       |              | POLICY_DISENROLLMENT | OTHER
               | Plan change  | POLICY_DISENROLLMENT | PLAN_CHANGE
""")
EFFECTIVE, TERM = date(2026, 1, 1), date(2026, 6, 30)


@pytest.mark.parametrize(
    ("status", "reason", "dates", "outcome"),
    [
        ("Active", "", (EFFECTIVE, None), (A, None, "Active")),
        ("  ACTIVE ", "", (EFFECTIVE, None), (A, None, "  ACTIVE ")),
        ("terminated", "MOVED", (EFFECTIVE, TERM), (PD, "PLAN_EXIT", "terminated / MOVED")),
        # a pair not in the table: the status alone applies where it has an empty-reason row...
        (
            "Cancelled",
            "member asked",
            (EFFECTIVE, TERM),
            (AT, "CANCELED", "Cancelled / member asked"),
        ),
        ("Gone", "far away", (EFFECTIVE, TERM), (PD, "OTHER", "Gone / far away")),
        # ...and is UNKNOWN, with no reason, where it has none
        ("Terminated", "Bored", (EFFECTIVE, TERM), (U, None, "Terminated / Bored")),
        ("Suspended", "", (EFFECTIVE, None), (U, None, "Suspended")),
        # ENDED: the dates say attrited or disenrolled
        ("Terminated", "Other", (EFFECTIVE, TERM), (PD, "OTHER", "Terminated / Other")),
        ("Terminated", "Other", (TERM, EFFECTIVE), (AT, "OTHER", "Terminated / Other")),
        # no status word: inferred, the reason through the table (for that status) or OTHER
        ("", "Plan change", (EFFECTIVE, TERM), (PD, "PLAN_CHANGE", "Plan change")),
        ("", "moved", (EFFECTIVE, TERM), (PD, "PLAN_EXIT", "moved")),
        ("", "Plan change", (TERM, EFFECTIVE), (AT, "OTHER", "Plan change")),
        ("", "", (EFFECTIVE, TERM), (PD, "OTHER", None)),
        ("", "", (date(2026, 12, 1), None), (P, None, None)),
        ("", "whatever", (EFFECTIVE, None), (A, None, "whatever")),
    ],
)
def test_status_tables_apply_with_their_fallbacks(status, reason, dates, outcome):
    got = TABLE.resolve(status, reason, *dates, AS_OF)
    want_status, want_reason, wording = outcome
    assert got == (PolicyStatus(want_status), want_reason and TermReason(want_reason), wording)


def test_source_status_is_the_carriers_own_words():
    assert source_status("Disenrolled", "") == "Disenrolled"
    assert source_status("T", "01") == "T / 01"
    assert source_status("", "PLAN CHANGE") == "PLAN CHANGE"
    assert source_status("", "") is None


@pytest.mark.parametrize(
    "text",
    [
        "Active | ACTIVE",
        "Active | | ACTIVE | PLAN_EXIT | x",
        "Active | | ALIVE",
        "X | | ATTRITED | OOPS",
    ],
)
def test_a_malformed_status_table_is_refused_at_start_up(text):
    with pytest.raises(ValueError, match="status table line 1"):
        status_table(text)


@pytest.mark.parametrize(
    ("raw", "npn"),
    [
        ("18000001", "18000001"), (" 0018000001 ", "18000001"), ("1800 0001", "18000001"),
        ("0000000007", "7"), ("1234567890", "1234567890"), ("12345678901", None),
        ("0", None), ("", None), ("18000001.0", None), ("NPN123", None), ("-1", None),
    ],
)  # fmt: skip
def test_npns_are_digits_without_leading_zeros(raw, npn):
    assert clean_npn(raw) == npn


def test_plan_ids_join_contract_and_zero_padded_pbp():
    assert join_plan_id("H1234", "7") == "H1234-007"
    assert join_plan_id("H1234", "001") == "H1234-001"
    assert join_plan_id("H1234", "") == "H1234"
    assert join_plan_id("", "7") is None


def test_names_split_as_the_carrier_wrote_them():
    assert split_last_first("Muñoz, Renée") == ("Renée", "Muñoz")
    assert split_last_first("  de la Cruz ,  Ana María ") == ("Ana María", "de la Cruz")
    assert split_last_first("Chen Li") == ("Chen", "Li")
    assert split_first_last("RENÉE JOHNSON") == ("RENÉE", "JOHNSON")
    assert split_first_last("Mary  Ann Smith") == ("Mary Ann", "Smith")
    assert split_first_last("Cher") == ("", "Cher")
    assert split_first_last("") == ("", "")


def test_cells_read_as_text_keep_integer_digits():
    assert cell_text(18000001.0) == "18000001"
    assert cell_text(7) == "7"
    assert cell_text(1.5) == "1.5"
    assert cell_text(None) == ""
    assert cell_text(datetime(2026, 1, 2)) == "2026-01-02"
    assert cell_text("  x ") == "x"


def test_headers_match_whatever_their_case_spacing_and_order():
    spec = HeaderSpec.build(
        column_table("""
        Member ID      | carrier_policy_id
        Agent NPN      | agent_npn
        Effective Date | effective_date
        Status         | status
        Notes          | -
    """)
    )
    found = spec.match(["status", " EFFECTIVE   DATE", "Extra", "agent npn", "MemberID"], "X")
    assert found.index == {
        "status": 0, "effective_date": 1, "agent_npn": 3, "carrier_policy_id": 4
    }  # fmt: skip
    assert found.labels["effective_date"] == "EFFECTIVE   DATE"
    with pytest.raises(FileRejected, match="X report: missing required column 'Status'"):
        spec.match(["Member ID", "Agent NPN", "Effective Date"], "X")
    assert spec.score(["Member ID", "Agent NPN", "Effective Date", "Status"]) == 0.8
    assert spec.score(["Member ID", "Agent NPN", "Effective Date", "Notes"]) == 0.4


def test_a_column_map_must_name_known_fields_and_the_required_ones():
    with pytest.raises(ValueError, match="unknown field 'agent'"):
        HeaderSpec.build({"NPN": "agent", "ID": "carrier_policy_id", "Eff": "effective_date"})
    with pytest.raises(ValueError, match="no column maps to agent_npn"):
        HeaderSpec.build({"ID": "carrier_policy_id", "Eff": "effective_date"})


def test_trailers_are_matched_loosely_and_give_their_count():
    assert trailer_pattern("TRL{count:09d}").fullmatch("TRL000000012").group(1) == "000000012"
    assert trailer_pattern("TRL{count:09d}").fullmatch("TRL12") is None
    assert trailer_pattern("TOTAL RECORDS: {count}").fullmatch("total records:12").group(1) == "12"
    with pytest.raises(ValueError):
        trailer_pattern("TOTAL RECORDS")


def test_text_rows_are_numbered_by_the_physical_line_they_start_on():
    data = b'\xef\xbb\xbfTitle\r\n\r\nA,B\r\n\r\n1,"two\r\nlines"\r\n   \r\n3,x\r\n'
    rows = list(Delimited(",", preamble=2).rows(io.BytesIO(data)))
    assert [(r.line, r.cells, r.last_line) for r in rows] == [
        (3, ["A", "B"], 3),
        (5, ["1", "two\r\nlines"], 6),
        (8, ["3", "x"], 8),
    ]


def test_a_line_that_is_not_utf_8_is_read_as_windows_1252():
    rows = list(Delimited(",").rows(io.BytesIO(b"Name\nRen\xe9e\nJos\xc3\xa9\n")))
    assert [r.cells[0] for r in rows] == ["Name", "Renée", "José"]


def test_fixed_width_rows_slice_by_position_and_pad_short_lines():
    source = FixedWidth((("A", 1, 3), ("B", 4, 2), ("C", 6, 4)))
    rows = list(source.rows(io.BytesIO(b"abcde fgh\n\nxyz\n")))
    assert [(r.line, r.cells) for r in rows] == [
        (0, ["A", "B", "C"]), (1, ["abc", "de", "fgh"]), (3, ["xyz", "", ""])
    ]  # fmt: skip


def test_parsing_streams_a_large_file_instead_of_reading_it_whole(parsers, sample):
    # Given a Humana file of 200 000 rows behind a stream that counts what is read from it
    header, row = sample("humana").read_bytes().split(b"\n")[:2]
    body = io.BytesIO(header + b"\n" + (row + b"\n") * 200_000)

    class Counting(io.RawIOBase):
        read_so_far = 0

        def readable(self):
            return True

        def readinto(self, buffer):
            n = body.readinto(buffer)
            Counting.read_so_far += n
            return n

    records = parsers["humana"].parse(io.BufferedReader(Counting()), AS_OF)
    # When the first records are taken
    first = [next(records) for _ in range(3)]
    # Then only the start of the file has been read
    assert [r.line for r in first] == [2, 3, 4]
    assert Counting.read_so_far < 64 * 1024 < len(body.getvalue())
