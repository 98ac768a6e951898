"""Header rows matched to a carrier's column map: any order, any case or spacing, extra columns
ignored; a missing required column rejects the file, naming it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from downline.core.carriers.kit.cells import cell_text, header_key
from downline.core.carriers.parsers import FileRejected

# The fields a column may map to (None in a column map: a column that is read and ignored).
TEXT_FIELDS = (
    "carrier_policy_id", "agent_npn", "member_id", "first_name", "last_name", "name_last_first",
    "name_first_last", "contract", "pbp", "plan_id", "plan_name", "product_type", "county",
    "state", "status", "reason",
)  # fmt: skip
DATE_FIELDS = ("dob", "submitted_date", "effective_date", "term_date")
FIELDS = frozenset(TEXT_FIELDS + DATE_FIELDS)
# The fields masked everywhere else (a date of birth, a member or Medicare id): a rejected row names
# their column and what is wrong, never the cell's text, since its message is shown to every admin
# above the uploader and stored with the report (docs/domain.md).
MASKED_FIELDS = frozenset({"dob", "member_id"})
# Required where the carrier's map has them (a status column only where the format has one).
REQUIRED = ("carrier_policy_id", "agent_npn", "effective_date", "status")
ALWAYS_REQUIRED = ("carrier_policy_id", "agent_npn", "effective_date")


IGNORED = ("", "-", "(ignored)")


def column_table(text: str) -> dict[str, str | None]:
    """Read a column map written one column a line, `header label | field` (the format's
    "column | maps to"); a blank field, "-" or "(ignored)" marks a column read and ignored."""
    columns: dict[str, str | None] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        label, bar, name = (part.strip() for part in line.partition("|"))
        if not bar or not label:
            raise ValueError(f"column table line {number}: want 'header label | field'")
        columns[label] = None if name in IGNORED else name
    return columns


@dataclass(frozen=True)
class HeaderMap:
    """Where each field sits in this file's rows, and the column label it had there."""

    index: dict[str, int]
    labels: dict[str, str]
    width: int

    def values(self, cells: Sequence[object]) -> dict[str, object]:
        if len(cells) >= self.width:  # the usual row: no bounds check per cell
            return {f: cells[i] for f, i in self.index.items()}
        return {f: cells[i] if i < len(cells) else None for f, i in self.index.items()}


@dataclass(frozen=True)
class HeaderSpec:
    """A carrier's columns: header label -> field (or None: known, ignored)."""

    columns: dict[str, str | None]  # header_key -> field
    labels: dict[str, str]  # field -> the carrier's label, for messages
    required: tuple[str, ...]

    @classmethod
    def build(cls, columns: Mapping[str, str | None] | str) -> HeaderSpec:
        """From a column map, or its text (see `column_table`)."""
        if isinstance(columns, str):
            columns = column_table(columns)
        keyed: dict[str, str | None] = {}
        labels: dict[str, str] = {}
        for label, name in columns.items():
            if name is not None and name not in FIELDS:
                raise ValueError(f"column {label!r} maps to unknown field {name!r}")
            if name is not None and name in labels:
                raise ValueError(f"columns {labels[name]!r} and {label!r} both map to {name}")
            keyed[header_key(label)] = name
            if name is not None:
                labels[name] = label
        missing = [name for name in ALWAYS_REQUIRED if name not in labels]
        if missing:
            raise ValueError(f"no column maps to {', '.join(missing)}")
        return cls(keyed, labels, tuple(name for name in REQUIRED if name in labels))

    def match(self, header: Sequence[object], carrier: str) -> HeaderMap:
        """Map a file's header row; FileRejected naming the required columns it lacks."""
        index: dict[str, int] = {}
        labels: dict[str, str] = {}
        for position, cell in enumerate(header):
            name = self.columns.get(header_key(cell))
            if name is not None and name not in index:  # a repeated column: the first one counts
                index[name] = position
                labels[name] = cell_text(cell)
        missing = [self.labels[name] for name in self.required if name not in index]
        if missing:
            plural = "s" if len(missing) > 1 else ""
            named = ", ".join(f"'{label}'" for label in missing)
            raise FileRejected(f"{carrier} report: missing required column{plural} {named}")
        return HeaderMap(index, labels, len(header))

    def score(self, header: Sequence[object]) -> float:
        """The fraction of this carrier's columns present, halved when a required one is not."""
        return self.score_keys({header_key(cell) for cell in header})

    def score_keys(self, keys: set[str]) -> float:
        if not self.columns:
            return 0.0
        found = sum(1 for key in self.columns if key in keys)
        present = {name for key, name in self.columns.items() if key in keys}
        fraction = found / len(self.columns)
        return fraction if all(name in present for name in self.required) else fraction / 2
