"""Making a value safe to leave in a CSV cell (docs/domain.md): PII masked, formulas neutralised,
and one spelling per kind of value.

- PII columns (ssn, dob, income) are always the mask when a value is present, empty when not.
- A text cell that begins with =, +, -, @, tab, CR or LF gets a leading single quote, so no
  spreadsheet runs it. Number, money, date and bool cells are written plainly.
- Dates YYYY-MM-DD, timestamps ISO 8601 in UTC, money with two decimals, booleans Yes/No.
"""

from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal

MASKS = {"ssn": "***-**-****", "dob": "**/**/****", "income": "*****"}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
CENT = Decimal("0.01")


def cell(value: object, kind: str = "text", pii: str | None = None) -> str:
    if value is None or value == "":
        return ""
    if pii is not None:
        return MASKS[pii]
    return FORMAT[kind](value)


def _text(value: object) -> str:
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def _number(value: object) -> str:
    return str(value)


def _money(value: object) -> str:
    return str(Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP))


def _date(value: object) -> str:
    if isinstance(value, datetime):
        value = value.date()
    return value.isoformat() if isinstance(value, date) else str(value)


def _datetime(value: object) -> str:
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).isoformat()
    return str(value)


def _bool(value: object) -> str:
    return "Yes" if value else "No"


FORMAT = {
    "text": _text,
    "number": _number,
    "money": _money,
    "date": _date,
    "datetime": _datetime,
    "bool": _bool,
}
