"""Client names written in one column: "LAST, FIRST" or "FIRST LAST". Letter case is kept."""

from __future__ import annotations


def split_first_last(name: str) -> tuple[str, str]:
    """Split "FIRST [MIDDLE] LAST" into (first, last): the last word is the last name."""
    words = name.split()
    if not words:
        return "", ""
    return " ".join(words[:-1]), words[-1]


def split_last_first(name: str) -> tuple[str, str]:
    """Split "LAST, FIRST" into (first, last); without a comma, read it as "FIRST LAST"."""
    last, comma, first = name.partition(",")
    if not comma:
        return split_first_last(name)
    return " ".join(first.split()), " ".join(last.split())
