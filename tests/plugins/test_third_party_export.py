"""A third-party export type, as a stranger ships it: the worked example in
examples/downline-export-example is pip-installed into this venv (offline; uninstalled when the
module's tests are done), and then used only through the public surface: `exportTypes` lists it
with its legend, `requestExport` builds it on the worker path, and its link gives the CSV. Its own
tests pass with the conformance kit downline installs as a pytest plugin."""

import csv
import importlib.util
import io
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from downline.core import db, plugins
from downline.core.config import get_settings
from downline.core.models import Export
from tests.core.exports.test_export_lifecycle import download, request, wait_done
from tests.plugins.installing import install, uninstall

if importlib.util.find_spec("pip") is None:
    pytest.skip(
        "pip is not installed in this venv: cannot install a plugin", allow_module_level=True
    )

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "downline-export-example"
TYPES = "{ exportTypes { key title scopes parameters { name type } columns { name description } } }"


@pytest.fixture(scope="module")
def carrier_mix_package(tmp_path_factory) -> Iterator[None]:
    uninstall("downline-export-carrier-mix")  # a run that was killed may have left it
    try:
        install(EXAMPLE, tmp_path_factory.mktemp("carrier-mix-build"))
        yield
    finally:
        uninstall("downline-export-carrier-mix")


@pytest.fixture
def with_plugins(carrier_mix_package, database, monkeypatch) -> Iterator[None]:
    """Installed plugins loaded, as in a deployment (the suite loads none unless asked)."""
    monkeypatch.setenv("DOWNLINE_LOAD_PLUGINS", "true")
    get_settings.cache_clear()
    plugins.reset()
    yield
    monkeypatch.setenv("DOWNLINE_LOAD_PLUGINS", "false")
    get_settings.cache_clear()
    plugins.reset()


def test_the_installed_type_is_listed_requested_built_and_downloaded(with_plugins, api, book):
    listed = {t["key"]: t for t in api.gql(TYPES, as_="admin@top.test")["exportTypes"]}
    mix = listed["carrier_mix"]
    assert mix["scopes"] == ["AGENT", "AGENCY"]
    assert mix["parameters"] == [{"name": "planYear", "type": "Int"}]
    assert [c["name"] for c in mix["columns"]] == [
        "carrier",
        "plan_year",
        "applications",
        "members",
    ]
    done = wait_done(api, "eve@t.test", request(api, "eve@t.test", "carrier_mix")["id"])
    assert done["status"] == "SUCCEEDED", done["error"]
    body = download(api, done["downloadUrl"]).content.decode("utf-8")
    rows = list(csv.reader(io.StringIO(body, newline="")))
    assert rows[0] == ["carrier", "plan_year", "applications", "members"]
    # eve's submitted clients in the book (c2, c3: both Oscar 2026, one member each)
    assert rows[1:] == [["Oscar", "2026", "2", "2"]]


def test_a_bad_param_is_refused_naming_it(with_plugins, api, book):
    errors = api.errors(
        'mutation { requestExport(input: {type: "carrier_mix", params: {planYear: "soon"}}) { id } }',
        as_="eve@t.test",
    )
    assert errors[0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "planYear"}


def test_an_int_param_is_bounded_and_one_stored_unbounded_still_reads(with_plugins, api, book):
    """An Int holds what a GraphQL Int may. An export whose params were stored before that
    (an integer past 64 bits, which orjson cannot write) still lists."""
    errors = api.errors(
        'mutation { requestExport(input: {type: "carrier_mix", params: {planYear: 99999999999}}) '
        "{ id } }",
        as_="eve@t.test",
    )
    assert errors[0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "planYear"}
    assert "2,147,483,647" in errors[0]["message"]
    done = wait_done(api, "eve@t.test", request(api, "eve@t.test", "carrier_mix")["id"])
    with db.session() as session:
        session.get(Export, done["id"]).params = {"planYear": 10**30}
        session.commit()
    history = api.gql("{ exports { edges { node { id params } } } }", as_="eve@t.test")
    [node] = [e["node"] for e in history["exports"]["edges"] if e["node"]["id"] == done["id"]]
    assert node["params"] == {"planYear": 10**30}


def test_the_examples_own_tests_pass_with_the_conformance_kit(carrier_mix_package):
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", str(EXAMPLE / "tests")],
        cwd=EXAMPLE,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout


def test_every_built_in_type_passes_the_same_conformance_kit():
    from downline.testing import check_export_type_conformance

    for export_type in plugins.get_plugin_manager(
        load_entrypoints=False
    ).hook.downline_export_types():
        for each in export_type:
            check_export_type_conformance(each)
