"""The public plugin API: everything a downline plugin imports, and nothing else of ours.

    from downline.plugins import hookimpl, carrier_parser, Delimited, status_table

Hooks, dataclasses and enums come from `downline.core.plugins`; the carrier parsing kit (row
sources, header matching, dates, status tables, names, records) from `downline.core.carrierkit`;
the export kit (list filters as parameters, the list queries themselves, the tables in `models`)
from `downline.core.export_kit` and friends; `get_settings` for a plugin that needs downline's
settings (the email plugin).
"""

from downline.core import models
from downline.core.carrierkit import *  # noqa: F403 - the kit is public API, re-exported whole
from downline.core.carrierkit import __all__ as _kit
from downline.core.clients import ORDER as CLIENT_ORDER
from downline.core.clients import ClientFilter, clients_query
from downline.core.config import get_settings
from downline.core.export_kit import (
    AGENT_CELLS,
    AGENT_COLUMNS,
    CLIENT_FILTER,
    LEAD_FILTER,
    PRODUCTION_FILTER,
    client_filter,
    lead_filter,
    ordered,
    production_filter,
    with_agent,
    with_policy_agent,
    writing_agency,
    writing_agent,
)
from downline.core.export_plugins import (
    ExportColumn,
    ExportContext,
    ExportParameter,
    ExportScope,
    ExportType,
)
from downline.core.leads import ORDER as LEAD_ORDER
from downline.core.leads import LeadFilter, leads_query
from downline.core.plugins import (
    BrokenPlugin,
    CarrierNotRecognized,
    CarrierParser,
    FileRejected,
    PluginConflict,
    PolicyRecord,
    PolicyStatus,
    ProductType,
    RowError,
    TermReason,
    hookimpl,
    hookspec,
)
from downline.core.production import ORDER as PRODUCTION_ORDER
from downline.core.production import ProductionFilter, policies_query

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
    "client_filter",
    "clients_query",
    "get_settings",
    "lead_filter",
    "leads_query",
    "models",
    "ordered",
    "policies_query",
    "production_filter",
    "with_agent",
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
    *_kit,
]
