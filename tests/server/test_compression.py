"""Compression by Accept-Encoding: an answer of a kilobyte or more goes brotli to a client that
takes it, gzip to one that takes only that, as it is to the rest and whatever its size when it is
smaller; a CSV download is never compressed (its Content-Length and the export's byte size and
sha256 stand for the bytes sent). The bytes are read as they came over the wire and decompressed
here."""

import gzip
import hashlib
import json
import time
from urllib.parse import urlsplit

import brotli
import pytest

AGENT = "eve@t.test"
# Every export type with every column's legend: several kilobytes.
TYPES = "{ exportTypes { key title description columns { name description } } }"
SMALL = "{ viewer { email } }"
EXPORT = "query($id: ID!) { export(id: $id) { status byteSize downloadUrl error } }"


def raw(api, query: str, accept_encoding: str | None):
    """(headers, the body's bytes as sent) of POST /graphql."""
    headers = {"Authorization": f"Bearer {api.token(AGENT)}"}
    headers["Accept-Encoding"] = accept_encoding if accept_encoding is not None else "identity"
    with api.client.stream("POST", "/graphql", json={"query": query}, headers=headers) as answer:
        assert answer.status_code == 200
        return answer.headers, b"".join(answer.iter_raw())


DECODE = {"br": brotli.decompress, "gzip": gzip.decompress, None: lambda body: body}


@pytest.mark.parametrize(
    ("accept_encoding", "coding"),
    [
        ("gzip, deflate, br, zstd", "br"),  # what Chromium sends
        ("br", "br"),
        ("gzip", "gzip"),
        ("br;q=0, gzip", "gzip"),
        ("gzip;q=1.0, br;q=0.5", "gzip"),
        ("*", "br"),
        ("deflate", None),
        (None, None),  # identity
    ],
)
def test_an_answer_of_a_kilobyte_or_more_goes_in_the_coding_the_client_takes(
    api, book, accept_encoding, coding
):
    plain = api.gql(TYPES, as_=AGENT)
    headers, body = raw(api, TYPES, accept_encoding)
    assert headers.get("content-encoding") == coding
    assert "accept-encoding" in headers["vary"].lower()
    assert int(headers["content-length"]) == len(body)
    assert json.loads(DECODE[coding](body)) == {"data": plain}
    if coding:
        assert len(body) < len(json.dumps({"data": plain})) / 3


def test_small_answers_and_csv_downloads_go_as_they_are(api, book):
    headers, _ = raw(api, TYPES, "gzip, br")
    assert headers["content-encoding"] == "br"  # the same client, a larger answer

    headers, body = raw(api, SMALL, "gzip, br")
    assert "content-encoding" not in headers
    assert json.loads(body) == {"data": {"viewer": {"email": AGENT}}}

    from downline.core import db
    from downline.core.models import Export

    requested = api.gql('mutation { requestExport(input: {type: "clients"}) { id } }', as_=AGENT)
    export_id = requested["requestExport"]["id"]
    deadline = time.monotonic() + 30
    while (done := api.gql(EXPORT, {"id": export_id}, as_=AGENT)["export"])["status"] not in (
        "SUCCEEDED",
        "FAILED",
    ):
        assert time.monotonic() < deadline, done
        time.sleep(0.05)
    assert done["status"] == "SUCCEEDED", done["error"]
    link = urlsplit(done["downloadUrl"])
    with api.client.stream(
        "GET", f"{link.path}?{link.query}", headers={"Accept-Encoding": "gzip, br"}
    ) as answer:
        assert answer.status_code == 200
        headers, body = answer.headers, b"".join(answer.iter_raw())
    assert "content-encoding" not in headers
    assert int(headers["content-length"]) == len(body) == done["byteSize"]
    with db.session() as session:
        assert hashlib.sha256(body).hexdigest() == session.get(Export, export_id).sha256
