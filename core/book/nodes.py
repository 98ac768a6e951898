"""`node(id)`: ids are unique across every type of a book, so one id names at most one object.
Each table is asked in turn, through the same scope as its list."""

from sqlalchemy import select
from sqlmodel import Session

from downline.core import audit
from downline.core.book import roster, scope
from downline.core.book.scope import Principal
from downline.core.carriers import run as ingesting
from downline.core.exports import access as export_access
from downline.core.models import AuditEvent, CarrierReport, Client, Lead, Policy
from downline.core.production import queries as production


def find(session: Session, principal: Principal, node_id: str) -> object | None:
    for lookup in (_agency, _agent, _client, _lead, _policy, _report, _export, _audit_event):
        found = lookup(session, principal, node_id)
        if found is not None:
            return found
    return None


def _agency(session, principal, node_id):
    return roster.agencies_by_id(session, principal, [node_id]).get(node_id)


def _agent(session, principal, node_id):
    return roster.agents_by_id(session, principal, [node_id]).get(node_id)


def _client(session, principal, node_id):
    visible = scope.agent_ids(principal)
    return session.scalars(
        select(Client).where(Client.id == node_id, Client.agent_id.in_(visible))
    ).first()


def _lead(session, principal, node_id):
    visible = scope.agent_ids(principal)
    return session.scalars(
        select(Lead).where(Lead.id == node_id, Lead.agent_id.in_(visible))
    ).first()


def _policy(session, principal, node_id):
    query = production.policies_query(principal, production.ProductionFilter())
    return session.scalars(query.where(Policy.id == node_id)).first()


def _report(session, principal, node_id):
    query = ingesting.visible_reports(principal).where(CarrierReport.id == node_id)
    return session.scalars(query).first()


def _export(session, principal, node_id):
    return export_access.visible(session, principal, node_id)


def _audit_event(session, principal, node_id):
    return session.scalars(audit.visible_events(principal).where(AuditEvent.id == node_id)).first()
