"""The files of a book (docs/domain.md) as data: each one's record, table, references and rules.

The loader is generic over these, so a rule lives here once rather than in a branch per file.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table

from downline.core.loading import records
from downline.core.models import (
    Agency,
    Agent,
    Client,
    ClientFollowUp,
    ClientVerification,
    Lead,
    Payout,
    User,
    utcnow,
)


@dataclass(frozen=True)
class Ref:
    """A column that must name an existing row of `table` (stored in an earlier file or load)."""

    field: str
    table: Table

    @property
    def noun(self) -> str:
        return self.table.name


@dataclass(frozen=True)
class Kind:
    file: str
    record: type[records.Record]
    table: Table
    refs: tuple[Ref, ...] = ()
    # Ids are unique across every type in a book (docs/domain.md); users are keyed by email instead.
    shares_ids: bool = True
    unique: str | None = None  # a column no two rows may share
    # Columns a record may leave out: an update keeps the stored value, an insert takes a default.
    kept: dict[str, Callable[[], Any]] = field(default_factory=dict)
    children: tuple[Table, ...] = ()

    @property
    def key(self) -> str:
        return self.table.primary_key.columns.values()[0].name


@dataclass
class Pending:
    """A valid record of one file, on its way to the database."""

    line: int
    key: str
    row: dict[str, Any]
    children: dict[str, list[dict[str, Any]]]

    @classmethod
    def of(cls, kind: Kind, line: int, record: records.Record) -> "Pending":
        row = record.row()
        return cls(line, row[kind.key], row, record.children())


def _true() -> bool:
    return True


AGENCIES = Kind(
    "agencies.jsonl",
    records.AgencyRecord,
    Agency.__table__,
    kept={"created_at": utcnow, "exports_allowed_for_agents": _true},
)
AGENTS = Kind(
    "agents.jsonl",
    records.AgentRecord,
    Agent.__table__,
    refs=(Ref("agency_id", Agency.__table__),),
    unique="npn",
    kept={"created_at": utcnow},
)
USERS = Kind(
    "users.jsonl",
    records.UserRecord,
    User.__table__,
    refs=(Ref("agent_id", Agent.__table__), Ref("agency_id", Agency.__table__)),
    shares_ids=False,
)
CLIENTS = Kind(
    "clients.jsonl",
    records.ClientRecord,
    Client.__table__,
    refs=(Ref("agent_id", Agent.__table__),),
    kept={"created_at": utcnow},
    children=(ClientVerification.__table__, ClientFollowUp.__table__),
)
LEADS = Kind(
    "leads.jsonl", records.LeadRecord, Lead.__table__, refs=(Ref("agent_id", Agent.__table__),)
)
PAYOUTS = Kind(
    "payouts.jsonl",
    records.PayoutRecord,
    Payout.__table__,
    refs=(Ref("agent_id", Agent.__table__), Ref("client_id", Client.__table__)),
)

# In load order: each file refers only to what the files before it (or an earlier load) hold.
KINDS = (AGENCIES, AGENTS, USERS, CLIENTS, LEADS, PAYOUTS)
# The tables whose ids share one space, for "an id that another type already uses".
ID_TABLES = tuple(kind.table for kind in KINDS if kind.shares_ids)
