"""The export hooks as a plugin author meets them: a plugin's `downline_export_types` joins the
built-ins, a key claimed twice stops start-up with both names, a malformed type is refused with
the reason, and one failing `downline_export_ready` does not stop the others."""

import types

import pytest
from sqlalchemy import literal, select

from downline.core import plugins
from downline.core.exports import types as export_plugins
from downline.plugins import ExportColumn, ExportScope, ExportType, hookimpl


def export_type(name: str, **changes) -> ExportType:
    fields = dict(
        key=name,
        title=name.title(),
        description="A test export.",
        scopes=(ExportScope.AGENT,),
        parameters=(),
        columns=(ExportColumn("one", "The number one.", kind="number"),),
        query=lambda ctx: select(literal(1).label("one")),
    )
    return ExportType(**(fields | changes))


def plugin(*answer) -> types.SimpleNamespace:
    @hookimpl
    def downline_export_types():
        return list(answer)

    return types.SimpleNamespace(downline_export_types=downline_export_types)


def collect(pm) -> dict:
    answers = {i.plugin_name: i.function() for i in pm.hook.downline_export_types.get_hookimpls()}
    return export_plugins.collect(answers)


def test_a_third_party_export_type_joins_the_built_ins():
    pm = plugins.get_plugin_manager(load_entrypoints=False)
    pm.register(plugin(export_type("acme_totals")), name="acme")
    found = collect(pm)
    assert "acme_totals" in found and "clients" in found


def test_a_key_claimed_twice_names_both_plugins():
    pm = plugins.get_plugin_manager(load_entrypoints=False)
    pm.register(plugin(export_type("clients")), name="copycat")
    with pytest.raises(ValueError, match="claimed by two plugins: .*clients.* and copycat"):
        collect(pm)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"key": "Bad Key"}, "bad export key"),
        ({"scopes": ()}, "scopes"),
        ({"columns": ()}, "no columns"),
        ({"columns": (ExportColumn("a", "x", pii="passport"),)}, "bad pii or kind"),
        ({"columns": (ExportColumn("a", "x"), ExportColumn("a", "y"))}, "names a column twice"),
    ],
)
def test_malformed_export_types_are_refused_with_the_reason(changes, reason):
    with pytest.raises((ValueError, TypeError), match=reason):
        export_plugins.check_export_type(export_type("fine", **changes))


def test_a_failing_downline_export_ready_does_not_stop_the_others(monkeypatch, caplog):
    pm = plugins.get_plugin_manager(load_entrypoints=False)
    heard = []

    class Loud:
        @hookimpl
        def downline_export_ready(self, export, link, recipient):
            raise RuntimeError("the pager is down")

    class Quiet:
        @hookimpl
        def downline_export_ready(self, export, link, recipient):
            heard.append((export.id, link, recipient))

    for name in [n for n, _ in pm.list_name_plugin() if "notifications" in n]:
        pm.unregister(name=name)  # no email in this test
    pm.register(Loud(), name="loud")
    pm.register(Quiet(), name="quiet")
    monkeypatch.setattr(plugins, "installed", lambda: pm)
    plugins.notify_export_ready(types.SimpleNamespace(id="e1"), "https://link", "eve@t.test")
    assert heard == [("e1", "https://link", "eve@t.test")]
    assert "notification plugin loud failed for export e1" in caplog.text
