"""The public plugin API: everything a downline plugin imports, and nothing else of ours.

    from downline.plugins import hookimpl, carrier_parser, Delimited, status_table

Both plugin families register the same way: a module-level `downline_carrier_parsers =
provide(PARSER)` or `downline_export_types = provide(MY_TYPE)`. Hooks come from
`downline.core.plugins`; the carrier parsing kit (row sources, header matching, dates, status
tables, names, records) from `downline.core.carriers.kit`; the export kit (cells and the type
builder, the client columns, scoped rows, the list filters as parameters and the list queries
themselves, the tables in `models`) from `downline.core.exports`; each application's
reconciliation (`reconciled`) from `downline.core.production`; `get_settings` for a plugin that
needs downline's settings and `private_dir` for one that writes files (the email plugin). The
built-in plugins use nothing else.
"""

from downline.core import models
from downline.core.book.clients import ORDER as CLIENT_ORDER
from downline.core.book.clients import clients_query
from downline.core.book.filters import ClientFilter, LeadFilter
from downline.core.book.leads import ORDER as LEAD_ORDER
from downline.core.book.leads import leads_query
from downline.core.carriers.kit import *  # noqa: F403 - the kit is public API, re-exported whole
from downline.core.carriers.kit import __all__ as _kit
from downline.core.carriers.parsers import CarrierNotRecognized, CarrierParser, FileRejected
from downline.core.config import get_settings
from downline.core.exports.builder import *  # noqa: F403 - the export kit, re-exported whole
from downline.core.exports.builder import __all__ as _builder
from downline.core.exports.kit import (
    AGENT_CELLS,
    AGENT_COLUMNS,
    CLIENT_FILTER,
    LEAD_FILTER,
    PRODUCTION_FILTER,
    RECONCILIATION_FILTER,
    client_filter,
    lead_filter,
    ordered,
    production_filter,
    reconciliation_filter,
    with_agent,
    with_policy_agent,
    writing_agency,
    writing_agent,
)
from downline.core.exports.types import (
    ExportColumn,
    ExportContext,
    ExportParameter,
    ExportScope,
    ExportType,
)
from downline.core.plugins import BrokenPlugin, PluginConflict, hookimpl, hookspec, provide
from downline.core.private import private_dir
from downline.core.production.filters import ProductionFilter, ReconciliationFilter
from downline.core.production.queries import ORDER as PRODUCTION_ORDER
from downline.core.production.queries import guidance_of as term_reason_guidance
from downline.core.production.queries import policies_query
from downline.core.production.reconciliation import Reconciled, reconciled
from downline.core.production.reconciliation import counted as reconciliations_counted
from downline.core.production.vocabulary import (
    PolicyRecord,
    PolicyStatus,
    ProductType,
    ReconciliationStatus,
    RowError,
    TermReason,
)

__all__ = [
    "AGENT_CELLS",
    "AGENT_COLUMNS",
    "CLIENT_FILTER",
    "CLIENT_ORDER",
    "ClientFilter",
    "ExportColumn",
    "ExportContext",
    "ExportParameter",
    "ExportScope",
    "ExportType",
    "LEAD_FILTER",
    "LEAD_ORDER",
    "LeadFilter",
    "PRODUCTION_FILTER",
    "PRODUCTION_ORDER",
    "ProductionFilter",
    "RECONCILIATION_FILTER",
    "Reconciled",
    "ReconciliationFilter",
    "ReconciliationStatus",
    "client_filter",
    "clients_query",
    "get_settings",
    "lead_filter",
    "leads_query",
    "models",
    "ordered",
    "policies_query",
    "private_dir",
    "production_filter",
    "term_reason_guidance",
    "reconciled",
    "reconciliations_counted",
    "reconciliation_filter",
    "with_agent",
    "with_policy_agent",
    "with_policy_agent",
    "writing_agency",
    "writing_agent",
    "BrokenPlugin",
    "CarrierNotRecognized",
    "CarrierParser",
    "FileRejected",
    "PluginConflict",
    "PolicyRecord",
    "PolicyStatus",
    "ProductType",
    "RowError",
    "TermReason",
    "hookimpl",
    "hookspec",
    "provide",
    *_kit,
    *_builder,
]
