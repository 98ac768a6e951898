"""The Clients list: its order, and the scoped query behind both the list and its exports
("export what the list shows": the same function builds both) for its filter (filters.py)."""

from datetime import datetime

from sqlalchemy import Select, and_, or_, select

from downline.core.book import scope
from downline.core.book.filters import ClientFilter
from downline.core.book.listing import search_condition, searched, within_days
from downline.core.book.paging import Key
from downline.core.book.scope import Principal
from downline.core.models import Client

ORDER = (Key(Client.submitted_at, descending=True, nullable=True, kind=datetime), Key(Client.id))


def clients_query(principal: Principal, f: ClientFilter) -> Select:
    visible = scope.filter_agent_ids(principal, f.agent_ids, f.agency_ids)
    query = select(Client).where(Client.agent_id.in_(visible))
    submitted = and_(
        Client.submitted_at.is_not(None),
        *within_days(Client.submitted_at, f.submitted_from, f.submitted_to),
    )
    # Unsubmitted applications are kept whatever the submitted range (schema.graphql).
    query = query.where(
        or_(submitted, Client.submitted_at.is_(None)) if f.include_unsubmitted else submitted
    )
    if not f.include_archived:
        query = query.where(Client.archived.is_(False))
    if not f.include_three_way_call_resolved:
        query = query.where(Client.ia_three_way_call_completed.is_(False))
    if f.exchange is not None:
        query = query.where(Client.exchange == f.exchange)
    if f.states is not None:
        query = query.where(Client.state.in_([s.strip().upper() for s in f.states]))
    if search := searched(f.search):
        name = Client.first_name + " " + Client.last_name
        columns = [name, Client.email, Client.application_id]
        query = query.where(search_condition(search, columns, Client.phone_digits))
    return query
