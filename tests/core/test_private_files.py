"""Everything downline writes under DOWNLINE_VAR_DIR is its own user's only:
the SQLite database and its -wal/-shm files, the secret key, raw carrier files, export files and
the outbox. Directories 0700, files 0600, under the usual umask 0o022 too."""

import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from downline.core import db, migrate
from downline.core.loading import load_directory
from tests.conftest import BOOK, SAMPLES, Api, emailed
from tests.core.carriers.test_upload_api import upload
from tests.core.carriers.test_upload_api import wait_done as report_done
from tests.core.exports.test_export_lifecycle import request
from tests.core.exports.test_export_lifecycle import wait_done as export_done


@pytest.fixture
def world_readable_umask() -> Iterator[None]:
    """The umask most systems start processes with: files 0644, directories 0755."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


@pytest.fixture
def var_dir(tmp_path, monkeypatch, world_readable_umask) -> Iterator[Path]:
    """An embedded-mode var dir that does not exist yet: downline makes it, its database (the
    default SQLite file inside it) and its secret."""
    var = tmp_path / "var"
    monkeypatch.setenv("DOWNLINE_VAR_DIR", str(var))
    monkeypatch.setenv("DOWNLINE_LOAD_PLUGINS", "false")
    for name in ("DATABASE_URL", "STORAGE_URL", "SECRET_KEY", "SMTP_URL", "BROKER_URL"):
        monkeypatch.delenv(f"DOWNLINE_{name}", raising=False)
    db.reset()
    yield var
    db.reset()


@pytest.fixture
def api(var_dir, tmp_path) -> Iterator[Api]:
    from starlette.testclient import TestClient

    from downline.server.app import create_app

    migrate.upgrade()
    book = tmp_path / "book"
    book.mkdir()
    for kind, records in BOOK.items():
        lines = "\n".join(json.dumps(r) for r in records)
        (book / f"{kind}.jsonl").write_text(lines + "\n", encoding="utf-8")
    assert not load_directory(book).rejections
    with TestClient(create_app()) as client:
        yield Api(client)


def loose(var: Path) -> list[str]:
    """Every path under `var` (itself included) that someone else could read, with its mode."""
    paths = [var, *var.rglob("*")]
    wanted = {True: 0o700, False: 0o600}
    return [
        f"{path.relative_to(var.parent)} {stat.S_IMODE(path.stat().st_mode):o}"
        for path in paths
        if stat.S_IMODE(path.stat().st_mode) != wanted[path.is_dir()]
    ]


def test_the_database_secret_uploads_exports_and_emails_are_private(api, var_dir):
    uploaded = upload(api, "admin@top.test", SAMPLES / "humana-2026-11-24.csv")
    report = report_done(api, "admin@top.test", uploaded["data"]["uploadCarrierReport"]["id"])
    assert report["status"] == "SUCCEEDED"
    export = request(api, "eve@t.test", "clients")
    assert export_done(api, "eve@t.test", export["id"])["status"] == "SUCCEEDED"

    emailed(var_dir, export["id"])
    written = {path.name for path in var_dir.rglob("*")}
    assert {"downline.db", "downline.db-wal", "downline.db-shm", "secret.key", "raw"} <= written
    assert any(name.endswith(f"-{export['id']}.csv") for name in written)
    assert loose(var_dir) == []


def test_a_downline_command_creates_files_for_its_user_only_whatever_the_umask(api, tmp_path):
    # `downline` sets the umask itself, so even a file no code of ours gives a mode (here the
    # CSV that `export -o` writes, client data too) is private.
    out = tmp_path / "clients.csv"
    downline = Path(sys.executable).parent / "downline"
    command = [downline, "export", "clients", "--as", "eve@t.test", "-o", out]
    done = subprocess.run(command, capture_output=True, text=True, umask=0o022, timeout=120)
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
