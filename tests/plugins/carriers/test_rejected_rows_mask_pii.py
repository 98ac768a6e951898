"""A rejected row's message names the carrier's column and what is wrong with it, but never
repeats the text of a column masked everywhere else (docs/domain.md): it is shown to every admin
above the uploader and stored with the report. Every built-in carrier's sample, its first record's
birth date replaced by one the carrier does not write, goes through `downline ingest`."""

from __future__ import annotations

import csv
import io

from tests.plugins.carriers.conftest import build_xlsx, read_sheet, sample_path

# Each carrier's birth-date column.
DOB = {
    "aetna": "Date of Birth", "alignment": "DOB", "anthem": "Birth Date", "banner": "Birth_Date",
    "bnd": "DOB", "central_health_plan": "Date Of Birth", "cigna": "Customer DOB",
    "devoted": "birth_date", "freedom": "DOB", "healthsun": "MBR_DOB", "humana": "Birth Date",
    "memorial_hermann": "dob", "molina": "DOB", "scan": "DOB", "uhc": "Member DOB",
    "wellcare": "DOB", "zing": "Birth Date",
}  # fmt: skip
# A real birth date written the way the carrier does not write dates.
BAD_DOB = {
    "alignment": "02/19/1945",
    "devoted": "02/19/1945",
    "memorial_hermann": "02/19/1945",
    "banner": "02191945",
    "bnd": "02191945",
}
BAD_DOB_ELSEWHERE = "1945-02-19"
BND_DOB = slice(57, 65)  # 1-based start 58, width 8


def bad_dob(key: str) -> str:
    return BAD_DOB.get(key, BAD_DOB_ELSEWHERE)


def with_bad_dob(key: str) -> tuple[bytes, int]:
    """The carrier's sample with its first record's birth date replaced by `bad_dob(key)`, and
    the line (sheet row) of that record."""
    path = sample_path(key)
    if path.suffix == ".xlsx":
        return _sheet_with_bad_dob(key, read_sheet(path))
    lines = path.read_bytes().decode("latin-1").splitlines(keepends=True)
    if key == "bnd":  # fixed width, no header
        lines[0] = lines[0][: BND_DOB.start] + bad_dob(key) + lines[0][BND_DOB.stop :]
        return "".join(lines).encode("latin-1"), 1
    header = next(n for n, line in enumerate(lines) if DOB[key] in line)
    delimiter = next(d for d in "\t|," if d in lines[header])
    at = next(csv.reader([lines[header]], delimiter=delimiter)).index(DOB[key])
    record = header + 1
    cells = next(csv.reader([lines[record]], delimiter=delimiter))
    cells[at] = bad_dob(key)
    out = io.StringIO()
    ending = lines[record][len(lines[record].rstrip("\r\n")) :]
    csv.writer(out, delimiter=delimiter, lineterminator=ending).writerow(cells)
    lines[record] = out.getvalue()
    return "".join(lines).encode("latin-1"), record + 1


def _sheet_with_bad_dob(key: str, rows: dict[int, list[object]]) -> tuple[bytes, int]:
    header = next(n for n, cells in rows.items() if DOB[key] in cells)
    record = header + 1
    rows[record][rows[header].index(DOB[key])] = bad_dob(key)  # text, not the carrier's date
    return build_xlsx({"Sheet1": rows}), record


def test_a_bad_birth_date_is_rejected_naming_its_column_but_not_its_value(
    database, cli, tmp_path, carrier_key
):
    data, line = with_bad_dob(carrier_key)
    path = tmp_path / sample_path(carrier_key).name
    path.write_bytes(data)

    result = cli("ingest", path, "--carrier", carrier_key, "--as-of", "2026-11-24")

    assert result.exit_code == 0, result.output
    assert "rows read 12, inserted 11, updated 0, unchanged 0, rejected 1" in result.output
    assert f"  line {line}: {DOB[carrier_key]} is not a date (" in result.output
    assert bad_dob(carrier_key) not in result.output
