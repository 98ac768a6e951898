"""The Leads list: its order and its scoped query (shared with the leads export) for its filter
(filters.py)."""

from datetime import datetime

from sqlalchemy import Select, select

from downline.core.book import scope
from downline.core.book.filters import LeadFilter
from downline.core.book.listing import search_condition, searched, within_days
from downline.core.book.paging import Key
from downline.core.book.scope import Principal
from downline.core.models import Lead

ORDER = (Key(Lead.created_at, descending=True, kind=datetime), Key(Lead.id))


def leads_query(principal: Principal, f: LeadFilter) -> Select:
    visible = scope.filter_agent_ids(principal, f.agent_ids, f.agency_ids)
    query = select(Lead).where(Lead.agent_id.in_(visible))
    if f.statuses is not None:
        query = query.where(Lead.status.in_([s.strip().lower() for s in f.statuses]))
    query = query.where(*within_days(Lead.created_at, f.created_from, f.created_to))
    if search := searched(f.search):
        name = Lead.first_name + " " + Lead.last_name
        query = query.where(search_condition(search, [name, Lead.email], Lead.phone_digits))
    return query
