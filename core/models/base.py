"""What every table module shares."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Now, aware, in UTC: SQLModel's datetime columns store and return UTC-aware values."""
    return datetime.now(UTC)
