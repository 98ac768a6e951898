"""Storage of export files and raw carrier files: a local directory and an S3-compatible bucket
behave the same (the S3 one against a real S3 server on loopback: moto's server mode), and with
DOWNLINE_STORAGE_URL=s3://bucket/prefix the CLI, the worker and the download route use the bucket.
"""

import csv
import hashlib
import io
import os
import socket
import time
import uuid
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from downline.core import db
from downline.core.config import Settings, get_settings
from downline.core.storage import LocalStorage, S3Storage, StorageError, get_storage
from tests.conftest import SAMPLES

PREFIX = "downline"


@pytest.fixture(scope="module")
def s3_endpoint():
    """A real S3-compatible server on a free loopback port, with test credentials."""
    from moto.server import ThreadedMotoServer

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        env.setenv("AWS_DEFAULT_REGION", "us-east-1")
        env.delenv("AWS_SESSION_TOKEN", raising=False)
        env.delenv("AWS_PROFILE", raising=False)
        yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3(s3_endpoint):
    """A raw boto3 client on the server, to look into buckets behind the storage's back."""
    import boto3

    return boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")


@pytest.fixture
def bucket(s3) -> str:
    name = f"downline-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    return name


def objects(s3, bucket: str, prefix: str = "") -> list[str]:
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
    return sorted(o["Key"] for o in listed)


@pytest.fixture(params=["local", "s3"])
def storage(request, tmp_path):
    if request.param == "local":
        return LocalStorage(tmp_path / "files")
    bucket = request.getfixturevalue("bucket")
    return S3Storage(bucket, PREFIX, request.getfixturevalue("s3_endpoint"))


def test_the_five_methods(storage, tmp_path):
    assert not storage.exists("reports/r1/raw")
    assert storage.put("reports/r1/raw", io.BytesIO(b"line one\nline two\n")) == 18
    assert storage.exists("reports/r1/raw")
    with storage.open("reports/r1/raw") as stream:
        assert stream.read(5) == b"line "
        assert stream.read(100) == b"one\nline two\n"
        assert stream.read(100) == b""
    with storage.open("reports/r1/raw") as stream:
        assert list(stream) == [b"line one\n", b"line two\n"]  # parsers iterate lines
    assert storage.put("reports/r1/raw", io.BytesIO(b"replaced")) == 8
    with storage.open("reports/r1/raw") as stream:
        assert stream.read() == b"replaced"
    source = tmp_path / "export.csv"
    source.write_bytes(b"id,name\r\nc1,Maria\r\n")
    assert storage.move_file("exports/e1/clients.csv", source) == 19
    assert not source.exists()  # taken, not copied
    with storage.open("exports/e1/clients.csv") as stream:
        assert stream.read() == b"id,name\r\nc1,Maria\r\n"
    assert storage.put("empty", io.BytesIO(b"")) == 0
    with storage.open("empty") as stream:
        assert stream.read() == b""
    storage.delete("reports/r1/raw")
    assert not storage.exists("reports/r1/raw")
    storage.delete("reports/r1/raw")  # idempotent
    with pytest.raises(FileNotFoundError):
        storage.open("reports/r1/raw")
    assert storage.exists("exports/e1/clients.csv")


def test_a_20_mb_round_trip(storage, s3_endpoint, tmp_path):
    data = os.urandom(20 * 1024 * 1024)
    digest = hashlib.sha256(data).hexdigest()
    assert storage.put("reports/big/raw", io.BytesIO(data)) == len(data)
    big = tmp_path / "big.csv"
    big.write_bytes(data)
    assert storage.move_file("exports/big/file.csv", big) == len(data)
    for key in ("reports/big/raw", "exports/big/file.csv"):
        seen = hashlib.sha256()
        with storage.open(key) as stream:
            while chunk := stream.read(64 * 1024):
                seen.update(chunk)
        assert seen.hexdigest() == digest
    if isinstance(storage, S3Storage):  # both went up in parts
        for key in ("reports/big/raw", "exports/big/file.csv"):
            head = storage.client.head_object(Bucket=storage.bucket, Key=f"{PREFIX}/{key}")
            assert "-" in head["ETag"] and head["ContentLength"] == len(data)


@pytest.mark.parametrize("key", ["../x", "a/../../x", "/etc/passwd", "", ".", "a/.."])
def test_keys_cannot_leave_the_root(storage, key):
    with pytest.raises(ValueError, match="leaves the storage root"):
        storage.put(key, io.BytesIO(b"x"))
    with pytest.raises(ValueError, match="leaves the storage root"):
        storage.open(key)
    with pytest.raises(ValueError, match="leaves the storage root"):
        storage.exists(key)
    with pytest.raises(ValueError, match="leaves the storage root"):
        storage.delete(key)


def test_s3_keys_live_under_the_prefix(s3, bucket, s3_endpoint):
    S3Storage(bucket, "/downline/", s3_endpoint).put("a/./b/../c", io.BytesIO(b"x"))
    S3Storage(bucket, "", s3_endpoint).put("top", io.BytesIO(b"y"))
    assert objects(s3, bucket) == ["downline/a/c", "top"]


def test_a_missing_bucket_is_named(s3_endpoint):
    storage = S3Storage("no-such-bucket-here", PREFIX, s3_endpoint)
    for call in (
        lambda: storage.put("k", io.BytesIO(b"x")),
        lambda: storage.open("k"),
        lambda: storage.exists("k"),
        lambda: storage.delete("k"),
    ):
        with pytest.raises(StorageError, match="'no-such-bucket-here' does not exist"):
            call()


def test_an_unreachable_endpoint_is_a_transient_os_error(monkeypatch):
    # Credentials of its own: without any, boto3 refuses before it tries the endpoint (this test
    # passed only when it ran after s3_endpoint's, in the same process).
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens there once closed
    storage = S3Storage("b", "", f"http://127.0.0.1:{port}")
    with pytest.raises(OSError, match="unreachable"):
        storage.exists("k")


def test_get_storage_reads_the_url(tmp_path):
    local = get_storage(Settings(storage_url=f"file://{tmp_path}/files", var_dir=tmp_path))
    assert isinstance(local, LocalStorage) and local.root == tmp_path / "files"
    remote = get_storage(
        Settings(
            storage_url="s3://my-bucket/some/prefix/",
            s3_endpoint_url="http://127.0.0.1:9",
            var_dir=tmp_path,
        )
    )
    assert isinstance(remote, S3Storage)
    assert (remote.bucket, remote.prefix) == ("my-bucket", "some/prefix")
    for url in ("ftp://host/x", "s3:///no-bucket"):
        with pytest.raises(ValueError, match="DOWNLINE_STORAGE_URL"):
            get_storage(Settings(storage_url=url, var_dir=tmp_path))


# --- end to end, DOWNLINE_STORAGE_URL=s3://bucket/downline ----------------------------------


@pytest.fixture
def on_s3(database, monkeypatch, bucket, s3_endpoint) -> str:
    """The settings point at the bucket (ask for this before `api`/`book`); returns its name."""
    monkeypatch.setenv("DOWNLINE_STORAGE_URL", f"s3://{bucket}/{PREFIX}")
    monkeypatch.setenv("DOWNLINE_S3_ENDPOINT_URL", s3_endpoint)
    get_settings.cache_clear()
    yield bucket
    get_settings.cache_clear()


def test_cli_export_and_ingest_store_in_the_bucket(on_s3, book, cli, s3, tmp_path):
    from downline.core.models import CarrierReport, Export

    out = tmp_path / "clients.csv"
    result = cli("export", "clients", "--as", "eve@t.test", "-o", out)
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"), newline="")))
    assert [r[0] for r in rows[1:]] == ["c2", "c8"]
    with db.session() as session:
        (export,) = session.scalars(select(Export)).all()
    assert export.storage_key.startswith(f"exports/{export.id}/")
    stored = s3.get_object(Bucket=on_s3, Key=f"{PREFIX}/{export.storage_key}")["Body"].read()
    assert stored == out.read_bytes() and len(stored) == export.byte_size
    assert not (get_settings().var_dir / "files").exists()  # nothing went to the local default

    for sample in ("humana-2026-11-24.csv", "anthem-2026-11-24.xlsx"):
        result = cli("ingest", SAMPLES / sample, "--as-of", "2026-11-24")
        assert result.exit_code == 0, result.output
    with db.session() as session:
        reports = {r.filename: r for r in session.scalars(select(CarrierReport))}
    for sample, carrier in (
        ("humana-2026-11-24.csv", "humana"),
        ("anthem-2026-11-24.xlsx", "anthem"),
    ):
        report = reports[sample]
        assert report.status == "SUCCEEDED" and report.carrier == carrier, report.error
        assert report.rows_read > 0 and report.storage_key == f"reports/{report.id}/raw"
        raw = s3.get_object(Bucket=on_s3, Key=f"{PREFIX}/reports/{report.id}/raw")["Body"].read()
        assert raw == (SAMPLES / sample).read_bytes()
    assert len(objects(s3, on_s3, f"{PREFIX}/reports/")) == 2


EXPORT = "query($id: ID!) { export(id: $id) { status rowCount byteSize error downloadUrl } }"


def test_the_download_route_streams_from_the_bucket(on_s3, book, api, cli, s3):
    from downline.core.models import Export, utcnow

    requested = api.gql(
        'mutation { requestExport(input: {type: "clients"}) { id } }', as_="eve@t.test"
    )
    export_id = requested["requestExport"]["id"]
    deadline = time.monotonic() + 30
    while (done := api.gql(EXPORT, {"id": export_id}, as_="eve@t.test")["export"])[
        "status"
    ] not in (
        "SUCCEEDED",
        "FAILED",
    ):
        assert time.monotonic() < deadline, done
        time.sleep(0.05)
    assert done["status"] == "SUCCEEDED", done["error"]
    (key,) = objects(s3, on_s3, f"{PREFIX}/exports/{export_id}/")
    parts = urlsplit(done["downloadUrl"])
    response = api.client.get(f"{parts.path}?{parts.query}")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert response.content == s3.get_object(Bucket=on_s3, Key=key)["Body"].read()
    assert len(response.content) == done["byteSize"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8"), newline="")))
    assert [r[0] for r in rows[1:]] == ["c2", "c8"]

    with db.session() as session:  # the sweep deletes it from the bucket
        export = session.get(Export, export_id)
        export.finished_at = utcnow() - timedelta(days=31)
        session.add(export)
        session.commit()
    assert "deleted 1 expired export file(s)" in cli("sweep").output
    assert objects(s3, on_s3, f"{PREFIX}/exports/") == []
    assert api.client.get(f"{parts.path}?{parts.query}").status_code == 404
