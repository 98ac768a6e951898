"""The carrier-mix export type checked the way downline checks its own export types.

The `export_conformance` fixture comes with downline (it installs the pytest plugin `downline`):
it runs the checks downline makes when it registers an export type (key, scopes, parameter types,
column kinds), and checks that every column and parameter is explained in the legend and that the
parameters' defaults pass their own validation.
Run with `pytest` in this folder.
"""

from downline_export_carrier_mix import CARRIER_MIX


def test_the_type_passes_downlines_registration_checks(export_conformance):
    export_conformance(CARRIER_MIX)


def test_the_legend_explains_every_column():
    assert [c.name for c in CARRIER_MIX.columns] == [
        "carrier",
        "plan_year",
        "applications",
        "members",
    ]
    assert all(c.description for c in CARRIER_MIX.columns)
    assert [p.name for p in CARRIER_MIX.parameters] == ["planYear"]
