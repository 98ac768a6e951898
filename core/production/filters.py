"""The filters of production's lists and of the reconciliation list, declared once as
core/book/filters.py declares the others (they live here because their fields take the production
vocabulary)."""

from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from datetime import date, datetime

from downline.core.book.filters import ID, ClientFilter, Exchange, declared
from downline.core.production.vocabulary import PolicyStatus, ProductType, ReconciliationStatus


@dataclass(frozen=True)
class ProductionFilter:
    """The production list's and summary's filters."""

    agent_ids: list[ID] | None = declared("Only these agents' policies.")
    agency_ids: list[ID] | None = declared(
        "Only the policies of these agencies' whole downline.", doc="The whole downline of each."
    )
    carriers: list[str] | None = declared("Carrier keys, e.g. humana.")
    product_types: list[ProductType] | None = declared("MAPD, MA, PDP, ...")
    statuses: list[PolicyStatus] | None = declared("APPROVED, ACTIVE, ...")
    states: list[str] | None = declared("Two-letter states.")
    effective_from: date | None = declared("Effective on or after this day.")
    effective_to: date | None = declared("Effective on or before this day.")
    not_seen_since: date | None = declared(
        "Only policies no report as of this day or later has listed (the carrier stopped"
        " listing them).",
        doc="lastSeenAsOf before this day.",
    )
    updated_since: datetime | None = declared(
        "Only policies whose tracked fields changed at or after this instant.",
        doc="updatedAt at or after this instant.",
    )
    without_application: bool | None = declared(
        "true: only policies no application of their tenant matches; false: only those one "
        "matches.",
        doc="true: only policies no application of the tenant matches.",
    )


@dataclass(frozen=True)
class ReconciliationFilter:
    """The reconciliation list's and summary's filters: the Clients page's, less
    `includeUnsubmitted` (only submitted applications are reconciled), with every submitted
    application by default (3-way-call ones too), plus the carrier plugins named and the
    statuses (what a summary bucket groups by, so that a bucket's applications can be listed)."""

    agent_ids: list[ID] | None = declared("Only these agents' applications.")
    agency_ids: list[ID] | None = declared(
        "Only the applications of these agencies' whole downline."
    )
    submitted_from: date | None = declared("Last submitted on or after this day (UTC).")
    submitted_to: date | None = declared("Last submitted on or before this day (UTC).")
    include_archived: bool = declared("Also archived clients.", default=False)
    include_three_way_call_resolved: bool = declared(
        "Also enrollments finished on a 3-way call after an Invalid Action error.",
        default=True,
        doc="Every submitted application by default.",
    )
    exchange: Exchange | None = declared("ON_EX or OFF_EX.")
    states: list[str] | None = declared("Two-letter states.")
    search: str | None = declared("Name, email, phone or application id contains this.")
    carriers: list[str] | None = declared(
        "Carrier keys, e.g. humana: only applications whose carrier names one of these plugins.",
        doc="Plugin keys: applications whose carrier names one (never a NO_CARRIER_FEED one).",
    )
    statuses: list[ReconciliationStatus] | None = declared(
        "NO_CARRIER_FEED, AGENT_OF_RECORD_ELSEWHERE, EFFECTUATED, PENDING, ENDED, UNKNOWN, "
        "NOT_IN_CARRIER_REPORTS, AWAITING_CARRIER."
    )

    def client_filter(self) -> ClientFilter:
        """The Clients list's filter that selects these applications (before their statuses):
        the reconciliation list is that list, submitted applications only."""
        shared = {f.name for f in dataclass_fields(ClientFilter)} - {"include_unsubmitted"}
        return ClientFilter(
            include_unsubmitted=False, **{name: getattr(self, name) for name in shared}
        )
