"""The plugin API: pluggy hookspecs, the dataclasses hooks return, and the plugin manager.

A plugin imports these names from `downline.plugins` (which re-exports this module and the carrier
parsing kit) and nothing else of ours. Built-in plugins are registered exactly as third-party ones;
third-party plugins come from the entry-point group ``downline`` and are loaded one by one, so a
broken package is recorded (see `broken_plugins`) instead of taking the process down.

Sniffing is not a hook: `sniff_carrier` asks every parser for a score and applies DESIGN.md's rule.
"""

import enum
import functools
import importlib
import importlib.metadata
import logging
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, BinaryIO

import pluggy

from downline.core import export_plugins
from downline.core.config import get_settings
from downline.core.export_plugins import ExportType

PROJECT = "downline"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

log = logging.getLogger(__name__)

# Packages whose `BUILTIN` list holds the built-in plugin modules. Named, not imported: core never
# imports a plugin; the built-ins are registered the way a third-party plugin is.
BUILTIN_PACKAGES: tuple[str, ...] = (
    "downline.plugins.carriers",
    "downline.plugins.exports",
    "downline.plugins.notifications",
)

KEY_PATTERN = re.compile(r"[a-z][a-z0-9_]*")
SNIFF_THRESHOLD = 0.5
SNIFF_MARGIN = 0.1


class PolicyStatus(enum.StrEnum):
    APPROVED = "APPROVED"
    ACTIVE = "ACTIVE"
    ATTRITED = "ATTRITED"
    DECEASED = "DECEASED"
    POLICY_DISENROLLMENT = "POLICY_DISENROLLMENT"
    UNKNOWN = "UNKNOWN"


class TermReason(enum.StrEnum):
    DENIED = "DENIED"
    WITHDRAWN = "WITHDRAWN"
    CANCELED = "CANCELED"
    PLAN_CHANGE = "PLAN_CHANGE"
    PLAN_EXIT = "PLAN_EXIT"
    OTHER = "OTHER"


class ProductType(enum.StrEnum):
    MAPD = "MAPD"
    MA = "MA"
    PDP = "PDP"
    DSNP = "DSNP"
    CSNP = "CSNP"
    MEDSUPP = "MEDSUPP"
    ACA = "ACA"
    DENTAL = "DENTAL"
    VISION = "VISION"
    HOSPITAL_INDEMNITY = "HOSPITAL_INDEMNITY"
    OTHER = "OTHER"


@dataclass(frozen=True, slots=True)
class PolicyRecord:
    """One normalized row of a carrier report (domain/production.md)."""

    line: int
    carrier_policy_id: str
    agent_npn: str
    member_id: str | None
    first_name: str
    last_name: str
    date_of_birth: date | None
    plan_id: str | None
    plan_name: str | None
    product_type: ProductType
    county: str | None
    state: str | None
    status: PolicyStatus
    term_reason: TermReason | None
    source_status: str | None
    submitted_date: date | None
    effective_date: date | None
    term_date: date | None

    @property
    def client_name(self) -> str:
        """The client name shown: "First Last" as the carrier wrote it (letter case kept)."""
        return f"{self.first_name} {self.last_name}".strip()


@dataclass(frozen=True, slots=True)
class RowError:
    """A rejected row: `message` starts with "line N: " and names the carrier's column."""

    line: int
    message: str


@dataclass(frozen=True)
class CarrierParser:
    """One carrier's report format, returned by `downline_carrier_parsers()`.

    `sniff(head, filename)` gets the first 64 KiB and the file name and returns 0.0 .. 1.0.
    `parse(stream, as_of)` is a generator over the binary stream: it yields a `PolicyRecord` or a
    `RowError` per record, in file order, and raises `FileRejected` when the whole file cannot be
    this carrier's format. That can happen at any point of the iteration (a missing column at the
    start, a trailer count that does not match at the end): the caller treats the file as rejected.
    """

    key: str
    name: str
    product_types: tuple[ProductType, ...]
    sniff: Callable[[bytes, str], float]
    parse: Callable[[BinaryIO, date], Iterator[PolicyRecord | RowError]]


class FileRejected(Exception):
    """The whole file cannot be this carrier's format (missing columns, trailer mismatch...)."""


class CarrierNotRecognized(Exception):
    """Sniffing found no carrier, or more than one that fits; `candidates` holds (key, score)."""

    def __init__(self, message: str, candidates: tuple[tuple[str, float], ...] = ()) -> None:
        super().__init__(message)
        self.candidates = candidates


class PluginConflict(Exception):
    """Two plugins claim one key: a start-up error."""


@dataclass(frozen=True)
class BrokenPlugin:
    name: str
    reason: str


class CarrierHooks:
    """Hookspecs for carrier reports."""

    @hookspec
    def downline_carrier_parsers(self) -> list[CarrierParser]:
        """Return the carrier report formats this plugin reads, one `CarrierParser` each.

        Called once at start-up; every plugin's list is collected. Each parser's `key` must be
        unique across all plugins (lower-case letters, digits, `_`): a duplicate key is a start-up
        error naming both plugins. A plugin whose answer is not a list of `CarrierParser` is
        recorded as broken and skipped. Build parsers with `downline.plugins.carrier_parser` or
        write `sniff` and `parse` by hand; test them with the `carrier_conformance` fixture.
        """


class ExportHooks:
    """Hookspecs for exports."""

    @hookspec
    def downline_export_types(self) -> list[ExportType]:
        """Return the export types this plugin offers, one `ExportType` each.

        Called once at start-up; every plugin's list is collected. Keys are unique across all
        plugins (a duplicate is a start-up error naming both). `ExportType.query(ctx)` returns a
        Select of the export's columns in order, limited to `ctx.scope`; core streams it, masks
        PII columns and neutralises formulas, so the plugin never formats a cell.
        """

    @hookspec
    def downline_export_ready(self, export: Any, link: str, recipient: str) -> None:
        """An export succeeded: tell `recipient` (the requester's email) that its file is at
        `link` (signed, expiring). Every implementation is called; one that raises is logged
        and does not fail the export. The built-in one sends an email."""


HOOKSPECS: tuple[type, ...] = (CarrierHooks, ExportHooks)


class DownlinePluginManager(pluggy.PluginManager):
    """A pluggy manager that remembers where each plugin came from ("built-in", or the package
    and version that installed it), which plugin answers for each carrier key, and the plugins
    it could not use, with the reason."""

    def __init__(self) -> None:
        super().__init__(PROJECT)
        self.sources: dict[str, str] = {}
        self.carrier_owners: dict[str, str] = {}  # filled by carrier_parsers
        self.broken: dict[str, str] = {}

    def carrier_source(self, key: str) -> str:
        return self.sources.get(self.carrier_owners.get(key, ""), "")

    def mark_broken(self, name: str, reason: str) -> None:
        log.warning("downline plugin %s is broken and was skipped: %s", name, reason)
        self.broken[name] = reason


def get_plugin_manager(load_entrypoints: bool = True) -> DownlinePluginManager:
    """The manager with the hookspecs, the built-in plugins and (unless told not to) the
    third-party plugins of the entry-point group ``downline``, each loaded on its own."""
    pm = DownlinePluginManager()
    for specs in HOOKSPECS:
        pm.add_hookspecs(specs)
    for package in BUILTIN_PACKAGES:
        for module in importlib.import_module(package).BUILTIN:
            pm.register(module, name=module.__name__)
            pm.sources[module.__name__] = "built-in"
    if load_entrypoints:
        for ep in importlib.metadata.entry_points(group=PROJECT):
            try:
                pm.register(ep.load(), name=ep.name)
            except Exception as exc:  # noqa: BLE001 - one broken package must not stop the rest
                pm.mark_broken(ep.name, f"cannot be loaded: {type(exc).__name__}: {exc}")
                continue
            pm.sources[ep.name] = f"{ep.dist.name} {ep.dist.version}" if ep.dist else ep.value
    return pm


def broken_plugins(pm: pluggy.PluginManager) -> list[BrokenPlugin]:
    """The plugins that were skipped, with the reason (for `downline carriers`)."""
    broken = getattr(pm, "broken", {})
    return [BrokenPlugin(name, reason) for name, reason in sorted(broken.items())]


def carrier_parsers(pm: pluggy.PluginManager) -> dict[str, CarrierParser]:
    """Every registered plugin's parsers by key, validated. A plugin with an invalid answer is
    recorded broken and skipped; two plugins claiming one key raise `PluginConflict`."""
    parsers: dict[str, CarrierParser] = {}
    owners: dict[str, str] = {}
    for impl in pm.hook.downline_carrier_parsers.get_hookimpls():
        try:
            answer = _valid_parsers(impl.function())
        except Exception as exc:  # noqa: BLE001 - a plugin's failure is recorded, not raised
            if isinstance(pm, DownlinePluginManager):
                pm.mark_broken(impl.plugin_name, f"downline_carrier_parsers: {exc}")
            else:
                log.warning("downline plugin %s skipped: %s", impl.plugin_name, exc)
            continue
        for parser in answer:
            if parser.key in owners:
                raise PluginConflict(
                    f"carrier key {parser.key!r} is claimed by two plugins: "
                    f"{owners[parser.key]} and {impl.plugin_name}"
                )
            owners[parser.key] = impl.plugin_name
            parsers[parser.key] = parser
    if isinstance(pm, DownlinePluginManager):
        pm.carrier_owners = owners
    return dict(sorted(parsers.items()))


def _valid_parsers(answer: object) -> list[CarrierParser]:
    if not isinstance(answer, list | tuple):
        raise TypeError(f"returned {type(answer).__name__}, not a list of CarrierParser")
    for parser in answer:
        if not isinstance(parser, CarrierParser):
            raise TypeError(f"returned a {type(parser).__name__}, not a CarrierParser")
        if not isinstance(parser.key, str) or not KEY_PATTERN.fullmatch(parser.key):
            raise ValueError(f"bad key {parser.key!r}: lower-case letters, digits and _ only")
        if not isinstance(parser.name, str) or not parser.name.strip():
            raise ValueError(f"parser {parser.key!r} has no name")
        if not callable(parser.sniff) or not callable(parser.parse):
            raise TypeError(f"parser {parser.key!r}: sniff and parse must be callable")
        if not all(isinstance(p, ProductType) for p in parser.product_types):
            raise TypeError(f"parser {parser.key!r}: product_types must be ProductType values")
    return list(answer)


def sniff_carrier(
    parsers: Mapping[str, CarrierParser] | Iterable[CarrierParser], head: bytes, filename: str
) -> CarrierParser:
    """The parser whose `sniff` scores best, if it scores at least 0.5 and no other is within 0.1
    of it; otherwise `CarrierNotRecognized` naming the candidates (or the known carriers)."""
    pool = list(parsers.values() if isinstance(parsers, Mapping) else parsers)
    scored = sorted(
        ((_score(parser, head, filename), parser) for parser in pool),
        key=lambda pair: (-pair[0], pair[1].key),
    )
    known = ", ".join(sorted(parser.key for parser in pool)) or "none"
    if not scored or scored[0][0] < SNIFF_THRESHOLD:
        raise CarrierNotRecognized(
            f"{filename}: no carrier recognises this file; name the carrier "
            f"(known carriers: {known})"
        )
    best = scored[0][0]
    close = [(p.key, round(s, 2)) for s, p in scored if best - s <= SNIFF_MARGIN + 1e-9]
    if len(close) > 1:
        named = ", ".join(f"{key} ({score:.2f})" for key, score in close)
        raise CarrierNotRecognized(
            f"{filename}: more than one carrier fits ({named}); name the carrier", tuple(close)
        )
    return scored[0][1]


def _score(parser: CarrierParser, head: bytes, filename: str) -> float:
    try:
        score = float(parser.sniff(head, filename))
    except Exception as exc:  # noqa: BLE001 - a failing sniff is "not mine"
        log.warning("carrier %s: sniff failed on %s: %s", parser.key, filename, exc)
        return 0.0
    return 0.0 if math.isnan(score) else min(max(score, 0.0), 1.0)


@functools.lru_cache
def installed() -> DownlinePluginManager:
    """The process's plugin manager: built-ins, plus third-party plugins unless
    DOWNLINE_LOAD_PLUGINS is false (the test suite loads none unless asked)."""
    return get_plugin_manager(load_entrypoints=get_settings().load_plugins)


@functools.lru_cache
def installed_parsers() -> dict[str, CarrierParser]:
    return carrier_parsers(installed())


@functools.lru_cache
def installed_export_types() -> dict[str, ExportType]:
    """Every registered export type by key, checked (a bad or duplicate one stops start-up)."""
    pm = installed()
    answers = {
        impl.plugin_name: impl.function() for impl in pm.hook.downline_export_types.get_hookimpls()
    }
    return dict(sorted(export_plugins.collect(answers).items()))


def notify_export_ready(export: Any, link: str, recipient: str) -> None:
    """Call every `downline_export_ready`; one that raises is logged, the others still run."""
    for impl in installed().hook.downline_export_ready.get_hookimpls():
        try:
            impl.function(export=export, link=link, recipient=recipient)
        except Exception:  # noqa: BLE001 - a failed notification never fails the export
            log.exception(
                "notification plugin %s failed for export %s", impl.plugin_name, export.id
            )
