"""Pieces every list filter shares: date bounds on timestamps and case-insensitive search."""

import re
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, or_

PHONE_LIKE = re.compile(r"[\d\s().+-]+")


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def within_days(column, start: date | None, end: date | None) -> list:
    """A timestamp column compared by its UTC date, both bounds inclusive."""
    conditions = []
    if start is not None:
        conditions.append(column >= day_start(start))
    if end is not None:
        conditions.append(column < day_start(end + timedelta(days=1)))
    return conditions


def like_pattern(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_condition(text: str, text_columns: list, phone_digits_column=None):
    """Case-insensitive substring over `text_columns`; phone numbers compared by their digits."""
    pattern = like_pattern(text.strip())
    conditions = [func.lower(c).like(pattern, escape="\\") for c in text_columns]
    digits = re.sub(r"\D", "", text)
    # Only a search that looks like a phone number is compared by digits: "100%" is not one.
    if phone_digits_column is not None and digits and PHONE_LIKE.fullmatch(text.strip()):
        conditions.append(phone_digits_column.like(f"%{digits}%"))
    return or_(*conditions)
