"""What an export type is built from (public: re-exported by `downline.plugins`, and the
built-in types use nothing else): columns paired with the SQL that fills them, the type builder,
the client's columns (the Clients page's, which other types pick from by name), the writing
agent's and agency's columns, and the row builders most types start from.
"""

import calendar
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, case, func, select

from downline.core import models
from downline.core.book.clients import ORDER as CLIENT_ORDER
from downline.core.book.clients import clients_query
from downline.core.exports.kit import (
    AGENT_CELLS,
    AGENT_COLUMNS,
    client_filter,
    ordered,
    with_agent,
    writing_agency,
)
from downline.core.exports.types import (
    ExportColumn,
    ExportContext,
    ExportParameter,
    ExportScope,
    ExportType,
)

__all__ = [
    "AGENCY_ONLY",
    "AGENT_ONLY",
    "BOTH",
    "CLIENT",
    "CLIENTS_PAGE",
    "CONTACT",
    "Cell",
    "Rows",
    "WRITING_AGENCY",
    "WRITING_AGENT",
    "cell",
    "client_cells",
    "client_list",
    "export_type",
    "scoped_rows",
    "two_months_before",
    "verification_export",
]

C = models.Client
V = models.ClientVerification

AGENT_ONLY = (ExportScope.AGENT,)
AGENCY_ONLY = (ExportScope.AGENCY,)
BOTH = (ExportScope.AGENT, ExportScope.AGENCY)

Rows = Callable[[ExportContext], Select]


@dataclass(frozen=True)
class Cell:
    """One export column and the SQL expression that fills it."""

    column: ExportColumn
    value: Any


def cell(name: str, description: str, value: Any, *, kind: str = "text", pii=None) -> Cell:
    return Cell(ExportColumn(name, description, pii=pii, kind=kind), value)


def export_type(
    *,
    key: str,
    title: str,
    description: str,
    scopes: tuple[ExportScope, ...],
    cells: Iterable[Cell],
    rows: Rows,
    parameters: Iterable[ExportParameter] = (),
    binds: Callable[[ExportContext], dict[str, Any]] | None = None,
) -> ExportType:
    """An export type whose columns are `cells`' columns and whose query is `rows(ctx)` (scoped,
    joined, filtered and ordered) selecting exactly `cells`' values, in order, with the values
    of its bound parameters from `binds(ctx)` (for cells over a select that depends on the
    requester, such as a CTE anchored at its agency)."""
    cells = tuple(cells)
    values = [c.value for c in cells]

    def query(ctx: ExportContext) -> Select:
        selected = rows(ctx).with_only_columns(*values)
        return selected.params(**binds(ctx)) if binds else selected

    return ExportType(
        key=key,
        title=title,
        description=description,
        scopes=scopes,
        parameters=tuple(parameters),
        columns=tuple(c.column for c in cells),
        query=query,
    )


def _net_premium():
    net = func.coalesce(C.premium, 0) - func.coalesce(C.aptc, 0)
    return case((C.premium.is_(None), None), (net < 0, 0), else_=net)


# The Clients page's columns, in its order; other types pick theirs from here by name.
CLIENT = {
    c.column.name: c
    for c in (
        cell("client_id", "downline's id of the client (application).", C.id),
        cell("first_name", "Client's first name.", C.first_name),
        cell("last_name", "Client's last name.", C.last_name),
        cell("email", "Client's email.", C.email),
        cell("phone", "Client's phone.", C.phone),
        cell("ssn", "Social Security number: always masked.", C.ssn_last4, pii="ssn"),
        cell("date_of_birth", "Date of birth: always masked.", C.date_of_birth, pii="dob"),
        cell(
            "household_income",
            "Household income: always masked.",
            C.household_income,
            pii="income",
        ),
        cell("state", "Two-letter state.", C.state),
        cell("county", "County.", C.county),
        cell("zip", "ZIP code.", C.zip),
        cell("exchange", "on_ex (the Marketplace) or off_ex.", C.exchange),
        cell("application_id", "The Marketplace application id.", C.application_id),
        cell("plan_year", "Plan year.", C.plan_year, kind="number"),
        cell("carrier", "Carrier of the plan.", C.carrier),
        cell("plan_name", "Plan name.", C.plan_name),
        cell("plan_hios_id", "The plan's HIOS id.", C.plan_hios_id),
        cell("metal_level", "Metal level.", C.metal_level),
        cell("premium", "Monthly premium before subsidy.", C.premium, kind="money"),
        cell("aptc", "Advance premium tax credit.", C.aptc, kind="money"),
        cell("net_premium", "Premium less APTC, never below zero.", _net_premium(), kind="money"),
        cell("members", "People on the application.", C.members, kind="number"),
        cell(
            "application_status",
            "unsubmitted, submitted, effectuated, cancelled, terminated.",
            C.application_status,
        ),
        cell(
            "submitted_at",
            "Last time the application was submitted (UTC).",
            C.submitted_at,
            kind="datetime",
        ),
        cell("effective_date", "Coverage start.", C.effective_date, kind="date"),
    )
}


def client_cells(*names: str) -> tuple[Cell, ...]:
    return tuple(CLIENT[name] for name in names)


WRITING_AGENT = tuple(Cell(c, v) for c, v in zip(AGENT_COLUMNS, AGENT_CELLS, strict=True))
WRITING_AGENCY = (
    cell("agency_name", "The writing agent's agency.", writing_agency.name),
    cell(
        "agency_npn", "The writing agent's agency's National Producer Number.", writing_agency.npn
    ),
)
# The contact columns most follow-up lists start with.
CONTACT = client_cells("client_id", "first_name", "last_name", "phone", "email")
CLIENTS_PAGE = (*CLIENT.values(), *WRITING_AGENT)


def client_list(*, agency: bool = False) -> Rows:
    """The Clients list itself for the params' filter, in its order ("export what the list
    shows"), joined to the writing agent (and its agency, if asked)."""

    def rows(ctx: ExportContext) -> Select:
        query = clients_query(ctx.principal, client_filter(ctx.params))
        return ordered(with_agent(query, C.agent_id, agency=agency), CLIENT_ORDER)

    return rows


def scoped_rows(
    ctx: ExportContext, *conditions, order, start: Select | None = None, agent_id=C.agent_id
) -> Select:
    """`start` (default: the clients) joined to its writing agent (`agent_id`), limited to the
    requester's scope and to `conditions`, in `order`."""
    query = with_agent(select(C) if start is None else start, agent_id)
    return query.where(agent_id.in_(ctx.scope), *conditions).order_by(*order)


def two_months_before(day: date) -> date:
    """The same day of the month two months earlier, clamped to that month's length."""
    year, month = (day.year, day.month - 2) if day.month > 2 else (day.year - 1, day.month + 10)
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def verification_export(kind: str, issue: str) -> ExportType:
    """`<kind>_follow_ups`: the client verifications of `kind` (dmi, svi) due from two months
    before today through any future date, soonest first."""
    cells = (
        *CONTACT,
        CLIENT["application_id"],
        cell(f"{kind}_type", f"What the {issue} is about.", V.type),
        cell("due_date", f"When the {issue} must be resolved.", V.due_date, kind="date"),
        cell(f"{kind}_status", f"Where the {issue} stands.", V.status),
        *WRITING_AGENT,
    )

    def rows(ctx: ExportContext) -> Select:
        start = select(V).join(C, C.id == V.client_id)
        since = V.due_date >= two_months_before(ctx.today)
        return scoped_rows(ctx, V.kind == kind, since, start=start, order=(V.due_date, C.id, V.id))

    return export_type(
        key=f"{kind}_follow_ups",
        title=f"{kind.upper()} follow-ups",
        description=f"{issue}s due from two months before today through any future date.",
        scopes=BOTH,
        cells=cells,
        rows=rows,
    )
