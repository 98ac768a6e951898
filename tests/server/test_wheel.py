"""A wheel built from the repository is the whole product: it installs without packaging
warnings, carries the migrations and the export centre page, and an installed copy (not this
checkout) migrates a database and serves the page."""

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SKIP = shutil.ignore_patterns(".venv", ".git", "var", "__pycache__", "build", "*.egg-info")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """Built from a copy of the checkout, so the build leaves nothing behind in it."""
    scratch = tmp_path_factory.mktemp("wheel")
    source = scratch / "src"
    shutil.copytree(ROOT, source, ignore=SKIP)
    build = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
    done = subprocess.run(
        [*build, "-w", str(scratch / "dist"), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "is absent from the `packages` configuration" not in done.stdout + done.stderr
    return next((scratch / "dist").glob("downline-*.whl"))


def test_the_wheel_holds_every_package_the_migrations_and_the_page(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for module in ROOT.glob("[cps]*/**/*.py"):  # core, plugins, schema, server
        if ".venv" not in module.parts:
            assert f"downline/{module.relative_to(ROOT).as_posix()}" in names, module
    for data in (
        "downline/core/migrations/script.py.mako",
        "downline/server/web/index.html",
        "downline/server/web/vendor/graphql-ws.mjs",
    ):
        assert data in names


def test_an_installed_wheel_migrates_and_serves_the_page(wheel, tmp_path):
    target = tmp_path / "site"
    install = [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index"]
    done = subprocess.run(
        [*install, "--target", str(target), str(wheel)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    var = tmp_path / "var"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DOWNLINE_")},
        # The installed copy comes first; this venv still supplies the dependencies.
        "PYTHONPATH": str(target),
        "DOWNLINE_VAR_DIR": str(var),
        "DOWNLINE_DATABASE_URL": f"sqlite:///{var / 'downline.db'}",
    }
    check = (
        "import downline, pathlib, sys\n"
        "assert pathlib.Path(downline.__file__).is_relative_to(sys.argv[1]), downline.__file__\n"
        "from downline.server.cli import main\n"
        "sys.argv = ['downline', 'migrate']\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", check, str(target)], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    page = (
        "from starlette.testclient import TestClient\n"
        "from downline.server.app import create_app\n"
        "with TestClient(create_app()) as client:\n"
        "    response = client.get('/app')\n"
        "    assert response.status_code == 200 and '<html' in response.text, response.text\n"
        "    assert client.get('/app/static/app.js').status_code == 200\n"
    )
    done = subprocess.run([sys.executable, "-c", page], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
