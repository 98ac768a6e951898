"""Directories and files readable by downline's own user only: what downline
writes (export CSVs, raw carrier files with birth dates and member ids, the outbox, the secret
key, the SQLite database) is client data, and the usual umask 0o022 would leave it
world-readable.

The modes are given explicitly, so they hold whatever the process umask (a umask only ever takes
bits away). `restrict_umask` is for what other code creates on downline's behalf; `downline`
sets it when it starts.
"""

import os
from contextlib import suppress
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600
UMASK = 0o077


def private_dir(path: Path) -> Path:
    """`path`, with each missing directory on the way made 0700. `mkdir(parents=True)` would make
    the parents with the umask's mode; directories that exist are left as they are."""
    missing = []
    for directory in (path, *path.parents):
        if directory.is_dir():
            break
        missing.append(directory)
    for directory in reversed(missing):
        with suppress(FileExistsError):  # another process made it meanwhile
            directory.mkdir(mode=DIR_MODE)
    return path


def private_opener(path: str, flags: int) -> int:
    """An `opener` for open(): the file is 0600, even one that existed with another mode."""
    fd = os.open(path, flags, FILE_MODE)
    os.fchmod(fd, FILE_MODE)
    return fd


def private_file(path: Path) -> Path:
    """`path` as an existing file, created empty and 0600 (in a private directory) when missing;
    an existing one is left as it is."""
    private_dir(path.parent)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE))
    return path


def restrict_umask() -> None:
    """Files and directories created by this process and its children are its user's only."""
    os.umask(UMASK)
