"""Carrier freshness: for each carrier, how recent the viewer's picture of it is. Carriers send
their reports weeks late, and sometimes stop listing a policy without a word; this says when the
newest report the viewer may see was as of, how many of the viewer's policies that report (or any
report since) did not list, and whether the carrier has gone quiet for too long.

Two statements whatever the number of carriers or policies: the newest SUCCEEDED report per
carrier among those the viewer may see (its uploads, or its agency's and below), then the
viewer's policies counted per carrier against that report's as-of date.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Subquery, case, func, select
from sqlmodel import Session

from downline.core import jobs
from downline.core.book.scope import Principal
from downline.core.carriers.run import visible_reports
from downline.core.config import get_settings
from downline.core.models import CarrierReport, Policy, utcnow
from downline.core.production.filters import ProductionFilter
from downline.core.production.queries import scoped


@dataclass(frozen=True)
class Freshness:
    carrier: str  # the carrier plugin's key
    last_report_as_of: date | None  # the newest as-of of a SUCCEEDED report the viewer sees
    last_uploaded_at: datetime | None  # when the latest of those reports was uploaded
    policies: int  # of this carrier, in the viewer's scope
    not_seen_in_last_report: int  # of those, last seen before last_report_as_of
    stale: bool  # no report as of within the stale days before today


def carrier_freshness(
    session: Session, principal: Principal, carriers: Sequence[str]
) -> list[Freshness]:
    """The freshness of each of `carriers` (the installed plugins' keys), in their order, as
    `principal` sees it, on DOWNLINE_CARRIER_STALE_DAYS and today (UTC)."""
    latest = _latest_reports(principal)
    reports = {row.carrier: row for row in session.execute(select(latest))}
    counts = select(
        Policy.carrier,
        func.count().label("policies"),
        func.coalesce(func.sum(case((Policy.last_seen_as_of < latest.c.as_of, 1), else_=0)), 0),
    )
    counts = counts.select_from(Policy).outerjoin(latest, latest.c.carrier == Policy.carrier)
    counted = session.execute(
        scoped(counts.group_by(Policy.carrier), principal, ProductionFilter())
    )
    policies = {carrier: (total, not_seen) for carrier, total, not_seen in counted}
    fresh_from = utcnow().date() - timedelta(days=get_settings().carrier_stale_days)
    result = []
    for carrier in carriers:
        report = reports.get(carrier)
        as_of = report.as_of if report else None
        total, not_seen = policies.get(carrier, (0, 0))
        result.append(
            Freshness(
                carrier=carrier,
                last_report_as_of=as_of,
                last_uploaded_at=report.uploaded_at if report else None,
                policies=total,
                not_seen_in_last_report=not_seen,
                stale=as_of is None or as_of < fresh_from,
            )
        )
    return result


def _latest_reports(principal: Principal) -> Subquery:
    """Per carrier, the newest as-of and the latest upload of the SUCCEEDED reports the viewer
    may see."""
    return (
        visible_reports(principal)
        .with_only_columns(
            CarrierReport.carrier,
            func.max(CarrierReport.as_of).label("as_of"),
            func.max(CarrierReport.uploaded_at).label("uploaded_at"),
        )
        .where(CarrierReport.status == jobs.SUCCEEDED)
        .group_by(CarrierReport.carrier)
        .subquery("latest_report")
    )
