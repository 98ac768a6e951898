"""Status/reason tables, the carrier's own wording, and status inference from dates.

A table is written as text, one row a line, the way a carrier's format documents it:

    status value | reason value | STATUS | REASON

blank cells for "(empty)", REASON optional. STATUS may be `ENDED`: ATTRITED when the term date is on
or before the effective date, else POLICY_DISENROLLMENT (Humana's "Inactive / Other"). A carrier
without a status column lists its reasons with an empty status value.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from downline.core.carriers.kit.cells import word_key
from downline.core.production.vocabulary import PolicyStatus, TermReason

ENDED = "ENDED"
_ENDINGS = (PolicyStatus.ATTRITED, PolicyStatus.POLICY_DISENROLLMENT)


def infer_status(effective: date | None, term: date | None, as_of: date) -> PolicyStatus:
    """The dates decide (docs/domain.md), as of `as_of`."""
    if term is not None and term <= as_of:
        return ended_status(effective, term)
    if effective is not None:
        return PolicyStatus.APPROVED if effective > as_of else PolicyStatus.ACTIVE
    return PolicyStatus.UNKNOWN


def ended_status(effective: date | None, term: date | None) -> PolicyStatus:
    """An ended policy: ATTRITED if it ended on or before its effective date."""
    if term is not None and effective is not None and term <= effective:
        return PolicyStatus.ATTRITED
    return PolicyStatus.POLICY_DISENROLLMENT


def source_status(status: str, reason: str) -> str | None:
    """The carrier's wording: "status", "status / reason", the reason alone, or None."""
    if status and reason:
        return f"{status} / {reason}"
    return status or reason or None


@dataclass(frozen=True)
class Outcome:
    status: PolicyStatus | str  # a PolicyStatus, or ENDED
    reason: TermReason | None


@dataclass(frozen=True)
class StatusTable:
    rows: dict[tuple[str, str], Outcome]

    def resolve(
        self, status: str, reason: str, effective: date | None, term: date | None, as_of: date
    ) -> tuple[PolicyStatus, TermReason | None, str | None]:
        """(status, term reason, source_status) for one row's carrier words and dates."""
        wording = source_status(status, reason)
        if not status:
            inferred = infer_status(effective, term, as_of)
            if inferred not in _ENDINGS:
                return inferred, None, wording
            return inferred, self.reason_for(inferred, reason) or TermReason.OTHER, wording
        key = word_key(status)
        outcome = self.rows.get((key, word_key(reason))) or self.rows.get((key, ""))
        if outcome is None:
            return PolicyStatus.UNKNOWN, None, wording
        if outcome.status == ENDED:
            return ended_status(effective, term), outcome.reason, wording
        return PolicyStatus(outcome.status), outcome.reason, wording

    def reason_for(self, status: PolicyStatus, reason: str) -> TermReason | None:
        """The reason a table row gives `reason` text for this status, whatever its status word."""
        if not reason:
            return None
        wanted = word_key(reason)
        for (_, row_reason), outcome in self.rows.items():
            if row_reason == wanted and outcome.status == status:
                return outcome.reason
        return None


def status_table(text: str) -> StatusTable:
    """Read a table written `status | reason | STATUS | REASON` (see the module docstring)."""
    rows: dict[tuple[str, str], Outcome] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        cells = [cell.strip() for cell in line.split("|")]
        if len(cells) not in (3, 4) or not cells[2]:
            raise ValueError(f"status table line {number}: want 'status | reason | STATUS [| R]'")
        if cells[2] != ENDED and cells[2] not in PolicyStatus.__members__:
            raise ValueError(f"status table line {number}: unknown status {cells[2]!r}")
        reason = cells[3] if len(cells) == 4 else ""
        if reason and reason not in TermReason.__members__:
            raise ValueError(f"status table line {number}: unknown reason {reason!r}")
        status = cells[2] if cells[2] == ENDED else PolicyStatus(cells[2])
        key = (word_key(cells[0]), word_key(cells[1]))
        if key in rows:
            raise ValueError(f"status table line {number}: {cells[0]} / {cells[1]} twice")
        rows[key] = Outcome(status, TermReason(reason) if reason else None)
    return StatusTable(rows)
