"""Uploading a carrier report over GraphQL multipart: it is stored, queued, run by the
in-process Dramatiq worker, followed live over a WebSocket subscription, and listed in the
history of those who may see it."""

import json
import time
from pathlib import Path

from tests.conftest import SAMPLES

UPLOAD = "mutation($file: Upload!, $carrier: String, $asOf: Date) { uploadCarrierReport(file: $file, carrier: $carrier, asOf: $asOf) { id status filename carrier } }"
REPORT = "query($id: ID!) { node(id: $id) { ... on CarrierReport { status carrier rowsRead rowsInserted rowsRejected unmatchedNpns error errors { line message } } } }"


def upload(api, email, path: Path, name: str | None = None, **variables):
    operations = {"query": UPLOAD, "variables": {"file": None, **variables}}
    response = api.client.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})},
        files={"0": (name or path.name, path.read_bytes(), "text/csv")},
        headers={"Authorization": f"Bearer {api.token(email)}"},
    )
    assert response.status_code == 200, response.text
    return response.json()


def wait_done(api, email, report_id, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        report = api.gql(REPORT, {"id": report_id}, as_=email)["node"]
        if report["status"] in ("SUCCEEDED", "FAILED"):
            return report
        time.sleep(0.05)
    raise AssertionError(f"report {report_id} did not finish: {report}")


def test_an_admin_uploads_and_the_worker_loads_it(api, production_book):
    payload = upload(api, "admin@top.test", SAMPLES / "humana-2026-11-24.csv", asOf="2026-11-24")
    report = payload["data"]["uploadCarrierReport"]
    assert report["status"] == "QUEUED" and report["filename"] == "humana-2026-11-24.csv"
    done = wait_done(api, "admin@top.test", report["id"])
    assert done["status"] == "SUCCEEDED" and done["carrier"] == "humana"
    assert (done["rowsRead"], done["rowsInserted"], done["rowsRejected"]) == (12, 10, 2)
    assert done["errors"] == [
        {"line": 5, "message": "line 5: NPN 18000004 is outside your book"},
        {"line": 12, "message": "line 12: NPN 18000004 is outside your book"},
    ]
    assert done["unmatchedNpns"] == ["18000005", "18000006", "18000007"]
    total = api.gql("{ production { totalCount } }", as_="admin@top.test")["production"][
        "totalCount"
    ]
    assert total == 10  # 6 of its agents' policies + 4 unmatched ones it now owns


def test_a_wrong_file_fails_with_a_message_and_changes_nothing(api, production_book):
    payload = upload(api, "admin@top.test", SAMPLES / "aetna-2026-11-24.csv", carrier="humana")
    done = wait_done(api, "admin@top.test", payload["data"]["uploadCarrierReport"]["id"])
    assert done["status"] == "FAILED" and "missing required column" in done["error"]
    assert (
        api.gql("{ production { totalCount } }", as_="admin@top.test")["production"]["totalCount"]
        == 0
    )


def test_report_errors_name_a_bad_birth_date_column_without_repeating_the_date(
    api, production_book, tmp_path
):
    # The errors are shown to every admin above the uploader: a birth date in them would leave
    # the system unmasked.
    lines = (SAMPLES / "uhc-2026-11-24.csv").read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace("02/19/1945", "1945-02-19")  # line 2: not MM/DD/YYYY
    lines[2] = lines[2].replace("10/27/1943", "10/27/2043")  # line 3: born after the as-of date
    path = tmp_path / "uhc-2026-11-24.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    payload = upload(api, "admin@top.test", path, asOf="2026-11-24")
    done = wait_done(api, "admin@top.test", payload["data"]["uploadCarrierReport"]["id"])

    assert done["errors"][:2] == [
        {"line": 2, "message": "line 2: Member DOB is not a date (MM/DD/YYYY)"},
        {"line": 3, "message": "line 3: Member DOB is after the as-of date 2026-11-24"},
    ]
    assert "1945" not in json.dumps(done) and "2043" not in json.dumps(done)


def test_an_unknown_carrier_is_bad_user_input(api, production_book):
    payload = upload(api, "admin@top.test", SAMPLES / "humana-2026-11-24.csv", carrier="acme")
    assert payload["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "carrier"}
    assert (
        api.gql("{ carrierReports { totalCount } }", as_="admin@top.test")["carrierReports"][
            "totalCount"
        ]
        == 0
    )


def test_a_file_that_is_not_a_file_part_is_bad_user_input(api, production_book):
    """Found by tests/fuzz: a `file` that was no upload (a JSON value, or a multipart part
    without a file name, which arrives as text) failed as INTERNAL."""
    token = {"Authorization": f"Bearer {api.token('admin@top.test')}"}
    as_json = api.post(UPLOAD, {"file": "humana.csv"}, as_="admin@top.test").json()
    operations = {"query": UPLOAD, "variables": {"file": None}}
    nameless = api.client.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})},
        files={"0": ("", b"a,b\n1,2\n", "text/csv")},
        headers=token,
    ).json()
    for payload in (as_json, nameless):
        assert payload["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "file"}
        assert "multipart" in payload["errors"][0]["message"]
    history = api.gql("{ carrierReports { totalCount } }", as_="admin@top.test")
    assert history["carrierReports"]["totalCount"] == 0


def test_a_file_name_holding_nul_is_bad_user_input(api, production_book):
    """Found by tests/fuzz: a NUL in the part's file name (sent as is: httpx would escape it)
    reached PostgreSQL, which cannot store it: INTERNAL."""
    operations = json.dumps({"query": UPLOAD, "variables": {"file": None}})
    parts = [
        ('name="operations"', operations),
        ('name="map"', json.dumps({"0": ["variables.file"]})),
        ('name="0"; filename="humana\x00.csv"\r\nContent-Type: text/csv', "a,b\n1,2\n"),
    ]
    body = "".join(f"--b0\r\nContent-Disposition: form-data; {h}\r\n\r\n{v}\r\n" for h, v in parts)
    response = api.client.post(
        "/graphql",
        content=(body + "--b0--\r\n").encode(),
        headers={
            "Authorization": f"Bearer {api.token('admin@top.test')}",
            "Content-Type": "multipart/form-data; boundary=b0",
        },
    )
    assert response.status_code == 200, response.text
    error = response.json()["errors"][0]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "file"}
    assert "NUL" in error["message"]
    history = api.gql("{ carrierReports { totalCount } }", as_="admin@top.test")
    assert history["carrierReports"]["totalCount"] == 0


def test_reports_are_seen_by_the_uploader_and_admins_above(api, production_book):
    mine = upload(api, "n2@t.test", SAMPLES / "humana-2026-11-24.csv", asOf="2026-11-24")["data"][
        "uploadCarrierReport"
    ]["id"]
    wait_done(api, "n2@t.test", mine)
    theirs = upload(api, "admin@top.test", SAMPLES / "aetna-2026-11-24.csv", asOf="2026-11-24")[
        "data"
    ]["uploadCarrierReport"]["id"]
    wait_done(api, "admin@top.test", theirs)
    history = "{ carrierReports { totalCount edges { node { id } } } }"

    def seen(email):
        return [e["node"]["id"] for e in api.gql(history, as_=email)["carrierReports"]["edges"]]

    assert seen("admin@top.test") == [theirs, mine]  # newest first
    assert seen("admin@east.test") == [mine]
    assert seen("n2@t.test") == [mine]
    assert seen("admin@other.test") == []
    assert api.gql(REPORT, {"id": theirs}, as_="admin@east.test")["node"] is None


def test_upload_over_the_size_limit_is_413(api, production_book, monkeypatch, tmp_path):
    from starlette.testclient import TestClient

    from downline.core.config import get_settings
    from downline.server.app import create_app

    monkeypatch.setenv("DOWNLINE_MAX_UPLOAD_MB", "1")
    get_settings.cache_clear()
    big = tmp_path / "big.csv"
    big.write_bytes(b"x" * (1024 * 1024 + 10))
    with TestClient(create_app()) as client:
        response = client.post(
            "/graphql",
            data={
                "operations": json.dumps({"query": UPLOAD, "variables": {"file": None}}),
                "map": json.dumps({"0": ["variables.file"]}),
            },
            files={"0": ("big.csv", big.read_bytes(), "text/csv")},
            headers={"Authorization": f"Bearer {api.token('admin@top.test')}"},
        )
    assert response.status_code == 413
    assert "larger than 1 MB" in response.json()["errors"][0]["message"]


def subscribe(ws, token: str, report_id: str):
    ws.send_json({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
    assert ws.receive_json()["type"] == "connection_ack"
    query = "subscription($id: ID!) { carrierReportUpdates(id: $id) { status rowsRead } }"
    ws.send_json(
        {
            "id": "s",
            "type": "subscribe",
            "payload": {"query": query, "variables": {"id": report_id}},
        }
    )


def test_subscription_sends_current_state_then_changes_then_completes(api, production_book):
    report_id = upload(api, "admin@top.test", SAMPLES / "humana-2026-11-24.csv", asOf="2026-11-24")[
        "data"
    ]["uploadCarrierReport"]["id"]
    with api.client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        subscribe(ws, api.token("admin@top.test"), report_id)
        statuses = []
        while True:
            message = ws.receive_json()
            if message["type"] == "complete":
                break
            assert message["type"] == "next", message
            statuses.append(message["payload"]["data"]["carrierReportUpdates"]["status"])
    assert statuses[-1] == "SUCCEEDED"
    assert statuses == sorted(statuses, key=["QUEUED", "PROCESSING", "SUCCEEDED"].index)


def test_subscription_to_a_finished_report_sends_it_and_completes(api, production_book):
    report_id = upload(api, "admin@top.test", SAMPLES / "humana-2026-11-24.csv", asOf="2026-11-24")[
        "data"
    ]["uploadCarrierReport"]["id"]
    wait_done(api, "admin@top.test", report_id)
    with api.client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        subscribe(ws, api.token("admin@top.test"), report_id)
        first = ws.receive_json()
        assert first["payload"]["data"]["carrierReportUpdates"] == {
            "status": "SUCCEEDED",
            "rowsRead": 12,
        }
        assert ws.receive_json()["type"] == "complete"


def test_subscription_to_a_foreign_report_is_not_found(api, production_book):
    report_id = upload(api, "admin@top.test", SAMPLES / "humana-2026-11-24.csv", asOf="2026-11-24")[
        "data"
    ]["uploadCarrierReport"]["id"]
    with api.client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        subscribe(ws, api.token("admin@other.test"), report_id)
        message = ws.receive_json()
        print("MSG", message)
        assert ws.receive_json()["type"] == "complete"
    assert message["type"] == "next"
    assert message["payload"]["data"] is None
    assert message["payload"]["errors"][0]["extensions"]["code"] == "NOT_FOUND"
