"""Brand New Day's fixed-width file, messed up: line ends, blank lines, short lines, bad fields,
and a trailer whose count must match every record line."""

import json
from datetime import date

import pytest

from downline.core.carriers.parsers import FileRejected
from downline.core.production.vocabulary import PolicyRecord, PolicyStatus, RowError
from downline.testing import record_view


def sample_lines(sample) -> list[str]:
    return sample("bnd").read_text(encoding="ascii").splitlines()


def put(line: str, start: int, value: str) -> str:
    """Overwrite a field in place (1-based start)."""
    return line[: start - 1] + value + line[start - 1 + len(value) :]


def test_lf_line_ends_and_blank_lines_read_the_same_with_their_own_line_numbers(
    parsers, parse, sample, expected
):
    lines = sample_lines(sample)
    body = [line for record in lines[:-1] for line in (record, "")] + [lines[-1]]
    items = parse(parsers["bnd"], ("\n".join(body) + "\n").encode())
    assert [item.line for item in items] == list(range(1, 24, 2))
    wanted = json.loads(expected("bnd").read_text())["records"]
    assert [record_view(r, "bnd", w) for r, w in zip(items, wanted, strict=True)] == wanted


def test_a_line_ending_early_leaves_its_trailing_fields_blank(parsers, parse, sample):
    lines = sample_lines(sample)
    lines[0] = lines[0][:105].rstrip()  # cut after APP_DATE: no dates, no status
    lines[1] = lines[1][:113]  # cut after EFF_DATE: the dates decide (APPROVED as of 2026-11-24)
    items = parse(parsers["bnd"], "\r\n".join(lines).encode())
    assert items[0].effective_date is None and items[0].status is PolicyStatus.UNKNOWN
    assert items[1].status is PolicyStatus.APPROVED and items[1].source_status is None


def test_bad_fields_are_rejected_with_line_and_field_name_and_still_counted(parsers, parse, sample):
    lines = sample_lines(sample)
    lines[2] = put(lines[2], 106, "20261345")
    lines[4] = put(lines[4], 1, "00000000AB")
    lines[6] = put(lines[6], 58, "20300101")
    lines[8] = put(lines[8], 11, " " * 12)
    items = parse(parsers["bnd"], "\r\n".join(lines).encode())
    assert [(e.line, e.message) for e in items if isinstance(e, RowError)] == [
        (3, "line 3: EFF_DATE '20261345' is not a date (YYYYMMDD)"),
        (5, "line 5: NPN '00000000AB' is not an NPN (1-10 digits)"),
        (7, "line 7: DOB is after the as-of date 2026-11-24"),  # a birth date is never repeated
        (9, "line 9: MEMBER_ID is empty: a policy id is required"),
    ]
    assert sum(isinstance(item, PolicyRecord) for item in items) == 8


def test_plan_ids_get_their_hyphen_and_npns_lose_their_zeros(parsers, parse, sample):
    first = parse(parsers["bnd"], sample("bnd").read_bytes())[0]
    assert (first.plan_id, first.agent_npn) == ("H7888-938", "18000001")


@pytest.mark.parametrize(
    ("trailer", "message"),
    [
        ("TRL000000011", "line 13: the trailer counts 11 records, the file holds 12"),
        ("TRL000000013", "line 13: the trailer counts 13 records, the file holds 12"),
    ],
)
def test_a_trailer_that_miscounts_rejects_the_whole_file(parsers, parse, sample, trailer, message):
    lines = sample_lines(sample)[:-1] + [trailer]
    with pytest.raises(FileRejected) as refused:
        parse(parsers["bnd"], "\r\n".join(lines).encode())
    assert str(refused.value) == message


def test_a_file_without_its_trailer_is_refused(parsers, parse, sample):
    lines = sample_lines(sample)[:-1]
    with pytest.raises(FileRejected, match=r"no trailer line \(like 'TRL000000012'\) at the end"):
        parse(parsers["bnd"], "\r\n".join(lines).encode())


def test_a_csv_given_as_bnd_rejects_every_row_then_the_file(parsers, parse, sample):
    stream = parsers["bnd"].parse(sample("aetna").open("rb"), date(2026, 11, 24))
    errors = []
    with pytest.raises(FileRejected):
        errors.extend(stream)
    assert len(errors) == 13 and all(isinstance(e, RowError) for e in errors)
