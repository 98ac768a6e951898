"""Where export files and raw carrier files live: a local directory (embedded mode, or a shared
directory in production). Keys are relative paths such as "reports/<id>/humana.csv".

Files are written to a temporary name beside the final one and renamed into place, so a reader
never sees half a file and a re-run simply replaces it.
"""

import os
import shutil
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlparse

from downline.core.config import Settings


class LocalStorage:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError(f"storage key {key!r} leaves the storage root")
        return path

    def put(self, key: str, source: BinaryIO) -> int:
        """Store the stream under `key`; returns the byte count."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}.part")
        with open(partial, "wb") as out:
            shutil.copyfileobj(source, out, 1024 * 1024)
        os.replace(partial, path)
        return path.stat().st_size

    def put_file(self, key: str, source: Path) -> int:
        with open(source, "rb") as stream:
            return self.put(key, stream)

    def open(self, key: str) -> BinaryIO:
        return open(self._path(key), "rb")

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


def get_storage(settings: Settings) -> LocalStorage:
    url = urlparse(settings.storage_url)
    if url.scheme == "file":
        return LocalStorage(Path(url.path))
    raise ValueError(f"DOWNLINE_STORAGE_URL: unsupported scheme {url.scheme!r} (use file://)")
