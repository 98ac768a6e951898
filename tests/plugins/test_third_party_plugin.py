"""A third-party carrier plugin, as a stranger ships it.

The worked example in examples/downline-carrier-example is pip-installed into this venv (offline:
`--no-deps --no-index`; uninstalled again when the module's tests are done), and then only the
public surface is used: the real `downline` command in a subprocess, with plugins loaded, lists it
next to the built-ins and sniffs and ingests its sample; its own tests pass with the conformance
kit downline installs as a pytest plugin. A plugin whose module cannot even be imported is listed
as BROKEN while the built-ins list and ingest as before.
"""

import importlib.util
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from downline.core.plugins import DEFAULT_PLUGINS
from tests.plugins.installing import install, uninstall

if importlib.util.find_spec("pip") is None:
    pytest.skip(
        "pip is not installed in this venv: cannot install a plugin", allow_module_level=True
    )

BUILT_INS = [
    name.rpartition(".")[2]
    for name in DEFAULT_PLUGINS
    if name.startswith("downline.plugins.carriers.")
]
ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "downline-carrier-example"
SAMPLE = EXAMPLE / "tests" / "acme-2026-11-24.csv"
HUMANA = ROOT / "tests" / "fixtures" / "carriers" / "humana-2026-11-24.csv"
DOWNLINE = Path(sys.executable).parent / "downline"

Run = Callable[..., subprocess.CompletedProcess]


@pytest.fixture(scope="module")
def acme(tmp_path_factory) -> Iterator[None]:
    """The example plugin, installed for this module's tests and removed after them."""
    uninstall("downline-carrier-acme")  # a run that was killed may have left it
    try:
        install(EXAMPLE, tmp_path_factory.mktemp("acme-build"))
        yield
    finally:
        uninstall("downline-carrier-acme")
    assert "acme" not in {ep.name for ep in importlib.metadata.entry_points(group="downline")}


@pytest.fixture
def broken(tmp_path) -> Iterator[None]:
    """A throwaway plugin package whose module raises on import, installed for one test."""
    project = tmp_path / "downline-carrier-broken"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n\n'
        '[project]\nname = "downline-carrier-broken"\nversion = "0.1.0"\n\n'
        '[project.entry-points.downline]\nbroken = "downline_carrier_broken"\n\n'
        '[tool.setuptools]\npy-modules = ["downline_carrier_broken"]\n',
        encoding="utf-8",
    )
    (project / "downline_carrier_broken.py").write_text(
        'raise RuntimeError("ACME_SFTP_PASSWORD is not set")\n', encoding="utf-8"
    )
    uninstall("downline-carrier-broken")
    try:
        install(project, tmp_path)
        yield
    finally:
        uninstall("downline-carrier-broken")


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    """The environment of a `downline` subprocess: a fresh SQLite database, plugins loaded."""
    var = tmp_path / "var"
    var.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOWNLINE_")}
    env.update(
        DOWNLINE_DATABASE_URL=f"sqlite:///{var / 'downline.db'}",
        DOWNLINE_VAR_DIR=str(var),
        DOWNLINE_LOAD_PLUGINS="true",
        PYTHONDONTWRITEBYTECODE="1",  # no __pycache__ left in examples/
    )
    return env


@pytest.fixture
def run(env) -> Run:
    """run("carriers") -> the finished `downline carriers` subprocess."""

    def downline(*args: object) -> subprocess.CompletedProcess:
        command = [str(DOWNLINE), *(str(arg) for arg in args)]
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)

    return downline


def listed(output: str) -> list[str]:
    return [line.split()[0] for line in output.splitlines() if line and not line.startswith(" ")]


def test_downline_carriers_lists_acme_next_to_the_built_ins(acme, run):
    done = run("carriers")
    assert done.returncode == 0, done.stderr
    assert sorted(listed(done.stdout)) == sorted([*BUILT_INS, "acme"])
    (acme_line,) = [line for line in done.stdout.splitlines() if line.startswith("acme ")]
    assert "Acme Health" in acme_line and "MAPD, MA, PDP, DSNP" in acme_line
    assert acme_line.endswith(" downline-carrier-acme 0.1.0")
    (humana_line,) = [line for line in done.stdout.splitlines() if line.startswith("humana ")]
    assert humana_line.endswith(" built-in")
    assert "BROKEN" not in done.stdout


def test_downline_ingest_sniffs_the_sample_as_acme(acme, run, tmp_path):
    assert run("migrate").returncode == 0
    book = tmp_path / "book"
    book.mkdir()
    agency = {"id": "top", "name": "Top Agency", "parent_id": None}
    agents = [
        {
            "id": f"n{i}",
            "name": f"Agent {i}",
            "npn": f"1800000{i}",
            "email": f"n{i}@t.test",
            "agency_id": "top",
        }
        for i in (1, 2, 3)
    ]  # the sample's NPN 19999999 matches none of them
    (book / "agencies.jsonl").write_text(json.dumps(agency) + "\n", encoding="utf-8")
    (book / "agents.jsonl").write_text(
        "".join(json.dumps(a) + "\n" for a in agents), encoding="utf-8"
    )
    loaded = run("load", book)
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr

    done = run("ingest", SAMPLE, "--as-of", "2026-11-24")  # no --carrier: sniffed
    assert done.returncode == 0, done.stdout + done.stderr
    assert "acme-2026-11-24.csv: SUCCEEDED (carrier: acme)" in done.stdout
    assert "rows read 8, inserted 7, updated 0, unchanged 0, rejected 1" in done.stdout
    assert "line 9: Effective '31.02.2026' is not a date (DD.MM.YYYY)" in done.stdout
    assert "NPNs matching no agent: 19999999" in done.stdout

    again = run("ingest", SAMPLE, "--as-of", "2026-11-24", "--carrier", "acme")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "rows read 8, inserted 0, updated 0, unchanged 7, rejected 1" in again.stdout


def test_the_examples_own_tests_pass_with_the_conformance_kit(acme, env):
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    done = subprocess.run(
        command, cwd=EXAMPLE, env=env, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"\b7 passed\b", done.stdout), done.stdout


def test_a_plugin_that_cannot_be_imported_is_listed_broken_and_the_rest_work(broken, run):
    done = run("carriers")
    assert done.returncode == 0, done.stderr
    assert (
        "BROKEN broken: cannot be loaded: RuntimeError: ACME_SFTP_PASSWORD is not set"
        in done.stdout.splitlines()
    )
    assert set(BUILT_INS) <= set(listed(done.stdout))  # (acme too, if this module installed it)

    assert run("migrate").returncode == 0
    ingested = run("ingest", HUMANA, "--as-of", "2026-11-24")
    assert ingested.returncode == 0, ingested.stdout + ingested.stderr
    assert "SUCCEEDED (carrier: humana)" in ingested.stdout
