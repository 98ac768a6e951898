"""Fuzzing the file inputs (`downline load DIR`, `downline ingest FILE`) on SQLite and PostgreSQL.

After a good book (and a good carrier report) is stored, hypothesis writes damaged inputs: random
bytes, text in the wrong encoding (Latin-1, Windows-1252, UTF-16 and UTF-32 with their byte-order
marks), lines of several MB, truncated JSON or files, JSON of the wrong shape (arrays, numbers,
nested nulls) and random mutations of valid records and of real carrier samples.

The load must never crash: exit 0 or 1 (no traceback, no exit 2+), every rejection printed as
`file:line: reason` with a line the file has, the counts and the exit code agreeing with them,
and every stored row untouched by the fuzz input still stored and unchanged.

The ingest must end its report SUCCEEDED (bad rows rejected by their line) or FAILED with a
message for the user: never a crash, never the "internal error" of an unexpected exception, never
a report left QUEUED or PROCESSING. When it fails, the policies are exactly as they were; when it
succeeds, every policy is still there and those it did not write are unchanged.

Runs are derandomized (a failure reproduces by running the test again); no example database.
"""

import codecs
import copy
import json
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import SQLModel

from downline.core import db
from tests.conftest import SAMPLES

SAMPLE_FILES = sorted(SAMPLES.glob("*-2026-11-24.*"))
HUMANA = next(p for p in SAMPLE_FILES if p.name.startswith("humana-"))
ANTHEM = next(p for p in SAMPLE_FILES if p.name.startswith("anthem-"))
AS_OF = "2026-11-24"
MB = 1024 * 1024


def fuzz_settings(examples: int) -> settings:
    """The fuzz profile (tests/fuzz/conftest.py) with this many examples; huge inputs are the
    point here, so a large smallest example is no health problem."""
    profile = settings.get_profile("downline-fuzz")
    return settings(
        profile,
        max_examples=examples,
        suppress_health_check=[*profile.suppress_health_check, HealthCheck.large_base_example],
    )


def crashed(result) -> str | None:
    """Why a CLI run counts as a crash (an exception, a traceback, exit 2+), or None."""
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        return f"raised {result.exception!r}"
    if result.exit_code not in (0, 1):
        return f"exit code {result.exit_code}"
    if "Traceback" in result.output:
        return "printed a traceback"
    return None


def physical_lines(data: bytes) -> int:
    """How many lines a binary read of `data` yields (what the loader numbers)."""
    return data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)


# ---- JSON values of any shape --------------------------------------------------------------------

TEXT = st.text(max_size=30)  # any code point: NUL, surrogates escaped, line separators...
KEYS = st.sampled_from(["id", "name", "parent_id", "npn", "agent_id", "email", "dmis"]) | TEXT
JSON_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=2**63),  # beyond any integer column
    st.floats(allow_nan=False, allow_infinity=False),
    TEXT,
    st.sampled_from(["2026-02-30", "9999-12-31", "0001-01-01", "2026-03-01T10:00:00+14:00"]),
)
JSON = st.recursive(
    JSON_LEAVES,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3),
    max_leaves=8,
)


# ==== downline load ===============================================================================

BOOK_TABLES = (
    "agency",
    "agency_closure",
    "agent",
    "user",
    "client",
    "client_follow_up",
    "client_verification",
    "lead",
    "payout",
)
FILES = ("agencies", "agents", "users", "clients", "leads", "payouts")
SUMMARY = re.compile(r"(\w+\.jsonl): \d+ inserted, \d+ updated, \d+ unchanged, (\d+) rejected")
REJECTION = re.compile(r"(\w+\.jsonl):(\d+): (\S.*)")


def book_rows() -> dict[str, dict[tuple, tuple]]:
    """Every row of the book's tables, by primary key."""
    tables = {t.name: t for t in SQLModel.metadata.sorted_tables}
    rows: dict[str, dict[tuple, tuple]] = {}
    with db.get_engine().connect() as conn:
        for name in BOOK_TABLES:
            table = tables[name]
            key = [table.c[c.name] for c in table.primary_key]
            rows[name] = {
                tuple(getattr(r, c.name) for c in key): tuple(r)
                for r in conn.execute(sa.select(table))
            }
    return rows


def keys_named(data: bytes) -> set[str]:
    """Every id and user email that a line of `data` could upsert. Python's json is laxer than
    the loader's parser, so this over-approximates: what it misses, the loader refuses too."""
    named: set[str] = set()
    for number, raw in enumerate(data.split(b"\n"), start=1):
        if number == 1:
            raw = raw.removeprefix(codecs.BOM_UTF8)
        try:
            record = json.loads(raw)
        except (ValueError, RecursionError):
            continue
        if isinstance(record, dict):
            if isinstance(record.get("id"), str):
                named.add(record["id"])
            if isinstance(record.get("email"), str):
                named.add(record["email"].strip().lower())
    return named


def assert_book_kept(before: dict, named: set[str]) -> None:
    """Every row stored before is still stored and unchanged, unless the fuzz input named it
    (then a valid record may have upserted it)."""
    after = book_rows()
    for table, rows in before.items():
        for key, row in rows.items():
            if any(isinstance(value, str) and value in named for value in row):
                continue
            assert after[table].get(key) == row, (
                f"{table} {key}: {row} became {after[table].get(key)}"
            )


def assert_reported(result, files: dict[str, bytes]) -> None:
    """Exit 0 or 1, every output line a file summary or a `file:line: reason`, lines that exist,
    counts and exit code in agreement."""
    assert not crashed(result), f"{crashed(result)}\n{result.output}"
    summaries, rejections = {}, []
    for line in result.stdout.split("\n"):
        if not line or line.startswith("note: ignored "):
            continue
        if summary := SUMMARY.fullmatch(line):
            summaries[summary.group(1)] = int(summary.group(2))
        elif rejection := REJECTION.fullmatch(line):
            name, number = rejection.group(1), int(rejection.group(2))
            assert name in files, line
            assert 1 <= number <= physical_lines(files[name]), f"no line {number}: {line}"
            rejections.append(name)
        else:
            raise AssertionError(f"not a summary nor file:line: reason: {line!r}\n{result.output}")
    assert set(summaries) == set(files), result.output
    for name, count in summaries.items():
        assert rejections.count(name) == count, result.output
    assert result.exit_code == (1 if rejections else 0), result.output
    if rejections:
        assert f"{len(rejections)} record(s) rejected" in result.stderr


@pytest.fixture
def templates(book) -> dict[str, dict]:
    """A valid record of each file, on ids of its own (never one of the book's)."""
    return {
        "agencies": {"id": "fz", "name": "Fuzz Agency", "parent_id": "east"},
        "agents": {"id": "fz", "name": "Fay Fuzz", "npn": "990", "agency_id": "east"},
        "users": {"email": "fz@fuzz.test", "role": "agent", "agent_id": "a-east"},
        "clients": {**copy.deepcopy(book["clients"][5]), "id": "fz"},
        "leads": {**book["leads"][0], "id": "fz"},
        "payouts": {
            "id": "fz",
            "kind": "eap",
            "agent_id": "a-east",
            "client_id": "c2",
            "amount": 5,
        },
    }


@st.composite
def mutated(draw, template: dict, taken: frozenset[str]) -> dict:
    """A valid record with a few of its fields set to any JSON, removed, nulled deep down, or
    joined by unknown ones; its id (or email) is never one already stored."""
    record = copy.deepcopy(template)
    key = "email" if "email" in record and "id" not in record else "id"
    record[key] = f"fz-{draw(st.integers(0, 10**6))}" + ("@fuzz.test" if key == "email" else "")
    for _ in range(draw(st.integers(0, 3))):
        field = draw(st.sampled_from(sorted(record)) | KEYS)
        action = draw(st.sampled_from(["set", "drop", "null-inside"]))
        if action == "drop":
            record.pop(field, None)
        elif action == "null-inside" and isinstance(record.get(field), dict | list):
            inner = record[field]
            if isinstance(inner, list):
                inner.append(None)
            else:
                inner[draw(st.sampled_from(sorted(inner) or ["x"]))] = None
        else:
            record[field] = draw(JSON)
    named = record.get(key)
    if isinstance(named, str) and named.strip().lower() in taken:
        record[key] = "fz-renamed"
    return record


ENCODINGS = ["utf-8"] * 5 + ["utf-8-sig", "latin-1", "cp1252", "utf-16", "utf-32", "utf-16-be"]


@st.composite
def lines_of(draw, template: dict, taken: frozenset[str]) -> bytes:
    """One line (or a few, if its bytes hold line breaks) of a damaged book file."""
    kind = draw(st.sampled_from(["record", "record", "wrong-shape", "bytes", "truncated", "blank"]))
    if kind == "blank":
        return draw(st.sampled_from([b"", b"   ", b"\t", b"\r"]))
    if kind == "bytes":
        return draw(st.binary(max_size=200))
    if kind == "wrong-shape":
        return json.dumps(draw(JSON)).encode()
    record = draw(mutated(template, taken))
    if draw(st.booleans()):  # characters outside ASCII, for the wrong encodings to garble
        for field in ("name", "first_name", "notes"):
            if isinstance(record.get(field), str):
                record[field] += " José Muñoz"
    text = json.dumps(record, ensure_ascii=draw(st.booleans()))
    data = text.encode(draw(st.sampled_from(ENCODINGS)), errors="replace")
    if kind == "truncated":
        data = data[: draw(st.integers(0, max(len(data) - 1, 0)))]
    return data


@st.composite
def book_files(draw, templates: dict, taken: frozenset[str]) -> dict[str, bytes]:
    """One or two damaged book files, each a few lines."""
    names = draw(st.lists(st.sampled_from(FILES), min_size=1, max_size=2, unique=True))
    files = {}
    for name in names:
        lines = draw(st.lists(lines_of(templates[name], taken), min_size=1, max_size=6))
        ending = draw(st.sampled_from([b"\n", b"\r\n"]))
        data = ending.join(lines) + draw(st.sampled_from([ending, b""]))
        if draw(st.booleans()):
            data = draw(st.sampled_from([codecs.BOM_UTF8, codecs.BOM_UTF16_LE, b""])) + data
        files[f"{name}.jsonl"] = data
    return files


def load_files(cli, folder: Path, files: dict[str, bytes]):
    folder.mkdir()
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return cli("load", folder)


def stored_keys(before: dict) -> frozenset[str]:
    return frozenset(str(key[0]) for table in before.values() for key in table)


def test_damaged_book_files_are_rejected_by_line_and_lose_nothing(
    database, book, templates, cli, tmp_path
):
    before = book_rows()
    taken = stored_keys(before)
    runs = iter(range(10**6))

    @fuzz_settings(50)
    @given(files=book_files(templates, taken))
    def fuzz(files: dict[str, bytes]) -> None:
        result = load_files(cli, tmp_path / f"fuzz-{next(runs)}", files)
        assert_reported(result, files)
        assert_book_kept(before, set().union(*(keys_named(d) for d in files.values())))

    fuzz()


HUGE_SHAPES = {
    # name: (the line, given its size in bytes)
    "garbage": lambda n: b"x" * n,
    "one JSON string": lambda n: b'{"id": "fz-huge", "name": "' + "é".encode() * (n // 2) + b'"}',
    "nested arrays": lambda n: b"[" * n,
    "invalid UTF-8": lambda n: b'{"id": "' + b"\xff\xfe" * (n // 2) + b'"}',
    "unterminated": lambda n: b'{"id": "fz-huge", "name": "' + b"a" * n,
    "NUL bytes": lambda n: b"\x00" * n,
    "many fields": lambda n: json.dumps({f"k{i}": i for i in range(n // 12)}).encode(),
}


GOOD = (b"before", b"after")


def test_lines_of_several_megabytes_are_rejected_by_line_and_lose_nothing(
    database, book, cli, tmp_path
):
    before = book_rows()
    runs = iter(range(10**6))

    @fuzz_settings(8)
    @given(
        name=st.sampled_from(FILES),
        shape=st.sampled_from(sorted(HUGE_SHAPES)),
        size=st.integers(MB, 4 * MB),
        newline=st.booleans(),
        around=st.booleans(),
    )
    def fuzz(name: str, shape: str, size: int, newline: bool, around: bool) -> None:
        huge = HUGE_SHAPES[shape](size) + (b"\n" if newline else b"")
        files = {f"{name}.jsonl": huge}
        if around:  # the huge line between two good agencies, which still load
            good = [b'{"id": "fz-%s", "name": "Good", "parent_id": "top"}\n' % w for w in GOOD]
            files["agencies.jsonl"] = good[0] + huge + (b"" if newline else b"\n") + good[1]
        result = load_files(cli, tmp_path / f"huge-{next(runs)}", files)
        assert_reported(result, files)
        assert len(result.stdout) < 64 * 1024, "a reason quoted the whole line"
        assert_book_kept(before, {"fz-huge"})
        if around:
            stored = book_rows()["agency"]
            assert all((f"fz-{w.decode()}",) in stored for w in GOOD), result.output

    fuzz()


# ==== downline ingest =============================================================================

TEXT_SAMPLES = [p for p in SAMPLE_FILES if p.suffix != ".xlsx"]


def policies() -> dict[str, dict]:
    with db.get_engine().connect() as conn:
        table = SQLModel.metadata.tables["policy"]
        return {r.id: dict(r._mapping) for r in conn.execute(sa.select(table))}


def report_rows() -> dict[str, sa.Row]:
    with db.get_engine().connect() as conn:
        table = SQLModel.metadata.tables["carrier_report"]
        return {r.id: r for r in conn.execute(sa.select(table))}


def row_errors(report_id: str) -> list[sa.Row]:
    with db.get_engine().connect() as conn:
        table = SQLModel.metadata.tables["carrier_report_error"]
        return list(conn.execute(sa.select(table).where(table.c.report_id == report_id)))


@st.composite
def mutated_lines(draw, data: bytes) -> bytes:
    """A text sample with some lines replaced, cut, doubled, swapped or joined by junk."""
    lines = data.split(b"\n")
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["text", "bytes", "cut", "double", "swap", "fields"]))
        if action == "text":
            lines[at] = draw(TEXT).encode("utf-8", errors="surrogatepass")
        elif action == "bytes":
            lines[at] = draw(st.binary(max_size=120))
        elif action == "cut":
            lines[at] = lines[at][: draw(st.integers(0, len(lines[at])))]
        elif action == "double":
            lines.insert(at, lines[at])
        elif action == "swap":
            other = draw(st.integers(0, len(lines) - 1))
            lines[at], lines[other] = lines[other], lines[at]
        else:  # one cell replaced by anything, separators included
            cells = re.split(rb"([,\t|])", lines[at])
            cell = draw(st.integers(0, len(cells) - 1))
            cells[cell] = draw(st.sampled_from([b"", b'"', b",,", b"13/45/2026", b"=1+1"]))
            lines[at] = b"".join(cells)
    return b"\n".join(lines)


def reencoded(data: bytes, encoding: str) -> bytes:
    text = data.decode("utf-8-sig", errors="replace")  # a sample may be in Windows-1252
    text = text.replace("a", "á", 3)  # some characters outside ASCII
    return text.encode(encoding, errors="replace")


CARRIERS = sorted({p.name.split("-")[0] for p in SAMPLE_FILES})
EXCEL_CARRIERS = {p.name.split("-")[0] for p in SAMPLE_FILES if p.suffix == ".xlsx"}
DAMAGES = ("lines",) * 4 + ("truncated", "encoding", "huge", "flipped", "bytes")


@st.composite
def damaged_report(draw) -> tuple[str, bytes, str | None]:
    """(file name, bytes, --carrier or None to sniff) of a damaged carrier report: most often a
    real sample with a few lines damaged, read as its own carrier's, so rows get parsed."""
    sample = draw(st.sampled_from(SAMPLE_FILES))
    own = sample.name.split("-")[0]
    data = sample.read_bytes()
    damage = draw(st.sampled_from(DAMAGES))
    if damage == "bytes":
        data = draw(st.binary(max_size=4096))
    elif damage == "truncated":
        data = data[: draw(st.integers(0, len(data) - 1))]
    elif damage == "lines" and sample in TEXT_SAMPLES:
        data = draw(mutated_lines(data))
    elif damage == "encoding" and sample in TEXT_SAMPLES:
        encoding = draw(st.sampled_from(["utf-16", "utf-32", "utf-16-be", "latin-1", "cp1252"]))
        data = reencoded(data, encoding)
    elif damage == "huge":
        lines = data.split(b"\n")
        at = draw(st.integers(0, len(lines)))
        huge = draw(st.sampled_from([b"x", b"9,", b'"', b"\xff"])) * draw(st.integers(MB, 3 * MB))
        data = b"\n".join([*lines[:at], huge, *lines[at:]])
    else:  # (a workbook's lines or encoding too) bytes overwritten anywhere: zip, header, date
        data = bytearray(data)
        for _ in range(draw(st.integers(1, 8))):
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
        data = bytes(data)
    name = draw(st.sampled_from([sample.name, sample.name, f"report{sample.suffix}", "r.bin"]))
    carrier = draw(st.sampled_from([None, own, own, own, "another"]))
    if carrier == "another":
        carrier = draw(st.sampled_from(CARRIERS))
    return name, data, carrier


@pytest.fixture
def ingested(production_book, cli) -> dict[str, dict]:
    """The production book with two good reports ingested (a text and an Excel one)."""
    for sample in (HUMANA, ANTHEM):
        result = cli("ingest", sample, "--as-of", AS_OF)
        assert result.exit_code == 0 and "SUCCEEDED" in result.output, result.output
    stored = policies()
    assert len(stored) == 24
    return stored


def test_damaged_carrier_reports_end_in_a_verdict_and_lose_nothing(ingested, cli, tmp_path):
    runs = iter(range(10**6))

    @fuzz_settings(50)
    @given(
        report=damaged_report(),
        as_user=st.sampled_from([None, None, "n2@t.test", "admin@east.test"]),
    )
    def fuzz(report: tuple[str, bytes, str | None], as_user: str | None) -> None:
        name, data, carrier = report
        folder = tmp_path / f"ingest-{next(runs)}"
        folder.mkdir()
        (folder / name).write_bytes(data)
        args = ["ingest", folder / name, "--as-of", AS_OF]
        args += ["--carrier", carrier] if carrier else []
        args += ["--as", as_user] if as_user else []
        before, reports_before = policies(), report_rows()

        result = cli(*args)

        assert not crashed(result), f"{crashed(result)}\n{result.output}"
        new = [r for key, r in report_rows().items() if key not in reports_before]
        assert len(new) == 1, result.output
        done = new[0]
        assert done.status in ("SUCCEEDED", "FAILED"), f"left {done.status}\n{result.output}"
        assert "internal error" not in (done.error or ""), result.output
        assert f"{name}: {done.status} " in result.output
        after = policies()
        if done.status == "FAILED":
            assert result.exit_code == 1 and done.error and done.error in result.output
            assert after == before, "a failed report changed the policies"
            return
        assert result.exit_code == 0, result.output
        # A text file's rows are numbered by physical line; a workbook's by sheet row.
        last = len(data) if done.carrier in EXCEL_CARRIERS else data.count(b"\n") + 1
        for error in row_errors(done.id):
            assert 1 <= error.line <= last, error
            assert error.message.startswith(f"line {error.line}: "), error
            assert error.message in result.output
        assert set(before) <= set(after), "a policy was lost"
        for key, row in before.items():
            if after[key]["report_id"] != done.id:  # not written by this report
                assert after[key] == row, f"policy {key} changed by a report that did not write it"

    fuzz()
