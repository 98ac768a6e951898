"""The public plugin API: everything a downline plugin imports, and nothing else of ours.

    from downline.plugins import hookimpl, carrier_parser, Delimited, status_table

Hooks, dataclasses and enums come from `downline.core.plugins`; the carrier parsing kit (row
sources, header matching, dates, status tables, names, records) from `downline.core.carrierkit`.
"""

from downline.core.carrierkit import *  # noqa: F403 - the kit is public API, re-exported whole
from downline.core.carrierkit import __all__ as _kit
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

__all__ = [
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
