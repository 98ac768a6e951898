"""SQLModel tables, one module per aggregate. Importing this package registers them all."""

from downline.core.models.audit import AuditEvent
from downline.core.models.base import utcnow
from downline.core.models.clients import Client, ClientFollowUp, ClientVerification
from downline.core.models.exports import Export
from downline.core.models.hierarchy import Agency, AgencyClosure, Agent
from downline.core.models.leads import Lead
from downline.core.models.payouts import Payout
from downline.core.models.production import CarrierReport, Policy, ReportRowError
from downline.core.models.users import Role, User

__all__ = [
    "Agency",
    "AuditEvent",
    "AgencyClosure",
    "Agent",
    "CarrierReport",
    "Client",
    "ClientFollowUp",
    "ClientVerification",
    "Export",
    "Lead",
    "Payout",
    "Policy",
    "ReportRowError",
    "Role",
    "User",
    "utcnow",
]
