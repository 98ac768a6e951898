"""Every hook is documented and tested: each hookspec has a real docstring, and a
test module outside this one calls or implements it by name."""

import inspect
from pathlib import Path

from downline.core.plugins import get_plugin_manager

TESTS = Path(__file__).parents[1]


def hookspecs() -> dict:
    pm = get_plugin_manager(load_entrypoints=False)
    return {
        name: caller.spec.function
        for name, caller in vars(pm.hook).items()
        if getattr(caller, "spec", None) is not None
    }


def test_there_are_the_three_hooks_of_the_design():
    assert set(hookspecs()) == {
        "downline_carrier_parsers",
        "downline_export_types",
        "downline_export_ready",
    }


def test_every_hookspec_is_documented():
    for name, function in hookspecs().items():
        assert len(inspect.getdoc(function) or "") > 80, f"hookspec {name} lacks a docstring"


def test_every_hookspec_has_a_test():
    here = Path(__file__).resolve()
    sources = [
        p.read_text(encoding="utf-8") for p in TESTS.rglob("test_*.py") if p.resolve() != here
    ]
    for name in hookspecs():
        assert any(name in source for source in sources), f"no test names the hook {name}"
