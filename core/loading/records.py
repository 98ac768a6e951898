"""The records of the book's JSON Lines files (docs/domain.md), validated at the edge.

One pydantic model per file, not the SQLModel tables (LESSONS, Don't 8): a table model coerces
and defaults where a loader must refuse. Validation is strict (a known key with the wrong JSON
type is an error) and forgiving of unknown keys (newer exports may carry more). Each record knows
the table row it becomes; `reasons.parse_line` turns a raw line into a record or a reason.
"""

import re
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    PlainValidator,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from downline.core.models import Role
from downline.core.production.naming import last_name_key, normalised

NPN_DIGITS = re.compile(r"[0-9]{1,10}")
DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
SSN = re.compile(r"[0-9]{3}-[0-9]{2}-([0-9]{4})")
STATE = re.compile(r"[A-Za-z]{2}")
NOT_DIGITS = re.compile(r"[^0-9]")
CENT = Decimal("0.01")
MONEY_LIMIT = Decimal(10) ** 10  # the columns are NUMERIC(12, 2)


def problem(message: str) -> PydanticCustomError:
    """A validation failure whose message completes "<field> <value> ..."."""
    return PydanticCustomError("downline", message)


def _npn(value: Any) -> str:
    if not isinstance(value, str):
        raise problem("is not a string")
    if not NPN_DIGITS.fullmatch(value):
        raise problem("is not 1-10 digits")
    # Carriers drop leading zeros, so downline does too: one agent, one spelling (docs/domain.md).
    if not value.lstrip("0"):
        raise problem("has no digit besides zeros")
    return value.lstrip("0")


def _day(value: Any) -> date:
    try:
        if isinstance(value, str) and DAY.fullmatch(value):
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise problem("is not a date (YYYY-MM-DD)")


def _timestamp(value: Any) -> datetime:
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None:
        raise problem("is not an ISO 8601 timestamp")
    # No offset means UTC (docs/domain.md); the columns refuse naive values.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _money(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise problem("is not a number")
    try:
        # str() first: a float's shortest spelling is the decimal that was written in the file.
        amount = Decimal(str(value))
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite() or abs(amount) >= MONEY_LIMIT:
        raise problem("is not an amount below 10,000,000,000")
    if amount != amount.quantize(CENT):
        raise problem("has more than 2 decimal places")
    return amount.quantize(CENT)


def _ssn_last4(value: Any) -> str:
    match = SSN.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise problem("is not in the form 123-45-6789")
    return match.group(1)  # the rest of the SSN is never kept (models/clients.py)


def _state(value: Any) -> str:
    if not isinstance(value, str) or not STATE.fullmatch(value):
        raise problem("is not a two-letter state")
    return value.upper()


def _user_email(value: Any) -> str:
    if not isinstance(value, str) or "@" not in value:
        raise problem("is not an email address")
    return value.strip().lower()  # users are keyed by lower-cased email (docs/domain.md)


Id = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Npn = Annotated[str, PlainValidator(_npn)]
Day = Annotated[date, PlainValidator(_day)]
Timestamp = Annotated[datetime, PlainValidator(_timestamp)]
Money = Annotated[Decimal, PlainValidator(_money)]
SsnLast4 = Annotated[str, PlainValidator(_ssn_last4)]
State = Annotated[str, PlainValidator(_state)]
UserEmail = Annotated[str, PlainValidator(_user_email)]


ApplicationStatus = Literal["unsubmitted", "submitted", "effectuated", "cancelled", "terminated"]


def digits(phone: str | None) -> str | None:
    """A phone reduced to its digits, which is what search compares."""
    return (NOT_DIGITS.sub("", phone) or None) if phone else None


class Record(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")

    @field_validator("*")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        # Any text is stored as given, except NUL, which PostgreSQL cannot store at all.
        if isinstance(value, str) and "\x00" in value:
            raise problem("contains a NUL character, which cannot be stored")
        return value

    def row(self) -> dict[str, Any]:
        """The table row, column by column; None where a kept column was left out."""
        return self.model_dump()

    def children(self) -> dict[str, list[dict[str, Any]]]:
        """Child-table rows by table name (only clients have any)."""
        return {}


class AgencyRecord(Record):
    id: Id
    name: str
    npn: Npn | None = None
    parent_id: str | None = None
    exports_allowed_for_agents: bool | None = None  # left out: kept, or true for a new agency
    created_at: Timestamp | None = None


class AgentRecord(Record):
    id: Id
    name: str
    npn: Npn
    email: str | None = None
    phone: str | None = None
    agency_id: str
    created_at: Timestamp | None = None


class UserRecord(Record):
    email: UserEmail
    role: Literal["agent", "agency_admin"]
    agent_id: str | None = None
    agency_id: str | None = None

    @model_validator(mode="after")
    def _one_link(self) -> "UserRecord":
        needed, other = "agent_id", "agency_id"
        if self.role == "agency_admin":
            needed, other = other, needed
        if getattr(self, needed) is None:
            raise problem(f"{needed} is required for role {self.role}")
        if getattr(self, other) is not None:
            raise problem(f"{other} must be null for role {self.role}")
        return self

    def row(self) -> dict[str, Any]:
        return {**self.model_dump(), "role": Role(self.role)}


class AorAtRisk(Record):
    reason: str | None = None
    since: Day | None = None
    current_agent_npn: Npn | None = None


class InvalidAction(Record):
    error_at: Timestamp | None = None
    resume_link: str | None = None
    resumed: bool | None = None
    three_way_call_completed: bool = False


class Verification(Record):
    type: str
    due_date: Day | None = None
    status: str | None = None


class FollowUp(Record):
    type: str
    due_date: Day | None = None
    note: str | None = None
    done: bool = False


class ClientRecord(Record):
    id: Id
    agent_id: str
    first_name: str
    last_name: str
    email: str | None = None
    phone: str | None = None
    ssn: SsnLast4 | None = None
    date_of_birth: Day | None = None
    household_income: Money | None = None
    state: State
    county: str | None = None
    zip: str | None = None
    exchange: Literal["on_ex", "off_ex"]
    application_id: str | None = None
    plan_year: int | None = None
    carrier: str | None = None
    plan_name: str | None = None
    plan_hios_id: str | None = None
    metal_level: str | None = None
    premium: Money | None = None
    aptc: Money | None = None
    members: int | None = None
    application_status: ApplicationStatus
    submitted_at: Timestamp | None = None  # null = unsubmitted
    effective_date: Day | None = None
    archived: bool = False
    ede_permission_lost_at: Timestamp | None = None
    last_synced_at: Timestamp | None = None
    aor_at_risk: AorAtRisk | None = None
    invalid_action: InvalidAction | None = None
    dmis: list[Verification] | None = None
    svis: list[Verification] | None = None
    follow_ups: list[FollowUp] | None = None
    intake_link: str | None = None
    created_at: Timestamp | None = None

    def row(self) -> dict[str, Any]:
        nested = {"ssn", "aor_at_risk", "invalid_action", "dmis", "svis", "follow_ups"}
        aor = self.aor_at_risk or AorAtRisk()
        action = self.invalid_action or InvalidAction()
        return {
            **self.model_dump(exclude=nested),
            "phone_digits": digits(self.phone),
            "last_name_key": last_name_key(self.last_name),
            "carrier_name_key": normalised(self.carrier),
            "ssn_last4": self.ssn,
            "aor_at_risk": self.aor_at_risk is not None,
            "aor_reason": aor.reason,
            "aor_since": aor.since,
            "aor_current_agent_npn": aor.current_agent_npn,
            "invalid_action": self.invalid_action is not None,
            "ia_error_at": action.error_at,
            "ia_resume_link": action.resume_link,
            "ia_resumed": action.resumed,
            "ia_three_way_call_completed": action.three_way_call_completed,
        }

    def children(self) -> dict[str, list[dict[str, Any]]]:
        verifications = [
            {"kind": kind, **item.model_dump()}
            for kind, items in (("dmi", self.dmis), ("svi", self.svis))
            for item in items or ()
        ]
        follow_ups = [item.model_dump() for item in self.follow_ups or ()]
        return {"client_verification": verifications, "client_follow_up": follow_ups}


class LeadRecord(Record):
    id: Id
    agent_id: str
    first_name: str
    last_name: str
    email: str | None = None
    phone: str | None = None
    state: State | None = None
    zip: str | None = None
    source: str | None = None
    status: Literal["new", "contacted", "quoted", "converted", "lost"]
    created_at: Timestamp
    notes: str | None = None

    def row(self) -> dict[str, Any]:
        return {**self.model_dump(), "phone_digits": digits(self.phone)}


class PayoutRecord(Record):
    id: Id
    kind: Literal["eap", "program"]
    agent_id: str
    client_id: str | None = None
    amount: Money
    consent_uploaded: bool | None = None
    submitted_at: Timestamp | None = None
    program: str | None = None
    paid_at: Timestamp | None = None

    @model_validator(mode="after")
    def _eap_has_client(self) -> "PayoutRecord":
        if self.kind == "eap" and self.client_id is None:
            raise problem("client_id is required for kind eap")
        return self
