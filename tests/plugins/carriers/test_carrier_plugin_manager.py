"""The plugin manager: built-ins registered like third parties, third parties loaded one by one,
a broken plugin recorded with its reason instead of taking the rest down, a duplicate key a
start-up error naming both plugins, and every hookspec documented and tested."""

import importlib.metadata
import types
from datetime import date

import pytest

from downline.core import plugins as api
from downline.core.carriers.parsers import CarrierNotRecognized, CarrierParser, sniff_carrier
from downline.core.plugins import (
    PluginConflict,
    broken_plugins,
    carrier_parsers,
    get_plugin_manager,
    hookimpl,
)
from downline.core.production.vocabulary import ProductType


# Every hookspec must have a test here: add its name when you add a hook and its tests.
def fake_parser(key: str, score: float = 0.0) -> CarrierParser:
    return CarrierParser(
        key=key,
        name=key.title(),
        product_types=(ProductType.OTHER,),
        sniff=lambda head, filename: score,
        parse=lambda stream, as_of: iter(()),
    )


def plugin(answer) -> types.SimpleNamespace:
    """A plugin object whose downline_carrier_parsers returns `answer` (or raises it)."""

    @hookimpl
    def downline_carrier_parsers():
        if isinstance(answer, Exception):
            raise answer
        return answer

    return types.SimpleNamespace(downline_carrier_parsers=downline_carrier_parsers)


def test_the_built_in_carriers_are_registered_with_their_products():
    parsers = carrier_parsers(get_plugin_manager(load_entrypoints=False))
    assert len(parsers) == 17
    assert parsers["humana"].name == "Humana"
    assert parsers["molina"].product_types == (ProductType.ACA, ProductType.MAPD, ProductType.DSNP)


def test_two_plugins_claiming_one_key_is_a_start_up_error_naming_both():
    pm = get_plugin_manager(load_entrypoints=False)
    pm.register(plugin([fake_parser("aetna")]), name="acme-carriers")
    with pytest.raises(PluginConflict) as conflict:
        carrier_parsers(pm)
    assert str(conflict.value) == (
        "carrier key 'aetna' is claimed by two plugins: "
        "downline.plugins.carriers.aetna and acme-carriers"
    )


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ("garbage", "returned str, not a list of CarrierParser"),
        ([{"key": "x"}], "returned a dict, not a CarrierParser"),
        ([fake_parser("Bad-Key")], "bad key 'Bad-Key': lower-case letters, digits and _ only"),
        (RuntimeError("boom"), "boom"),
    ],
)
def test_a_plugin_answering_garbage_is_recorded_broken_and_the_others_work(answer, reason):
    pm = get_plugin_manager(load_entrypoints=False)
    pm.register(plugin(answer), name="acme-broken")
    pm.register(plugin([fake_parser("acme")]), name="acme-good")

    parsers = carrier_parsers(pm)

    assert "acme" in parsers and "aetna" in parsers and len(parsers) == 18
    [broken] = broken_plugins(pm)
    assert broken.name == "acme-broken"
    assert broken.reason == f"downline_carrier_parsers: {reason}"


class FakeEntryPoint:
    dist = None  # as an entry point that no installed distribution declares
    value = "acme_plugin"

    def __init__(self, name, target):
        self.name, self.target = name, target

    def load(self):
        if isinstance(self.target, Exception):
            raise self.target
        return self.target


def test_installed_plugins_are_loaded_one_by_one_and_a_broken_one_is_recorded(monkeypatch):
    points = [
        FakeEntryPoint("acme-missing", ImportError("No module named 'acme_missing'")),
        FakeEntryPoint("acme-good", plugin([fake_parser("acme")])),
    ]
    monkeypatch.setattr(
        importlib.metadata, "entry_points", lambda group: points if group == "downline" else []
    )
    pm = get_plugin_manager()
    assert "acme" in carrier_parsers(pm)
    assert pm.carrier_source("acme") == "acme_plugin"
    assert pm.carrier_source("humana") == "built-in"
    assert [(b.name, b.reason) for b in broken_plugins(pm)] == [
        ("acme-missing", "cannot be loaded: ImportError: No module named 'acme_missing'")
    ]


def test_no_installed_plugin_is_loaded_unless_asked(monkeypatch):
    def refuse(group):
        raise AssertionError("entry points were read")

    monkeypatch.setattr(importlib.metadata, "entry_points", refuse)
    assert len(carrier_parsers(get_plugin_manager(load_entrypoints=False))) == 17


def test_sniffing_needs_a_clear_winner():
    head, name = b"whatever", "file.csv"
    assert sniff_carrier([fake_parser("a", 0.9), fake_parser("b", 0.75)], head, name).key == "a"
    with pytest.raises(CarrierNotRecognized) as close:
        sniff_carrier([fake_parser("a", 0.9), fake_parser("b", 0.8)], head, name)
    assert "more than one carrier fits (a (0.90), b (0.80))" in str(close.value)
    assert close.value.candidates == (("a", 0.9), ("b", 0.8))
    with pytest.raises(CarrierNotRecognized, match=r"known carriers: a, b\)"):
        sniff_carrier([fake_parser("a", 0.49), fake_parser("b", 0.1)], head, name)


def test_a_sniff_that_raises_counts_as_no_match():
    def explode(head, filename):
        raise ValueError("bad bytes")

    broken = CarrierParser("x", "X", (), explode, lambda stream, as_of: iter(()))
    assert sniff_carrier([broken, fake_parser("a", 0.7)], b"", "f").key == "a"


def test_the_public_api_is_what_a_plugin_author_imports():
    import downline.plugins as public

    for name in ("hookimpl", "CarrierParser", "PolicyRecord", "RowError", "FileRejected",
                 "PolicyStatus", "TermReason", "ProductType", "carrier_parser", "Delimited",
                 "Excel", "FixedWidth", "status_table", "infer_status", "split_last_first"):  # fmt: skip
        assert hasattr(public, name), name
    assert public.hookimpl is api.hookimpl
    record = public.PolicyRecord(
        1, "P1", "1", None, "Ada", "Lovelace", None, None, None, ProductType.MA, None, None,
        public.PolicyStatus.ACTIVE, None, None, None, date(2026, 1, 1), None,
    )  # fmt: skip
    assert record.client_name == "Ada Lovelace"
    with pytest.raises(AttributeError):
        record.status = public.PolicyStatus.UNKNOWN  # frozen
