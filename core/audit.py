"""The append-only audit trail (docs/domain.md, Audit): every action that changes something or
takes data out, and every refusal of one, as an event with its actor, time, outcome and what it
was done to. Agency admins read the events of users in their downline; agents their own.

One vocabulary for every caller: `record(session, action, outcome, actor=..., <object>=...)`.
Actions are `<thing>_<what happened>` (export_requested, report_failed, exports_switched, ...);
the outcome is "ok" (followed by counts where there are some) or the reason, as an error code or
a word (FORBIDDEN, expired)."""

from sqlalchemy import Connection, Select, insert, or_, select
from sqlmodel import Session

from downline.core.book import scope
from downline.core.book.scope import Principal
from downline.core.models import AuditEvent

# The actor of the operator's own commands (`downline load`, `downline ingest` without --as): no
# user, but someone known. No user's email can be it (an email holds an @).
OPERATOR = "operator"
# An event stays small whatever a caller sends: a longer text is cut here, saying how long it was.
MAX_TEXT = 1000


def record(
    session: Session | Connection,
    action: str,
    outcome: str,
    *,
    actor: Principal | None = None,
    actor_email: str | None = None,
    agency_id: str | None = None,
    export_id: str | None = None,
    report_id: str | None = None,
    target_agency_id: str | None = None,
    detail: str | None = None,
) -> None:
    """Add an event to `session` (the caller commits it with, or instead of, its own work), or
    insert it on `connection` inside the transaction of the work it records. `agency_id` files an
    event without a known actor under the agency it concerns, so that agency's admins see it (a
    tampered link to one of their users' exports). Text a user gave (`detail`, an id) is stored
    as given, and shown as text."""
    event = AuditEvent(
        action=action,
        outcome=outcome,
        actor_email=actor.email if actor else actor_email,
        actor_agency_id=actor.agency_id if actor else agency_id,
        export_id=export_id,
        report_id=report_id,
        target_agency_id=as_stored(target_agency_id),
        detail=as_stored(detail),
    )
    if isinstance(session, Connection):
        session.execute(insert(AuditEvent).values(event.model_dump()))
    else:
        session.add(event)


def as_stored(text: str | None) -> str | None:
    """A user's text as an event keeps it: as given, but a NUL (which PostgreSQL cannot store) is
    spelled \\x00, and a text longer than MAX_TEXT is cut there."""
    if text is None:
        return None
    text = text.replace("\x00", "\\x00")
    if len(text) <= MAX_TEXT:
        return text
    return f"{text[:MAX_TEXT]}… ({len(text):,} characters)"


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
