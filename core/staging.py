"""Bulk upsert of policies the way each database wants it (LESSONS.md): rows go into a temporary
staging table (PostgreSQL: COPY; SQLite: executemany), then ONE INSERT … SELECT … ON CONFLICT
DO UPDATE … WHERE <something changed> moves them into `policy`.

Within one file the last row of a policy id wins: SQLite's staging table is keyed on the id
(INSERT OR REPLACE); PostgreSQL's keeps every row and DISTINCT ON picks the last line.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from downline.core.models import Policy
from downline.core.plugins import PolicyRecord

# A change to one of these moves `updated_at` (production.md); the rest is overwritten quietly.
TRACKED = (
    "status",
    "term_reason",
    "plan_id",
    "plan_name",
    "product_type",
    "agent_npn",
    "effective_date",
    "term_date",
    "county",
    "state",
)
QUIET = (
    "client_name",
    "member_id",
    "date_of_birth",
    "source_status",
    "submitted_date",
    "owner_agency_id",
)
FIELDS = (*TRACKED, *QUIET)
_policy = Policy.__table__


@dataclass(frozen=True)
class Counts:
    inserted: int
    updated: int
    unchanged: int


class Staging:
    """A staging table on one connection, for one report."""

    def __init__(self, conn: sa.Connection, carrier: str, owner_agency_id: str | None) -> None:
        self.conn = conn
        self.carrier = carrier
        self.owner = owner_agency_id
        self.postgres = conn.dialect.name == "postgresql"
        columns = [
            sa.Column("carrier_policy_id", sa.String, primary_key=not self.postgres),
            sa.Column("line", sa.Integer),
            sa.Column("id", sa.String),
            *(sa.Column(name, _policy.c[name].type) for name in FIELDS),
        ]
        self.table = sa.Table("policy_staging", sa.MetaData(), *columns, prefixes=["TEMPORARY"])
        self.table.drop(conn, checkfirst=True)
        self.table.create(conn)

    def add(self, records: Sequence[PolicyRecord]) -> None:
        rows = [self._row(r) for r in records]
        if not rows:
            return
        if self.postgres:
            names = ", ".join(self.table.c.keys())
            cursor = self.conn.connection.driver_connection.cursor()
            with cursor.copy(f"COPY policy_staging ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(tuple(row.values()))
        else:
            self.conn.execute(self.table.insert().prefix_with("OR REPLACE"), rows)

    def _row(self, r: PolicyRecord) -> dict:
        return {
            "carrier_policy_id": r.carrier_policy_id,
            "line": r.line,
            "id": str(uuid.uuid4()),
            "status": r.status.value,
            "term_reason": r.term_reason.value if r.term_reason else None,
            "plan_id": r.plan_id,
            "plan_name": r.plan_name,
            "product_type": r.product_type.value,
            "agent_npn": r.agent_npn,
            "effective_date": r.effective_date,
            "term_date": r.term_date,
            "county": r.county,
            "state": r.state,
            "client_name": r.client_name,
            "member_id": r.member_id,
            "date_of_birth": r.date_of_birth,
            "source_status": r.source_status,
            "submitted_date": r.submitted_date,
            "owner_agency_id": self.owner,
        }

    def apply(self, report_id: str, now: datetime) -> Counts:
        """Count what the staged rows will do, then upsert them; returns the counts."""
        staged = self._last_per_policy()
        existing = _policy.alias("existing")
        match = sa.and_(
            existing.c.carrier == self.carrier,
            existing.c.carrier_policy_id == staged.c.carrier_policy_id,
        )
        tracked_changed = _changed(staged.c, existing.c, TRACKED)
        inserted, updated, total = self.conn.execute(
            sa.select(
                sa.func.coalesce(sa.func.sum(sa.case((existing.c.id.is_(None), 1), else_=0)), 0),
                sa.func.coalesce(
                    sa.func.sum(
                        sa.case((existing.c.id.is_not(None) & tracked_changed, 1), else_=0)
                    ),
                    0,
                ),
                sa.func.count(),
            ).select_from(staged.outerjoin(existing, match))
        ).one()
        self._upsert(staged, report_id, now)
        return Counts(int(inserted), int(updated), int(total) - int(inserted) - int(updated))

    def _last_per_policy(self) -> sa.FromClause:
        if not self.postgres:
            return self.table  # keyed on the id: already one row per policy
        self.conn.execute(sa.text("DROP TABLE IF EXISTS policy_staged"))
        self.conn.execute(
            sa.text(
                "CREATE TEMPORARY TABLE policy_staged AS SELECT DISTINCT ON (carrier_policy_id) *"
                " FROM policy_staging ORDER BY carrier_policy_id, line DESC"
            )
        )
        columns = (sa.Column(c.name, c.type) for c in self.table.c)
        return sa.Table("policy_staged", sa.MetaData(), *columns)

    def _upsert(self, staged: sa.FromClause, report_id: str, now: datetime) -> None:
        dialect_insert = postgresql.insert if self.postgres else sqlite.insert
        names = [
            "id",
            "carrier",
            "carrier_policy_id",
            *FIELDS,
            "first_seen_at",
            "updated_at",
            "report_id",
        ]
        source = sa.select(
            staged.c.id,
            sa.literal(self.carrier),
            staged.c.carrier_policy_id,
            *(staged.c[f] for f in FIELDS),
            sa.literal(now, _policy.c.first_seen_at.type),
            sa.literal(now, _policy.c.updated_at.type),
            sa.literal(report_id),
        ).where(sa.true())  # SQLite needs a WHERE to read ON CONFLICT as the upsert clause
        insert = dialect_insert(_policy).from_select(names, source)
        new = insert.excluded
        updated_at = sa.case(
            (_changed(new, _policy.c, TRACKED), new.updated_at), else_=_policy.c.updated_at
        )
        insert = insert.on_conflict_do_update(
            index_elements=["carrier", "carrier_policy_id"],
            set_={
                **{f: new[f] for f in FIELDS},
                "updated_at": updated_at,
                "report_id": new.report_id,
            },
            where=_changed(new, _policy.c, FIELDS),
        )
        self.conn.execute(insert)

    def drop(self) -> None:
        self.conn.execute(sa.text("DROP TABLE IF EXISTS policy_staged"))
        self.table.drop(self.conn, checkfirst=True)


def _changed(new, old, fields: Sequence[str]):
    """Any of `fields` differs between two column collections (NULL-safe)."""
    return sa.or_(*(new[f].is_distinct_from(old[f]) for f in fields))
