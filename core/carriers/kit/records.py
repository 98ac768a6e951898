"""One mapped row -> a PolicyRecord, or a RowError naming the line, the carrier's column and why."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date

from downline.core.carriers.kit.cells import cell_text, word_key
from downline.core.carriers.kit.dates import DateKind
from downline.core.carriers.kit.headers import DATE_FIELDS, MASKED_FIELDS
from downline.core.carriers.kit.names import split_first_last, split_last_first
from downline.core.carriers.kit.statuses import StatusTable
from downline.core.production.vocabulary import PolicyRecord, ProductType, RowError

_DIGITS = re.compile(r"[0-9]+")
DATE_CACHE = 100_000  # entries: a few MiB at most


def clean_npn(raw: str) -> str | None:
    """Digits only, spaces and leading zeros stripped; None unless that leaves 1-10 digits."""
    compact = "".join(raw.split())
    if not _DIGITS.fullmatch(compact):
        return None
    npn = compact.lstrip("0")
    return npn if 1 <= len(npn) <= 10 else None


def join_plan_id(contract: str, pbp: str) -> str | None:
    """Contract + PBP as "H1234-001" (PBP zero-padded to 3 digits)."""
    if contract and pbp:
        return f"{contract}-{pbp.zfill(3)}"
    return contract or None


def product_table(words: Mapping[str, str | ProductType]) -> dict[str, ProductType]:
    """A carrier's product words (matched case-insensitively) -> ProductType."""
    return {word_key(word): ProductType(product) for word, product in words.items()}


@dataclass(frozen=True)
class RecordRules:
    """What turns one carrier's row values into a record."""

    dates: DateKind
    products: dict[str, ProductType]
    statuses: StatusTable
    cleaners: Mapping[str, Callable[[str], str]] = field(default_factory=dict)
    # Parsed dates by (cell, as-of for a birth date): a report repeats its dates (month-start
    # effective dates, a few thousand birth dates), and parsing is the costliest step of a row.
    parsed_dates: dict = field(default_factory=dict, compare=False, repr=False)


class _Rejected(Exception):
    pass


def cited(name: str, labels: Mapping[str, str], value: object) -> str:
    """A cell as a rejection names it: the carrier's column and the text found in it
    (`Eff Date '13/45/2026'`), or the column alone for a masked field (`Member DOB`)."""
    if name in MASKED_FIELDS:
        return labels[name]
    return f"{labels[name]} '{cell_text(value)}'"


def to_record(
    line: int,
    values: Mapping[str, object],
    labels: Mapping[str, str],
    rules: RecordRules,
    as_of: date,
) -> PolicyRecord | RowError:
    """Build the record of one row (`values`: field -> cell, `labels`: field -> column label)."""
    # The hot loop of an ingest (a million rows, twenty cells each): a text cell is stripped
    # inline, other cells (Excel numbers, dates) go through cell_text.
    text = {
        name: value.strip() if type(value) is str else cell_text(value)
        for name, value in values.items()
        if name not in DATE_FIELDS
    }
    for name, clean in rules.cleaners.items():
        if name in text:
            text[name] = clean(text[name])
    try:
        policy_id, npn = _identity(text, labels)
        dates = {name: _date(name, values, labels, rules, as_of) for name in DATE_FIELDS}
    except _Rejected as problem:
        return RowError(line, f"line {line}: {problem}")
    first, last = _names(text)
    status, term_reason, wording = rules.statuses.resolve(
        text.get("status", ""), text.get("reason", ""),
        dates["effective_date"], dates["term_date"], as_of,
    )  # fmt: skip
    plan_id = text.get("plan_id") or join_plan_id(text.get("contract", ""), text.get("pbp", ""))
    return PolicyRecord(
        line=line,
        carrier_policy_id=policy_id,
        agent_npn=npn,
        member_id=text.get("member_id") or None,
        first_name=first,
        last_name=last,
        date_of_birth=dates["dob"],
        plan_id=plan_id,
        plan_name=text.get("plan_name") or None,
        product_type=rules.products.get(word_key(text.get("product_type")), ProductType.OTHER),
        county=text.get("county") or None,
        state=text.get("state") or None,
        status=status,
        term_reason=term_reason,
        source_status=wording,
        submitted_date=dates["submitted_date"],
        effective_date=dates["effective_date"],
        term_date=dates["term_date"],
    )


def _identity(text: Mapping[str, str], labels: Mapping[str, str]) -> tuple[str, str]:
    """(policy id, NPN), or _Rejected naming the column at fault."""
    policy_id = text.get("carrier_policy_id", "")
    if not policy_id:
        raise _Rejected(f"{labels['carrier_policy_id']} is empty: a policy id is required")
    raw_npn = text.get("agent_npn", "")
    npn = clean_npn(raw_npn)
    if npn is None:
        if not raw_npn:
            raise _Rejected(f"{labels['agent_npn']} is empty: an NPN is required")
        raise _Rejected(f"{cited('agent_npn', labels, raw_npn)} is not an NPN (1-10 digits)")
    return policy_id, npn


def _date(
    name: str,
    values: Mapping[str, object],
    labels: Mapping[str, str],
    rules: RecordRules,
    as_of: date,
) -> date | None:
    value = values.get(name)
    if value is None or value == "":
        return None
    birth_as_of = as_of if name == "dob" else None
    key = (value, birth_as_of)
    parsed = rules.parsed_dates.get(key)
    if parsed is None:
        if not cell_text(value):
            return None
        try:
            parsed = rules.dates.parse(value, birth_as_of=birth_as_of)
        except (ValueError, OverflowError):
            raise _Rejected(
                f"{cited(name, labels, value)} is not a date ({rules.dates.label})"
            ) from None
        if len(rules.parsed_dates) >= DATE_CACHE:
            rules.parsed_dates.clear()
        rules.parsed_dates[key] = parsed
    if birth_as_of is not None and parsed > as_of:
        raise _Rejected(f"{cited(name, labels, value)} is after the as-of date {as_of.isoformat()}")
    return parsed


def _names(text: Mapping[str, str]) -> tuple[str, str]:
    if "name_last_first" in text:
        return split_last_first(text["name_last_first"])
    if "name_first_last" in text:
        return split_first_last(text["name_first_last"])
    return text.get("first_name", ""), text.get("last_name", "")
