"""Date kinds a carrier writes: strftime text, Excel date cells, Excel serial day numbers.

Two-digit years: 00-69 are 2000-2069 and 70-99 are 1970-1999, except in a date of
birth, which is the latest date with those digits that is not after the ingest's `as_of`
(as of 2026-11-24, `62` is 1962 and `20` is 2020; `12/01/26` is 1926-12-01).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Protocol

EXCEL_EPOCH = date(1899, 12, 30)  # serial 45658 = 2025-01-01 (the 1900 leap-year bug included)
_LABELS = {"%m": "MM", "%d": "DD", "%Y": "YYYY", "%y": "YY", "%b": "Mon", "%B": "Month"}


class DateKind(Protocol):
    """How one carrier writes dates. `parse` raises ValueError for a value of another kind."""

    label: str

    def parse(self, value: object, *, birth_as_of: date | None = None) -> date: ...


def century_year(two_digits: int) -> int:
    """00-69 -> 2000-2069, 70-99 -> 1970-1999."""
    return 2000 + two_digits if two_digits <= 69 else 1900 + two_digits


def birth_date(two_digit_year: int, month: int, day: int, as_of: date) -> date:
    """The latest date with these two year digits, month and day that is not after `as_of`."""
    year = as_of.year - as_of.year % 100 + two_digit_year
    for _ in range(5):  # 29 February may skip a century (1900 was not a leap year)
        try:
            found = date(year, month, day)
        except ValueError:
            found = None
        if found is not None and found <= as_of:
            return found
        year -= 100
        if year < 1:
            break
    raise ValueError("no such date of birth")


@lru_cache(maxsize=8192)
def _strptime(text: str, fmt: str) -> date:
    """strptime is slow and a report repeats its dates (effective dates are month starts)."""
    return datetime.strptime(text, fmt).date()


@dataclass(frozen=True)
class Strftime:
    """Text dates in one strftime format, e.g. "%m/%d/%Y" (labelled MM/DD/YYYY in messages)."""

    fmt: str
    label: str = field(init=False)

    def __post_init__(self) -> None:
        label = re.sub(r"%[a-zA-Z]", lambda m: _LABELS.get(m.group(), m.group()), self.fmt)
        object.__setattr__(self, "label", label)

    def parse(self, value: object, *, birth_as_of: date | None = None) -> date:
        if not isinstance(value, str):
            raise ValueError(f"not text in {self.label}")
        parsed = _strptime(value.strip(), self.fmt)
        if "%y" not in self.fmt:
            return parsed
        if birth_as_of is not None:
            return birth_date(parsed.year % 100, parsed.month, parsed.day, birth_as_of)
        return parsed.replace(year=century_year(parsed.year % 100))


@dataclass(frozen=True)
class ExcelDateCell:
    """Real Excel date cells (calamine gives a date or a datetime)."""

    label: str = "an Excel date cell"

    def parse(self, value: object, *, birth_as_of: date | None = None) -> date:
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        raise ValueError(f"not {self.label}")


@dataclass(frozen=True)
class ExcelSerial:
    """Excel serial day numbers stored as plain numbers (45658 = 2025-01-01)."""

    label: str = "an Excel serial day number"

    def parse(self, value: object, *, birth_as_of: date | None = None) -> date:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"not {self.label}")
        if not 1 <= value < 2958466:  # 9999-12-31
            raise ValueError(f"{value} is out of range")
        return excel_serial_date(value)


def excel_serial_date(serial: float) -> date:
    return EXCEL_EPOCH + timedelta(days=int(serial))


EXCEL_DATE_CELL = ExcelDateCell()
EXCEL_SERIAL = ExcelSerial()


def date_kind(spec: str | DateKind) -> DateKind:
    """A strftime format string, "excel-date", "excel-serial", or a DateKind as is."""
    if not isinstance(spec, str):
        return spec
    if spec == "excel-date":
        return EXCEL_DATE_CELL
    if spec == "excel-serial":
        return EXCEL_SERIAL
    if "%" not in spec:
        raise ValueError(f"date format {spec!r}: a strftime format, excel-date or excel-serial")
    return Strftime(spec)
