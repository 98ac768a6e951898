"""Cell values as text, and the keys headers and carrier words are compared by."""

from __future__ import annotations

from datetime import date, datetime


def cell_text(value: object) -> str:
    """A cell as trimmed text: "" for nothing; an integral number as its digits (an Excel NPN
    18000001.0 is "18000001"); a date as YYYY-MM-DD."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime) and value.time() == datetime.min.time():
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def is_blank(value: object) -> bool:
    return cell_text(value) == ""


def header_key(label: object) -> str:
    """Headers match case-insensitively, whatever their spacing: "Member  ID " == "member id"."""
    return "".join(cell_text(label).split()).casefold()


def word_key(word: object) -> str:
    """Status, reason and product words match case-insensitively, inner spaces folded."""
    return " ".join(cell_text(word).split()).casefold()
