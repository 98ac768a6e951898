"""Bulk upsert of policies the way each database wants it: rows go into a temporary
staging table (PostgreSQL: COPY; SQLite: executemany), then an INSERT … SELECT … ON CONFLICT
DO UPDATE … WHERE <something changed> moves them into `policy`, on its natural key (tenant,
carrier, carrier policy id). "Something changed" includes being seen as of a newer day: the same
statement moves `last_seen_as_of` forward (never back), so a policy listed unchanged still counts
as seen, without a second pass over the table.

Within one file the last row of a policy wins: SQLite's staging table is keyed on (tenant, id)
(INSERT OR REPLACE); PostgreSQL's keeps every row and DISTINCT ON picks the last line.

An uploader's rows that name a policy of its tenant outside its book are refused, just before
each upsert, by one statement over the staged rows (`refused` holds their lines and ids).

On PostgreSQL a big file is upserted in chunks, each in a thread while the caller parses on, so
the database's work overlaps Python's (two CPUs instead of one). Everything still happens in
the caller's one transaction.
"""

import itertools
import secrets
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_for
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from downline.core.book.scope import Principal
from downline.core.models import Policy
from downline.core.production import queries as production
from downline.core.production.naming import last_name_key
from downline.core.production.vocabulary import PolicyRecord

# A change to one of these moves `updated_at` (docs/domain.md); the rest is overwritten quietly.
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
    "last_name_key",
)
FIELDS = (*TRACKED, *QUIET)
_policy = Policy.__table__


@dataclass(frozen=True)
class Counts:
    inserted: int
    updated: int
    unchanged: int

    def __add__(self, other: "Counts") -> "Counts":
        return Counts(
            self.inserted + other.inserted,
            self.updated + other.updated,
            self.unchanged + other.unchanged,
        )


class RepeatedPolicy(Exception):
    """A policy id came back in a later chunk of the file than the one that upserted it."""


class Staging:
    """A staging table on one connection, for one report: `add` rows, `wait`, then `apply`.

    With `chunk_rows` (PostgreSQL only), every `chunk_rows` staged rows are upserted in a thread
    while the caller parses on; rows parsed meanwhile wait in memory (at most `chunk_rows`).
    Each chunk's policies must be new to the report: only then is each policy compared once, by
    its last row, with what was there before the report, as one upsert would. A policy id that
    comes back in a later chunk raises RepeatedPolicy; the caller rolls back and runs the report
    again without chunks. Use it as a context manager: leaving waits for a running chunk, so the
    connection is free when the caller's transaction ends.

    `tenant_of(npn)` is the tenant a row goes into. With an `uploader`, rows naming a policy of
    its tenant it may not see are refused (`refused`: (line, carrier policy id), after `apply`);
    the operator (no uploader) may write anywhere. `as_of` is the report's date: every policy it
    lists was seen then (`last_seen_as_of`), unless a newer report saw it already."""

    def __init__(
        self,
        conn: sa.Connection,
        carrier: str,
        owner_agency_id: str | None,
        report_id: str,
        now: datetime,
        chunk_rows: int | None = None,
        *,
        as_of: date,
        tenant_of: Callable[[str], str],
        uploader: Principal | None = None,
    ) -> None:
        self.conn = conn
        self.carrier = carrier
        self.owner = owner_agency_id
        self.tenant_of = tenant_of
        self.uploader = uploader
        self.refused: list[tuple[int, str]] = []
        self.report_id = report_id
        self.now = now
        self.as_of = as_of
        self.postgres = conn.dialect.name == "postgresql"
        self.chunk_rows = chunk_rows if self.postgres else None
        self.counts = Counts(0, 0, 0)  # of the chunks upserted so far
        self._waiting: list[tuple] = []  # parsed while a chunk upserts
        self._staged = 0  # rows in the staging table
        self._running: Future | None = None
        self._threads: ThreadPoolExecutor | None = None
        columns = [
            sa.Column("carrier_policy_id", sa.String, primary_key=not self.postgres),
            sa.Column("tenant_id", sa.String, primary_key=not self.postgres),
            sa.Column("line", sa.Integer),
            sa.Column("id", sa.String),
            *(sa.Column(name, _policy.c[name].type) for name in FIELDS),
        ]
        self.table = sa.Table("policy_staging", sa.MetaData(), *columns, prefixes=["TEMPORARY"])
        self.ids = time_ordered_ids()
        self.table.drop(conn, checkfirst=True)
        self.table.create(conn)
        if self.chunk_rows:
            conn.execute(sa.text("DROP TABLE IF EXISTS policy_seen"))
            conn.execute(
                sa.text(
                    "CREATE TEMPORARY TABLE policy_seen (tenant_id text, carrier_policy_id text,"
                    " PRIMARY KEY (tenant_id, carrier_policy_id))"
                )
            )

    def __enter__(self) -> "Staging":
        return self

    def __exit__(self, *exc) -> None:
        if self._running is not None:
            wait_for([self._running])  # its error, if any, is the caller's to see via wait()
        if self._threads is not None:
            self._threads.shutdown()

    def add(self, records: Sequence[PolicyRecord]) -> None:
        rows = [self._row(r) for r in records]
        if not rows:
            return
        if not self.postgres:
            keys = self.table.c.keys()
            self.conn.execute(
                self.table.insert().prefix_with("OR REPLACE"),
                [dict(zip(keys, r, strict=True)) for r in rows],
            )
            return
        self._waiting += rows
        busy = self._running is not None and not self._running.done()
        if busy and len(self._waiting) < self.chunk_rows:
            return  # the database is upserting the last chunk: parse on
        self.wait()
        if self.chunk_rows and self._staged >= self.chunk_rows:
            self._threads = self._threads or ThreadPoolExecutor(1, "downline-upsert")
            self._running = self._threads.submit(self._upsert_chunk)

    def wait(self) -> None:
        """Finish the chunk upserting in the background (raising its error) and stage the rows
        that waited for it. Call before using the connection for anything else."""
        running, self._running = self._running, None
        if running is not None:
            running.result()
        if self._waiting:
            self._copy(self._waiting)
            self._staged += len(self._waiting)
            self._waiting = []

    def _copy(self, rows: list[tuple]) -> None:
        names = ", ".join(self.table.c.keys())
        cursor = self.conn.connection.driver_connection.cursor()
        with cursor.copy(f"COPY policy_staging ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def _row(self, r: PolicyRecord) -> tuple:
        """The staging table's columns, in order (a tuple: a million rows go through here)."""
        return (
            r.carrier_policy_id,
            self.tenant_of(r.agent_npn),
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
            last_name_key(r.last_name),
        )

    def apply(self) -> Counts:
        """Upsert what is still staged; returns what the report did. A row counts as updated
        when a tracked field changed (its `updated_at` moved), unchanged otherwise."""
        self.wait()
        if not self.postgres:  # SQLite: no xmax, no INSERT in a CTE; count by a join first
            self._refuse(self.table)
            inserted, updated, total = self._count(self.table)
            self.conn.execute(self._upsert(self.table))
            return Counts(inserted, updated, total - inserted - updated)
        if self._staged:
            self._upsert_chunk()
        return self.counts

    def _upsert_chunk(self) -> None:
        """Upsert the staged rows (PostgreSQL), adding their counts, and empty the table."""
        staged, total = self._last_per_policy()
        if self.chunk_rows:
            seen = self.conn.execute(
                sa.text(
                    "INSERT INTO policy_seen SELECT tenant_id, carrier_policy_id FROM policy_staged"
                    " ON CONFLICT DO NOTHING"
                )
            )
            if seen.rowcount < total:
                raise RepeatedPolicy
        total -= self._refuse(staged)
        # The upsert counts for itself: RETURNING says which rows it inserted (xmax = 0) and
        # which moved updated_at; rows it left alone return nothing.
        done = self._upsert(staged).returning(
            sa.literal_column("xmax = 0").label("inserted"), _policy.c.updated_at
        )
        done = done.cte("done")
        inserted, updated = self.conn.execute(
            sa.select(
                sa.func.count().filter(done.c.inserted),
                sa.func.count().filter(~done.c.inserted & (done.c.updated_at == self.now)),
            )
        ).one()
        self.counts += Counts(inserted, updated, total - inserted - updated)
        self.conn.execute(sa.text("TRUNCATE policy_staging"))
        self._staged = 0

    def _refuse(self, staged: sa.Table) -> int:
        """Take out of `staged` the rows naming a policy outside the uploader's book, noting
        them in `refused`; how many."""
        if self.uploader is None:
            return 0
        outside = production.outside_book(self.uploader, self.carrier, staged.alias("staged"))
        refused = self.conn.execute(
            staged.delete()
            .where(staged.c.line.in_(outside))
            .returning(staged.c.line, staged.c.carrier_policy_id)
        ).all()
        self.refused += [tuple(row) for row in refused]
        return len(refused)

    def _count(self, staged: sa.FromClause) -> tuple[int, int, int]:
        """(to insert, to update with a tracked change, all) before the upsert."""
        existing = _policy.alias("existing")
        match = sa.and_(
            existing.c.tenant_id == staged.c.tenant_id,
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
                "CREATE TEMPORARY TABLE policy_staged AS"
                " SELECT DISTINCT ON (tenant_id, carrier_policy_id) * FROM policy_staging"
                " ORDER BY tenant_id, carrier_policy_id, line DESC"
            )
        )
        columns = (sa.Column(c.name, c.type) for c in self.table.c)
        return sa.Table("policy_staged", sa.MetaData(), *columns), created.rowcount

    def _upsert(self, staged: sa.FromClause):
        """INSERT … SELECT … ON CONFLICT DO UPDATE … WHERE <something changed>."""
        dialect_insert = postgresql.insert if self.postgres else sqlite.insert
        names = [
            "id",
            "tenant_id",
            "carrier",
            "carrier_policy_id",
            *FIELDS,
            "first_seen_at",
            "updated_at",
            "last_seen_as_of",
            "report_id",
        ]
        source = sa.select(
            staged.c.id,
            staged.c.tenant_id,
            sa.literal(self.carrier),
            staged.c.carrier_policy_id,
            *(staged.c[f] for f in FIELDS),
            sa.literal(self.now, _policy.c.first_seen_at.type),
            sa.literal(self.now, _policy.c.updated_at.type),
            sa.literal(self.as_of, _policy.c.last_seen_as_of.type),
            sa.literal(self.report_id),
        ).where(sa.true())  # SQLite needs a WHERE to read ON CONFLICT as the upsert clause
        insert = dialect_insert(_policy).from_select(names, source)
        new = insert.excluded
        updated_at = sa.case(
            (_changed(new, _policy.c, TRACKED), new.updated_at), else_=_policy.c.updated_at
        )
        # Seen anew: in the same statement, so a re-ingest of an unchanged file as of the same
        # day still writes nothing, and a newer one only moves the date.
        seen_later = new.last_seen_as_of > _policy.c.last_seen_as_of
        return insert.on_conflict_do_update(
            index_elements=["tenant_id", "carrier", "carrier_policy_id"],
            set_={
                **{f: new[f] for f in FIELDS},
                "updated_at": updated_at,
                "last_seen_as_of": sa.case(
                    (seen_later, new.last_seen_as_of), else_=_policy.c.last_seen_as_of
                ),
                "report_id": new.report_id,
            },
            where=sa.or_(_changed(new, _policy.c, FIELDS), seen_later),
        )

    def drop(self) -> None:
        self.conn.execute(sa.text("DROP TABLE IF EXISTS policy_staged"))
        self.conn.execute(sa.text("DROP TABLE IF EXISTS policy_seen"))
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
