"""Where export files and raw carrier files live: a local directory (embedded mode, or a shared
directory in production), or an S3-compatible bucket (`s3://bucket/prefix`). Keys are relative
paths such as "reports/<id>/humana.csv"; a key that climbs out of the root (`../x`) is refused.

Writes are whole: a local file is written beside its final name and renamed into place, an S3
object appears only when its upload completes. A reader never sees half a file and a re-run simply
replaces it.
"""

import errno
import io
import os
import posixpath
import shutil
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlparse

from downline.core.config import Settings
from downline.core.private import FILE_MODE, private_dir, private_opener

CHUNK = 1024 * 1024


class StorageError(RuntimeError):
    """The storage is misconfigured (e.g. the bucket does not exist): retrying will not help."""


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
        private_dir(path.parent)
        partial = path.with_name(f".{path.name}.{os.getpid()}.part")
        with open(partial, "wb", opener=private_opener) as out:
            shutil.copyfileobj(source, out, CHUNK)
        os.replace(partial, path)
        return path.stat().st_size

    def move_file(self, key: str, source: Path) -> int:
        """Store the file under `key`, taking it: `source` is gone afterwards. On the same
        filesystem (an export's temp file is in the same var dir) it is renamed into place, not
        copied: a large export's file is written once."""
        path = self._path(key)
        private_dir(path.parent)
        os.chmod(source, FILE_MODE)
        try:
            os.replace(source, path)
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                raise
            with open(source, "rb") as stream:
                self.put(key, stream)
            source.unlink()
        return path.stat().st_size

    def open(self, key: str) -> BinaryIO:
        return open(self._path(key), "rb")

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


@lru_cache
def _s3_client(endpoint_url: str | None):
    """One client per endpoint (boto3 clients are thread-safe); credentials and region come from
    the usual AWS chain (environment, ~/.aws, instance role)."""
    import boto3
    from botocore.config import Config

    config = Config(connect_timeout=5, read_timeout=60, retries={"max_attempts": 3})
    return boto3.session.Session().client("s3", endpoint_url=endpoint_url, config=config)


class _Counting:
    """A read-only view of a stream that counts the bytes read (and hides `seek`, so the upload
    reads it once, in order)."""

    def __init__(self, source: BinaryIO) -> None:
        self.source, self.count = source, 0

    def read(self, size: int = -1) -> bytes:
        data = self.source.read(size)
        self.count += len(data)
        return data


class _Body(io.RawIOBase):
    """An S3 object body as a raw stream, for io.BufferedReader (lines, read(n), `with`)."""

    def __init__(self, body, storage: "S3Storage", key: str) -> None:
        self.body, self.storage, self.key = body, storage, key

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        with self.storage._errors(self.key):
            return self.body.readinto(buffer)

    def close(self) -> None:
        if not self.closed:
            self.body.close()
        super().close()


class S3Storage:
    def __init__(self, bucket: str, prefix: str = "", endpoint_url: str | None = None) -> None:
        self.bucket, self.prefix = bucket, prefix.strip("/")
        self.client = _s3_client(endpoint_url)

    def _key(self, key: str) -> str:
        clean = posixpath.normpath(key)
        if key.startswith("/") or clean == ".." or clean.startswith("../") or clean == ".":
            raise ValueError(f"storage key {key!r} leaves the storage root")
        return f"{self.prefix}/{clean}" if self.prefix else clean

    @contextmanager
    def _errors(self, key: str):
        """botocore's errors as the ones LocalStorage gives: FileNotFoundError for a missing
        object, an OSError (retried by the jobs) when the endpoint cannot be reached, and a
        StorageError naming the bucket when it does not exist."""
        from boto3.exceptions import S3UploadFailedError
        from botocore.exceptions import ClientError, HTTPClientError, ResponseStreamingError
        from botocore.exceptions import ConnectionError as Unreachable

        try:
            yield
        except (ClientError, S3UploadFailedError) as exc:
            code = exc.response["Error"]["Code"] if isinstance(exc, ClientError) else ""
            if code == "NoSuchBucket" or "NoSuchBucket" in str(exc) or self._no_bucket(code):
                raise StorageError(
                    f"S3 bucket {self.bucket!r} does not exist (DOWNLINE_STORAGE_URL)"
                ) from exc
            if code in ("404", "NoSuchKey"):
                raise FileNotFoundError(f"no stored file {key!r} in s3://{self.bucket}") from exc
            raise
        except (Unreachable, HTTPClientError, ResponseStreamingError) as exc:
            raise ConnectionError(f"S3 storage unreachable ({exc})") from exc

    def _no_bucket(self, code: str) -> bool:
        """A 404 on HEAD does not say whether the object or the bucket is missing."""
        from botocore.exceptions import ClientError

        if code != "404":
            return False
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            return exc.response["Error"]["Code"] in ("404", "NoSuchBucket")
        return False

    def put(self, key: str, source: BinaryIO) -> int:
        """Store the stream under `key` (multipart when large); returns the byte count."""
        counting = _Counting(source)
        with self._errors(key):
            self.client.upload_fileobj(counting, self.bucket, self._key(key))
        return counting.count

    def move_file(self, key: str, source: Path) -> int:
        """Upload the file under `key`, taking it: `source` is gone afterwards."""
        with self._errors(key):
            self.client.upload_file(str(source), self.bucket, self._key(key))
        size = os.path.getsize(source)
        source.unlink()
        return size

    def open(self, key: str) -> BinaryIO:
        with self._errors(key):
            body = self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"]
        return io.BufferedReader(_Body(body, self, key), 64 * 1024)

    def exists(self, key: str) -> bool:
        try:
            with self._errors(key):
                self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except FileNotFoundError:
            return False
        return True

    def delete(self, key: str) -> None:
        """Idempotent: deleting a missing object succeeds."""
        with self._errors(key):
            self.client.delete_object(Bucket=self.bucket, Key=self._key(key))


Storage = LocalStorage | S3Storage


def get_storage(settings: Settings) -> Storage:
    url = urlparse(settings.storage_url)
    if url.scheme == "file":
        return LocalStorage(Path(url.path))
    if url.scheme == "s3" and url.netloc:
        return S3Storage(url.netloc, url.path, settings.s3_endpoint_url)
    raise ValueError(
        f"DOWNLINE_STORAGE_URL: unsupported {settings.storage_url!r} "
        "(use file:///path or s3://bucket/prefix)"
    )
