"""The list filters, each declared ONCE: a frozen dataclass whose fields carry their Python type,
default and meaning. The list query takes the dataclass itself; the GraphQL input
(schema/filters.py) and the export parameters with their checks (core/exports/kit.py) are
derived from `fields()`. Adding a filter field is one `declared` field here and its SQL in the
list's query function. (Production's filter is declared the same way in core/production/,
beside the vocabulary its fields take.)

A field left out, or null, takes its declared default, in the API and in an export alike.
"""

import enum
import types
import typing
from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from datetime import date
from typing import Any, NewType

# An id as the API takes it (GraphQL's ID): a plain str here, spelled ID in the API.
ID = NewType("ID", str)


class Exchange(enum.StrEnum):
    """Where an application was done; the value is what a client's `exchange` column holds."""

    ON_EX = "on_ex"  # through the Marketplace
    OFF_EX = "off_ex"


def declared(meaning: str, *, default: Any = None, doc: str | None = None) -> Any:
    """A filter field: its meaning (the export legend), its default, and `doc`, the GraphQL
    description of the few fields the schema describes (worded apart, so schema.graphql keeps
    its words)."""
    return field(default=default, metadata={"meaning": meaning, "doc": doc})


@dataclass(frozen=True)
class FilterField:
    """One declared field as the derivations read it."""

    name: str  # as in Python: submitted_from
    type: Any  # the Python type without its `| None`: list[ID], date, Exchange
    default: Any
    meaning: str
    doc: str | None

    @property
    def api_name(self) -> str:
        return api_name(self.name)


def api_name(name: str) -> str:
    """The API's spelling of a Python name: strawberry's auto camel-casing rule
    (include_three_way_call_resolved -> includeThreeWayCallResolved), here so that the GraphQL
    inputs and the export parameters take their names from one place."""
    head, *rest = name.split("_")
    return head + "".join(word.capitalize() if word else "_" for word in rest)


def fields(declaration: type) -> tuple[FilterField, ...]:
    """The declared fields of a list filter, in order."""
    hints = typing.get_type_hints(declaration)
    return tuple(
        FilterField(f.name, _without_none(hints[f.name]), f.default, **f.metadata)
        for f in dataclass_fields(declaration)
    )


def _without_none(hint: Any) -> Any:
    if isinstance(hint, types.UnionType):
        (kept,) = (arg for arg in typing.get_args(hint) if arg is not types.NoneType)
        return kept
    return hint


@dataclass(frozen=True)
class ClientFilter:
    """The Clients page's filters."""

    agent_ids: list[ID] | None = declared("Only these agents' clients.")
    agency_ids: list[ID] | None = declared(
        "Only the clients of these agencies' whole downline.", doc="The whole downline of each."
    )
    submitted_from: date | None = declared("Last submitted on or after this day (UTC).")
    submitted_to: date | None = declared("Last submitted on or before this day (UTC).")
    include_unsubmitted: bool = declared(
        "Also applications never submitted from here.", default=False
    )
    include_archived: bool = declared("Also archived clients.", default=False)
    include_three_way_call_resolved: bool = declared(
        "Also enrollments finished on a 3-way call after an Invalid Action error.",
        default=False,
        doc="Resolved on a 3-way call after an Invalid Action error.",
    )
    exchange: Exchange | None = declared("ON_EX or OFF_EX.")
    states: list[str] | None = declared("Two-letter states.")
    search: str | None = declared(
        "Name, email, phone or application id contains this.",
        doc="Name, email, phone, application id.",
    )


@dataclass(frozen=True)
class LeadFilter:
    """The Leads page's filters."""

    agent_ids: list[ID] | None = declared("Only these agents' leads.")
    agency_ids: list[ID] | None = declared("Only the leads of these agencies' whole downline.")
    statuses: list[str] | None = declared("new, contacted, quoted, converted, lost.")
    created_from: date | None = declared("Created on or after this day (UTC).")
    created_to: date | None = declared("Created on or before this day (UTC).")
    search: str | None = declared("Name, email or phone contains this.")
