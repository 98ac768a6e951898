"""Pieces every list filter shares: date bounds on timestamps and case-insensitive search."""

import re
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, or_

from downline.core.errors import BadUserInput

PHONE_LIKE = re.compile(r"[\d\s().+-]+")
# Longer than any name, email, phone or application id; and far below SQLite's limit on a LIKE
# pattern (50,000 bytes), past which the query failed as an internal error.
MAX_SEARCH = 200


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def within_days(column, start: date | None, end: date | None) -> list:
    """A timestamp column compared by its UTC date, both bounds inclusive."""
    conditions = []
    if start is not None:
        conditions.append(column >= day_start(start))
    # The last day a date can name (9999-12-31) has no next day: it bounds nothing.
    if end is not None and end < date.max:
        conditions.append(column < day_start(end + timedelta(days=1)))
    return conditions


def like_pattern(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def searched(text: str | None) -> str | None:
    """A list's search as its query uses it: trimmed, None when blank. Its length is checked as
    given, padding included: a search of millions of spaces around "ma" is no short search."""
    if text is None:
        return None
    if len(text) > MAX_SEARCH:
        raise BadUserInput(f"search may be at most {MAX_SEARCH} characters", field="search")
    return text.strip() or None


def search_condition(text: str, text_columns: list, phone_digits_column=None):
    """Case-insensitive substring over `text_columns`; phone numbers compared by their digits.
    `text` is a search as `searched` gives it."""
    conditions = [func.lower(c).like(like_pattern(text), escape="\\") for c in text_columns]
    digits = re.sub(r"\D", "", text)
    # Only a search that looks like a phone number is compared by digits: "100%" is not one.
    if phone_digits_column is not None and digits and PHONE_LIKE.fullmatch(text):
        conditions.append(phone_digits_column.like(f"%{digits}%"))
    return or_(*conditions)
