"""Installing a plugin package into this venv for a test module, the way its author's users do,
without downloading anything."""

import shutil
import subprocess
import sys
from pathlib import Path


def pip(*args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=180)


def install(project: Path, scratch: Path) -> None:
    """pip-install `project` into this venv without downloading anything (the dev extra brings
    a setuptools that builds wheels by itself)."""
    target = scratch / "src" / project.name  # a copy: the build leaves no egg-info behind
    shutil.copytree(project, target, ignore=shutil.ignore_patterns("__pycache__"))
    done = pip("install", "--no-deps", "--no-index", "--no-build-isolation", str(target))
    assert done.returncode == 0, f"pip could not install {project.name}:\n{done.stderr}"


def uninstall(distribution: str) -> None:
    done = pip("uninstall", "-y", distribution)
    assert done.returncode == 0, done.stderr
