"""The Production list's filter, declared once as core/book/filters.py declares the others (it
lives here because its fields take the production vocabulary)."""

from dataclasses import dataclass
from datetime import date

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
