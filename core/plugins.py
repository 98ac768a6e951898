"""The plugin manager: pluggy hookspecs and the manager that registers the built-in and
third-party plugins. Nothing else: what a plugin returns is defined by the wing it feeds
(`core.carriers.parsers`, `core.exports.types`), and this module imports them, never the other
way round.

A plugin imports these names from `downline.plugins` (the public API) and nothing else of ours.
Built-in plugins are registered exactly as third-party ones; third-party plugins come from the
entry-point group ``downline`` and are loaded one by one, so a broken package is recorded (see
`broken_plugins`) instead of taking the process down.
"""

import functools
import importlib
import importlib.metadata
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pluggy

from downline.core.carriers.parsers import CarrierParser, check_parsers
from downline.core.config import get_settings
from downline.core.exports import types as export_types
from downline.core.exports.types import ExportType

PROJECT = "downline"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

log = logging.getLogger(__name__)

# The built-in plugins, registered exactly as a third-party plugin is. Named, not imported: core
# never imports a plugin.
DEFAULT_PLUGINS: tuple[str, ...] = (
    *(
        f"downline.plugins.carriers.{key}"
        for key in (
            "aetna",
            "alignment",
            "anthem",
            "banner",
            "bnd",
            "central_health_plan",
            "cigna",
            "devoted",
            "freedom",
            "healthsun",
            "humana",
            "memorial_hermann",
            "molina",
            "scan",
            "uhc",
            "wellcare",
            "zing",
        )
    ),
    *(
        f"downline.plugins.exports.{key}"
        for key in (
            "clients",
            "enrollments",
            "leads",
            "client_follow_ups",
            "aor_at_risk",
            "ede_permission_lost",
            "invalid_action_tracker",
            "dmi_follow_ups",
            "svi_follow_ups",
            "agent_roster",
            "payouts_awaiting_consent",
            "payouts_program_report",
            "intake",
            "production",
            "effectuation",
        )
    ),
    "downline.plugins.notifications.email",
)


def provide(*answers: Any) -> Callable[[], list[Any]]:
    """A module's hook implementation answering `answers`, for either plugin family:
    `downline_carrier_parsers = provide(PARSER)` or `downline_export_types = provide(MY_TYPE)`.
    pluggy finds a hook implementation by the module attribute's name, so the assignment names
    the hook."""

    @hookimpl
    def answer() -> list[Any]:
        return list(answers)

    return answer


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
    for name in DEFAULT_PLUGINS:
        pm.register(importlib.import_module(name), name=name)
        pm.sources[name] = "built-in"
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
            answer = check_parsers(impl.function())
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
    return dict(sorted(export_types.collect(answers).items()))


def notify_export_ready(export: Any, link: str, recipient: str) -> None:
    """Call every `downline_export_ready`; one that raises is logged, the others still run."""
    for impl in installed().hook.downline_export_ready.get_hookimpls():
        try:
            impl.function(export=export, link=link, recipient=recipient)
        except Exception:  # noqa: BLE001 - a failed notification never fails the export
            log.exception(
                "notification plugin %s failed for export %s", impl.plugin_name, export.id
            )


def reset() -> None:
    """Forget the loaded plugins, to load them again under new settings (tests that switch
    DOWNLINE_LOAD_PLUGINS, as `db.reset` forgets the engine)."""
    for cached in (installed, installed_parsers, installed_export_types):
        cached.cache_clear()
