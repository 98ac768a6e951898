"""Who may see an export: its requester, and only while the requester still stands where they
stood when asking (domain rule): at the same agent, for an agent user; at the same agency, for
an admin. That place is recorded on the row when the export is requested.

A user moved to another agent or agency, whose role changed, or who was removed loses the export
at once, and gets it back when moved back. The requester's standing is read from the user's row
as it is now, never from a principal loaded earlier (a WebSocket's lives long), so every path
that asks here (history, `export`, `node`, the subscription, the download link, the worker)
applies the rule as of this moment.
"""

from sqlalchemy import ColumnElement, Select, and_, or_, select
from sqlmodel import Session

from downline.core.book import roster
from downline.core.book.scope import Principal, load_principal
from downline.core.models import Export, Role, User


def place_of(principal: Principal) -> dict[str, str | None]:
    """The columns recording where `principal` stands, for an export it requests now."""
    if principal.is_admin:
        return {"requester_agent_id": None, "requester_agency_id": principal.agency_id}
    return {"requester_agent_id": principal.agent_id, "requester_agency_id": None}


def _still_there() -> ColumnElement[bool]:
    """The joined requester's user row still stands at the export's recorded place. The role is
    part of the place: an admin demoted to an agent of the same agency no longer stands there."""
    return or_(
        and_(User.role == Role.AGENT, User.agent_id == Export.requester_agent_id),
        and_(User.role == Role.AGENCY_ADMIN, User.agency_id == Export.requester_agency_id),
    )


def visible_to(principal: Principal) -> Select:
    """The exports `principal` may see now, as a query selecting `Export`."""
    return (
        select(Export)
        .join(User, User.email == Export.requester_email)
        # Said of the export too, so the history walks its own index (requester, time, id).
        .where(Export.requester_email == principal.email, User.email == principal.email)
        .where(_still_there())
    )


def visible(session: Session, principal: Principal, export_id: str) -> Export | None:
    """The export `export_id` if `principal` may see it now; None otherwise (unknown, another
    user's, or made where the principal no longer stands: the same answer, leaking nothing)."""
    return session.scalars(visible_to(principal).where(Export.id == export_id)).first()


def downloads_allowed(session: Session, emails: list[str]) -> dict[str, bool]:
    """Whether each requester may download its finished exports now: not while its agency's
    switch stops its exports (the files are kept, and downloadable again once it is back on).
    Each user is read as it stands now."""
    allowed = {}
    for email in set(emails):
        principal = load_principal(session, email)
        allowed[email] = principal is not None and roster.exports_allowed(session, principal)
    return allowed
