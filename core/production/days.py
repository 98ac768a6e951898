"""Day arithmetic in each dialect's words, for effectuation's year window and grace period."""

from sqlalchemy import Date
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class utc_day(FunctionElement):
    """The UTC calendar day of a timestamp column (PostgreSQL's timestamptz is read in UTC
    whatever the session's time zone)."""

    type = Date()
    inherit_cache = True


@compiles(utc_day)
def _utc_day_postgresql(element, compiler, **kw):
    return f"CAST(timezone('UTC', {compiler.process(element.clauses, **kw)}) AS DATE)"


@compiles(utc_day, "sqlite")
def _utc_day_sqlite(element, compiler, **kw):
    return f"date({compiler.process(element.clauses, **kw)})"


class plus_days(FunctionElement):
    """`plus_days(day, n)`: the day `n` (a whole number, or an integer expression) days after
    `day`."""

    type = Date()
    inherit_cache = True


@compiles(plus_days)
def _plus_days_postgresql(element, compiler, **kw):
    day, days = (compiler.process(c, **kw) for c in element.clauses)
    return f"(CAST({day} AS DATE) + CAST({days} AS INTEGER))"


@compiles(plus_days, "sqlite")
def _plus_days_sqlite(element, compiler, **kw):
    day, days = (compiler.process(c, **kw) for c in element.clauses)
    return f"date({day}, '+' || ({days}) || ' days')"
