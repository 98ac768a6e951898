"""Bulk upsert of policies the way each database wants it (LESSONS.md): rows go into a temporary
staging table (PostgreSQL: COPY; SQLite: executemany), then ONE INSERT … SELECT … ON CONFLICT
DO UPDATE … WHERE <something changed> moves them into `policy`.

Within one file the last row of a policy id wins: SQLite's staging table is keyed on the id
(INSERT OR REPLACE); PostgreSQL's keeps every row and DISTINCT ON picks the last line.
"""

import itertools
import secrets
import time
from collections.abc import Iterator, Sequence
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
        self.ids = time_ordered_ids()
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
                    copy.write_row(row)
        else:
            keys = self.table.c.keys()
            self.conn.execute(
                self.table.insert().prefix_with("OR REPLACE"),
                [dict(zip(keys, r, strict=True)) for r in rows],
            )

    def _row(self, r: PolicyRecord) -> tuple:
        """The staging table's columns, in order (a tuple: a million rows go through here)."""
        return (
            r.carrier_policy_id,
            r.line,
            next(self.ids),
            r.status.value,
            r.term_reason.value if r.term_reason else None,
            r.plan_id,
            r.plan_name,
            r.product_type.value,
            r.agent_npn,
            r.effective_date,
            r.term_date,
            r.county,
            r.state,
            r.client_name,
            r.member_id,
            r.date_of_birth,
            r.source_status,
            r.submitted_date,
            self.owner,
        )

    def apply(self, report_id: str, now: datetime) -> Counts:
        """Upsert the staged rows; returns what they did. A row counts as updated when a
        tracked field changed (its `updated_at` moved), unchanged otherwise."""
        if self.postgres:
            staged, total = self._last_per_policy()
            # The upsert counts for itself: RETURNING says which rows it inserted (xmax = 0)
            # and which moved updated_at; rows it left alone return nothing.
            done = self._upsert(staged, report_id, now).returning(
                sa.literal_column("xmax = 0").label("inserted"), _policy.c.updated_at
            )
            done = done.cte("done")
            inserted, updated = self.conn.execute(
                sa.select(
                    sa.func.count().filter(done.c.inserted),
                    sa.func.count().filter(~done.c.inserted & (done.c.updated_at == now)),
                )
            ).one()
        else:  # SQLite: no xmax, no INSERT in a CTE; count by a join first
            inserted, updated, total = self._count(self.table)
            self.conn.execute(self._upsert(self.table, report_id, now))
        return Counts(inserted, updated, total - inserted - updated)

    def _count(self, staged: sa.FromClause) -> tuple[int, int, int]:
        """(to insert, to update with a tracked change, all) before the upsert."""
        existing = _policy.alias("existing")
        match = sa.and_(
            existing.c.carrier == self.carrier,
            existing.c.carrier_policy_id == staged.c.carrier_policy_id,
        )
        changed = existing.c.id.is_not(None) & _changed(staged.c, existing.c, TRACKED)
        inserted, updated, total = self.conn.execute(
            sa.select(
                sa.func.coalesce(sa.func.sum(sa.case((existing.c.id.is_(None), 1), else_=0)), 0),
                sa.func.coalesce(sa.func.sum(sa.case((changed, 1), else_=0)), 0),
                sa.func.count(),
            ).select_from(staged.outerjoin(existing, match))
        ).one()
        return int(inserted), int(updated), int(total)

    def _last_per_policy(self) -> tuple[sa.FromClause, int]:
        """The last staged row of each policy id (PostgreSQL), and how many policies that is."""
        self.conn.execute(sa.text("DROP TABLE IF EXISTS policy_staged"))
        created = self.conn.execute(
            sa.text(
                "CREATE TEMPORARY TABLE policy_staged AS SELECT DISTINCT ON (carrier_policy_id) *"
                " FROM policy_staging ORDER BY carrier_policy_id, line DESC"
            )
        )
        columns = (sa.Column(c.name, c.type) for c in self.table.c)
        return sa.Table("policy_staged", sa.MetaData(), *columns), created.rowcount

    def _upsert(self, staged: sa.FromClause, report_id: str, now: datetime):
        """INSERT … SELECT … ON CONFLICT DO UPDATE … WHERE <something changed>."""
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
        return insert.on_conflict_do_update(
            index_elements=["carrier", "carrier_policy_id"],
            set_={
                **{f: new[f] for f in FIELDS},
                "updated_at": updated_at,
                "report_id": new.report_id,
            },
            where=_changed(new, _policy.c, FIELDS),
        )

    def drop(self) -> None:
        self.conn.execute(sa.text("DROP TABLE IF EXISTS policy_staged"))
        self.table.drop(self.conn, checkfirst=True)


def time_ordered_ids() -> Iterator[str]:
    """Ids for new policies, in the shape of UUIDv7 (RFC 9562): the time in milliseconds, then
    random bits, then a counter. Ids made together sort together, so a big ingest appends to the
    end of the primary key's index instead of writing all over it (as random uuid4s do)."""
    millis = time.time_ns() // 1_000_000
    random = secrets.randbits(74 - 32)
    head = (millis << 80) | (0x7 << 76) | ((random >> 30) << 64) | (0b10 << 62)
    head |= (random & (2**30 - 1)) << 32
    digits = f"{head >> 32:024x}"
    prefix = f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"
    return (f"{prefix}{n:08x}" for n in itertools.count())


def _changed(new, old, fields: Sequence[str]):
    """Any of `fields` differs between two column collections (NULL-safe)."""
    return sa.or_(*(new[f].is_distinct_from(old[f]) for f in fields))
