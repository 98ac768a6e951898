"""The append-only audit trail: every export request, download (with its outcome) and refusal.
Agency admins read the events of users in their downline; agents their own."""

from sqlalchemy import Select, or_, select
from sqlmodel import Session

from downline.core.book import scope
from downline.core.book.scope import Principal
from downline.core.models import AuditEvent


def record(
    session: Session,
    action: str,
    outcome: str,
    *,
    actor: Principal | None = None,
    actor_email: str | None = None,
    export_id: str | None = None,
    agency_id: str | None = None,
) -> None:
    """Add an event to `session` (the caller commits it with, or instead of, its own work).
    `agency_id` files an event without a known actor under the agency it concerns, so that
    agency's admins see it (a tampered link to one of their users' exports)."""
    session.add(
        AuditEvent(
            action=action,
            outcome=outcome,
            actor_email=actor.email if actor else actor_email,
            actor_agency_id=actor.agency_id if actor else agency_id,
            export_id=export_id,
        )
    )


def visible_events(principal: Principal) -> Select:
    query = select(AuditEvent)
    if principal.is_admin:
        return query.where(
            or_(
                AuditEvent.actor_agency_id.in_(scope.agency_ids(principal)),
                AuditEvent.actor_email == principal.email,
            )
        )
    return query.where(AuditEvent.actor_email == principal.email)
