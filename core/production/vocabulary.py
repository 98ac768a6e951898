"""The production vocabulary: the statuses, termination reasons and product types a policy has,
and the normalized row (`PolicyRecord`) every carrier plugin turns its report into."""

import enum
from dataclasses import dataclass
from datetime import date


class PolicyStatus(enum.StrEnum):
    APPROVED = "APPROVED"
    ACTIVE = "ACTIVE"
    ATTRITED = "ATTRITED"
    DECEASED = "DECEASED"
    POLICY_DISENROLLMENT = "POLICY_DISENROLLMENT"
    UNKNOWN = "UNKNOWN"


class TermReason(enum.StrEnum):
    DENIED = "DENIED"
    WITHDRAWN = "WITHDRAWN"
    CANCELED = "CANCELED"
    PLAN_CHANGE = "PLAN_CHANGE"
    PLAN_EXIT = "PLAN_EXIT"
    OTHER = "OTHER"


class ProductType(enum.StrEnum):
    MAPD = "MAPD"
    MA = "MA"
    PDP = "PDP"
    DSNP = "DSNP"
    CSNP = "CSNP"
    MEDSUPP = "MEDSUPP"
    ACA = "ACA"
    DENTAL = "DENTAL"
    VISION = "VISION"
    HOSPITAL_INDEMNITY = "HOSPITAL_INDEMNITY"
    OTHER = "OTHER"


class ReconciliationStatus(enum.StrEnum):
    """An application against carrier policies, in this order of precedence (docs/domain.md)."""

    NO_CARRIER_FEED = "NO_CARRIER_FEED"  # its carrier names no installed plugin, or several
    AGENT_OF_RECORD_ELSEWHERE = "AGENT_OF_RECORD_ELSEWHERE"  # matched under another NPN
    EFFECTUATED = "EFFECTUATED"  # matched, ACTIVE
    PENDING = "PENDING"  # matched, APPROVED
    ENDED = "ENDED"  # matched, ATTRITED, POLICY_DISENROLLMENT or DECEASED
    UNKNOWN = "UNKNOWN"  # matched, UNKNOWN
    NOT_IN_CARRIER_REPORTS = "NOT_IN_CARRIER_REPORTS"  # none matched, the carrier reported since
    AWAITING_CARRIER = "AWAITING_CARRIER"  # none matched, no report late enough yet


@dataclass(frozen=True, slots=True)
class PolicyRecord:
    """One normalized row of a carrier report (docs/domain.md)."""

    line: int
    carrier_policy_id: str
    agent_npn: str
    member_id: str | None
    first_name: str
    last_name: str
    date_of_birth: date | None
    plan_id: str | None
    plan_name: str | None
    product_type: ProductType
    county: str | None
    state: str | None
    status: PolicyStatus
    term_reason: TermReason | None
    source_status: str | None
    submitted_date: date | None
    effective_date: date | None
    term_date: date | None

    @property
    def client_name(self) -> str:
        """The client name shown: "First Last" as the carrier wrote it (letter case kept)."""
        return f"{self.first_name} {self.last_name}".strip()


@dataclass(frozen=True, slots=True)
class RowError:
    """A rejected row: `message` starts with "line N: " and names the carrier's column."""

    line: int
    message: str
