"""Conformance kit for carrier and export plugins, installed as the pytest plugin `downline`.

A carrier plugin's author keeps a sample report and the records it must give, in the JSON shape of
downline's own samples::

    {"records": [{"carrier_policy_id": "...", "status": "ACTIVE", "client_name": "...", ...}],
     "rejected_lines": [7], "unmatched_npns": ["123"]}

and checks the parser against it::

    def test_my_carrier(carrier_conformance):
        carrier_conformance(PARSER, "tests/sample.csv", "tests/sample.json",
                            as_of="2026-11-24", known_npns={"18000001"})

    def test_my_carrier_is_recognised(carrier_sniff):
        carrier_sniff(PARSER, "tests/sample.csv")  # chosen over every installed carrier

    def test_my_carrier_is_named_on_applications(carrier_naming):
        carrier_naming(PARSER)  # its name and aliases name it, and no installed carrier else

Each expected record is compared on the keys it holds, in file order: any `PolicyRecord` field,
plus `carrier` (the parser's key) and `client_name` ("First Last"); enums compare by value and
dates as YYYY-MM-DD. The rejected lines and the NPNs outside `known_npns` must match too. A
mismatch fails with one line per difference.

An export type is checked as downline checks it when the plugin is registered, plus what makes
its file readable: every column and parameter explained in the legend, and the defaults of its
parameters valid::

    def test_my_export(export_conformance):
        export_conformance(MY_TYPE)
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from enum import Enum
from pathlib import Path

import pytest

from downline.core.carriers.parsers import (
    CarrierNotRecognized,
    CarrierParser,
    check_aliases,
    sniff_carrier,
)
from downline.core.exports.params import validate
from downline.core.exports.types import ExportType, check_export_type
from downline.core.plugins import installed_parsers
from downline.core.production.naming import carrier_names, carriers_named
from downline.core.production.vocabulary import PolicyRecord, RowError

SNIFF_BYTES = 64 * 1024  # what `downline ingest` reads of a file to recognise it


@dataclass(frozen=True)
class ParseResult:
    """What a parser made of one file."""

    records: list[PolicyRecord]
    errors: list[RowError]

    @property
    def rejected_lines(self) -> list[int]:
        return [error.line for error in self.errors]

    def unmatched_npns(self, known_npns: Iterable[str | int]) -> list[str]:
        known = {str(npn) for npn in known_npns}
        return sorted({r.agent_npn for r in self.records if r.agent_npn not in known})


def parse_file(parser: CarrierParser, path: str | Path, as_of: date | str) -> ParseResult:
    """Run `parser.parse` over a file; FileRejected propagates."""
    records: list[PolicyRecord] = []
    errors: list[RowError] = []
    with open(path, "rb") as stream:
        for item in parser.parse(stream, _day(as_of)):
            if isinstance(item, PolicyRecord):
                records.append(item)
            else:
                errors.append(item)
    return ParseResult(records, errors)


def record_view(record: PolicyRecord, carrier: str, keys: Iterable[str]) -> dict[str, object]:
    """The record as the expected JSON writes it, on `keys`."""
    view: dict[str, object] = {}
    for key in keys:
        if key == "carrier":
            value: object = carrier
        elif key == "client_name":
            value = record.client_name
        else:
            value = getattr(record, key, "<no such field>")
        if isinstance(value, Enum):
            value = value.value
        elif isinstance(value, date):
            value = value.isoformat()
        view[key] = value
    return view


def check_carrier_sample(
    parser: CarrierParser,
    sample_path: str | Path,
    expected_json_path: str | Path,
    as_of: date | str,
    known_npns: Iterable[str | int],
) -> ParseResult:
    """Parse the sample and assert it gives the expected records, rejected lines and unmatched
    NPNs; returns the parse for further checks."""
    expected = json.loads(Path(expected_json_path).read_text(encoding="utf-8"))
    result = parse_file(parser, sample_path, as_of)
    problems: list[str] = []
    wanted = expected.get("records", [])
    if len(wanted) != len(result.records):
        problems.append(f"{len(result.records)} records, expected {len(wanted)}")
    for number, (want, got) in enumerate(zip(wanted, result.records, strict=False), 1):
        seen = record_view(got, parser.key, want)
        for key, value in want.items():
            if seen[key] != value:
                problems.append(
                    f"record {number} (line {got.line}, {got.carrier_policy_id}): "
                    f"{key}: expected {value!r}, got {seen[key]!r}"
                )
    if result.rejected_lines != expected.get("rejected_lines", []):
        detail = "; ".join(error.message for error in result.errors) or "none"
        problems.append(
            f"rejected lines {result.rejected_lines}, expected "
            f"{expected.get('rejected_lines', [])} (errors: {detail})"
        )
    unmatched = result.unmatched_npns(known_npns)
    if unmatched != sorted(expected.get("unmatched_npns", [])):
        problems.append(
            f"unmatched NPNs {unmatched}, expected {sorted(expected.get('unmatched_npns', []))}"
        )
    if problems:
        lines = "\n".join(f"  - {problem}" for problem in problems)
        raise AssertionError(f"{parser.key}: {Path(sample_path).name} does not conform:\n{lines}")
    return result


def _day(as_of: date | str) -> date:
    return as_of if isinstance(as_of, date) else date.fromisoformat(as_of)


def check_sniff(parser: CarrierParser, sample_path: str | Path) -> None:
    """Assert that a file is recognised as `parser`'s when no carrier is named: by the same rule
    and over the same first 64 KiB as `downline ingest`, among every installed carrier (with
    `parser` in place of an installed one of its key)."""
    path = Path(sample_path)
    with path.open("rb") as stream:
        head = stream.read(SNIFF_BYTES)
    pool = {**installed_parsers(), parser.key: parser}
    try:
        chosen = sniff_carrier(pool, head, path.name)
    except CarrierNotRecognized as exc:
        raise AssertionError(f"{parser.key}: {exc}") from None
    assert chosen is parser, f"{path.name} is recognised as {chosen.key}, not {parser.key}"


def check_carrier_naming(parser: CarrierParser) -> None:
    """Assert that the parser's aliases are well formed and that its key, its name and each alias,
    written as an application's carrier, name this carrier and no other installed one (with
    `parser` in place of an installed one of its key): otherwise its applications would read as
    having no carrier feed."""
    try:
        check_aliases(parser)
    except (TypeError, ValueError) as exc:
        raise AssertionError(str(exc)) from None
    names = carrier_names({**installed_parsers(), parser.key: parser})
    problems = []
    for written in (parser.key, parser.name, *parser.aliases):
        named = carriers_named(written, names)
        if named != {parser.key}:
            others = ", ".join(sorted(named - {parser.key})) or "nothing"
            problems.append(f"{written!r} names {others}")
    assert not problems, f"{parser.key}: " + "; ".join(problems)


@pytest.fixture
def carrier_naming() -> Callable[[CarrierParser], None]:
    """`check_carrier_naming(parser)`."""
    return check_carrier_naming


@pytest.fixture
def carrier_sniff() -> Callable[[CarrierParser, str | Path], None]:
    """`check_sniff(parser, sample_path)`."""
    return check_sniff


@pytest.fixture
def carrier_conformance() -> Callable[..., ParseResult]:
    """`check_carrier_sample(parser, sample_path, expected_json_path, as_of, known_npns)`."""
    return check_carrier_sample


def check_export_type_conformance(export_type: ExportType) -> None:
    """Registration's checks, a legend line for every column and parameter, and parameters whose
    defaults pass their own validation (what `requestExport` with no params does)."""
    try:
        check_export_type(export_type)
    except (TypeError, ValueError) as exc:
        raise AssertionError(str(exc)) from None
    unexplained = [c.name for c in export_type.columns if not c.description.strip()]
    unexplained += [p.name for p in export_type.parameters if not p.description.strip()]
    assert not unexplained, f"{export_type.key}: no description for {', '.join(unexplained)}"
    required = {p.name for p in export_type.parameters if p.required}
    if not required:
        validate(export_type, {})


@pytest.fixture
def export_conformance() -> Callable[[ExportType], None]:
    """`check_export_type_conformance(export_type)`."""
    return check_export_type_conformance
