"""`carrier_parser`: a CarrierParser built from a carrier's format data, all logic from the kit."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import BinaryIO, Protocol

from downline.core.carriers.kit.dates import DateKind, date_kind
from downline.core.carriers.kit.headers import HeaderSpec
from downline.core.carriers.kit.records import RecordRules, product_table, to_record
from downline.core.carriers.kit.rows import Judge, Row
from downline.core.carriers.kit.statuses import StatusTable, status_table
from downline.core.carriers.parsers import CarrierParser, FileRejected
from downline.core.production.vocabulary import PolicyRecord, ProductType, RowError

SNIFF_AS_OF = date(9999, 12, 31)  # sniffing judges the shape of rows, not their dates of birth


class Source(Protocol):
    """A row source of `rows.py` (Delimited, FixedWidth, Excel) or one written alike."""

    trailer: str | None
    strict_width: bool

    def rows(self, stream: BinaryIO) -> Iterator[Row]: ...
    def sniff(self, head: bytes, filename: str, judge: Judge) -> float: ...


def trailer_pattern(template: str) -> re.Pattern[str]:
    """The pattern of a trailer template such as "TOTAL RECORDS: {count}" or "TRL{count:09d}"
    (any letter case, loose spaces), its group 1 the count."""
    before, found, rest = template.partition("{count")
    spec, closed, after = rest.partition("}")
    if not found or not closed or "{count" in after:
        raise ValueError(f"trailer {template!r} must hold {{count}} or {{count:0Nd}} once")
    digits = rf"(\d{{{int(spec[2:-1])}}})" if spec.startswith(":0") else r"(\d+)"
    return re.compile(_loose(before) + digits + _loose(after), re.IGNORECASE)


def _loose(text: str) -> str:
    return re.sub(r"(\\ )+", r"\\s*", re.escape(text))


def _alnum(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "", text.casefold())


@dataclass(frozen=True)
class CarrierFormat:
    """One carrier's format; `parse` and `sniff` are the CarrierParser's."""

    key: str
    name: str
    source: Source
    header: HeaderSpec
    rules: RecordRules
    trailer: re.Pattern[str] | None

    def parse(self, stream: BinaryIO, as_of: date) -> Iterator[PolicyRecord | RowError]:
        rows = self.source.rows(stream)
        header = next(rows, None)
        if header is None:
            raise FileRejected(f"{self.name} report: the file is empty (no header line)")
        columns = self.header.match(header.cells, self.name)
        trailer = self.trailer
        records, trailer_line = 0, 0
        for row in rows:
            if trailer_line:
                raise FileRejected(f"line {row.line}: data after the trailer line {trailer_line}")
            found = trailer.fullmatch(row.text) if trailer else None
            if found:
                trailer_line, stated = row.line, int(found.group(1))
                if stated != records:
                    raise FileRejected(
                        f"line {row.line}: the trailer counts {stated} records, "
                        f"the file holds {records}"
                    )
                continue
            records += 1
            problem = self.source.strict_width and _width_problem(row, columns.width)
            if problem:
                yield RowError(row.line, f"line {row.line}: {problem}")
            else:
                yield to_record(
                    row.line, columns.values(row.cells), columns.labels, self.rules, as_of
                )
        if trailer and not trailer_line:
            example = self.source.trailer.format(count=records)
            raise FileRejected(
                f"no trailer line (like '{example}') at the end: the file may be cut short"
            )

    def sniff(self, head: bytes, filename: str) -> float:
        return self.source.sniff(head, filename, self)

    # The Judge a source's sniff consults.
    def header_score(self, cells: Sequence[object]) -> float:
        return self.header.score(cells)

    def words_score(self, words: set[str]) -> float:
        return self.header.score_keys(words)

    def rows_score(self, rows: list[Row]) -> float:
        """The fraction of the rows after the header (`rows[0]`) that read as good records."""
        trailer = self.trailer
        body = [row for row in rows[1:] if not (trailer and trailer.fullmatch(row.text))]
        if not body:
            return 0.0
        try:
            columns = self.header.match(rows[0].cells, self.name)
        except FileRejected:
            return 0.0
        good = 0
        for row in body:
            values = columns.values(row.cells)
            record = to_record(row.line, values, columns.labels, self.rules, SNIFF_AS_OF)
            good += isinstance(record, PolicyRecord)
        return good / len(body)

    def named_in(self, filename: str) -> bool:
        return _alnum(self.key) in _alnum(filename) or _alnum(self.name) in _alnum(filename)


def _width_problem(row: Row, width: int) -> str | None:
    count = len(row.cells)
    spans = (
        f" (the record runs over lines {row.line}-{row.last_line})"
        if row.last_line > row.line
        else ""
    )
    if count < width:
        return f"{count} fields where the header has {width}: a cut-short row?{spans}"
    if count > width and any(row.cells[width:]):
        return f"{count} fields where the header has {width}: an unquoted separator?{spans}"
    return None


def carrier_parser(
    *,
    key: str,
    name: str,
    source: Source,
    columns: Mapping[str, str | None] | str,
    dates: str | DateKind,
    products: Mapping[str, str | ProductType],
    statuses: StatusTable | str,
    cleaners: Mapping[str, Callable[[str], str]] | None = None,
    aliases: Sequence[str] = (),
) -> CarrierParser:
    """A CarrierParser from data: `columns` maps each header label to a field (None: ignored;
    for FixedWidth, the field labels), as a mapping or a `column_table` text; `dates` is a
    strftime format, "excel-date" or "excel-serial"; `products` maps product words to ProductType
    names; `statuses` is a `status_table` or its text; `cleaners` maps a field to a function
    applied to its text; `aliases`, other names the carrier goes by on applications."""
    if isinstance(statuses, str):
        statuses = status_table(statuses)
    rules = RecordRules(date_kind(dates), product_table(products), statuses, dict(cleaners or {}))
    trailer = trailer_pattern(source.trailer) if source.trailer else None
    fmt = CarrierFormat(key, name, source, HeaderSpec.build(columns), rules, trailer)
    product_types = tuple(dict.fromkeys(rules.products.values()))
    return CarrierParser(key, name, product_types, fmt.sniff, fmt.parse, tuple(aliases))
