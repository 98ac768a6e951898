"""The Production list's filter, declared once as core/book/filters.py declares the others (it
lives here because its fields take the production vocabulary)."""

from dataclasses import dataclass
from datetime import date, datetime

from downline.core.book.filters import ID, declared
from downline.core.production.vocabulary import PolicyStatus, ProductType


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
