"""Fair use of the workers (domain rule "Fair use").

One user has at most DOWNLINE_MAX_ACTIVE_JOBS_PER_USER (5) exports, and as many carrier reports,
QUEUED or PROCESSING: one more is refused RATE_LIMITED, audited, and a refused upload stores
nothing; once one finishes, the next is accepted. Two requests at once never both take the last
place. A worker's message takes the fairest waiting job, not necessarily its own: the oldest of
the user with the fewest running, users served in turn, so one user's one-row export never waits
behind another user's backlog.

The API here runs no worker (`queued_api`): jobs stay QUEUED until the test runs a worker's code.
"""

import json
import threading

from sqlalchemy import select

from downline.core import db, plugins
from downline.core.book.scope import load_principal
from downline.core.carriers import run as ingesting
from downline.core.config import get_settings
from downline.core.errors import RateLimited
from downline.core.exports import run as exporting
from downline.core.models import Export
from downline.core.storage import get_storage
from tests.conftest import SAMPLES
from tests.security.conftest import EXPORT, REQUEST

AUDIT = "{ auditEvents { edges { node { action outcome detail } } } }"
UPLOAD = "mutation($file: Upload!) { uploadCarrierReport(file: $file) { id status } }"
SAMPLE = SAMPLES / "humana-2026-11-24.csv"
EXPORTS_FULL = "you have 5 exports waiting or running; request more when one finishes"
REPORTS_FULL = "you have 5 carrier reports waiting or running; upload more when one finishes"


def request(api, email: str, type_: str = "clients") -> dict:
    return api.post(REQUEST, {"type": type_, "params": None}, as_=email).json()


def upload(api, email: str) -> dict:
    operations = {"query": UPLOAD, "variables": {"file": None}}
    response = api.client.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})},
        files={"0": (SAMPLE.name, SAMPLE.read_bytes(), "text/csv")},
        headers={"Authorization": f"Bearer {api.token(email)}"},
    )
    assert response.status_code == 200, response.text
    return response.json()


def audited(api, email: str) -> list[dict]:
    return [e["node"] for e in api.gql(AUDIT, as_=email)["auditEvents"]["edges"]]


def stored_reports() -> list:
    folder = get_settings().var_dir / "files" / "reports"
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def test_a_sixth_export_waiting_or_running_is_refused_until_one_finishes(queued_api):
    queued = [request(queued_api, "eve@t.test")["data"]["requestExport"] for _ in range(5)]
    assert {e["status"] for e in queued} == {"QUEUED"}

    refused = request(queued_api, "eve@t.test", "leads")
    assert refused["data"] is None
    [error] = refused["errors"]
    assert (error["extensions"]["code"], error["message"]) == ("RATE_LIMITED", EXPORTS_FULL)
    assert {
        "action": "export_refused",
        "outcome": "RATE_LIMITED",
        "detail": f"leads: {EXPORTS_FULL}",
    } in audited(queued_api, "eve@t.test")
    assert "errors" not in request(queued_api, "dan@t.test")  # another user's places are its own

    done = exporting.run_export(
        queued[0]["id"],
        get_storage(get_settings()),
        plugins.installed_export_types(),
        plugins.notify_export_ready,
    )
    assert done.status == "SUCCEEDED"
    again = request(queued_api, "eve@t.test", "leads")
    assert again["data"]["requestExport"]["status"] == "QUEUED", again


def test_a_sixth_report_waiting_is_refused_and_its_file_is_not_stored(queued_api):
    queued = [upload(queued_api, "admin@top.test")["data"]["uploadCarrierReport"] for _ in range(5)]
    assert len(stored_reports()) == 5

    refused = upload(queued_api, "admin@top.test")
    assert refused["data"] is None
    [error] = refused["errors"]
    assert (error["extensions"]["code"], error["message"]) == ("RATE_LIMITED", REPORTS_FULL)
    assert len(stored_reports()) == 5  # nothing of the refused file was kept
    assert {
        "action": "upload_refused",
        "outcome": "RATE_LIMITED",
        "detail": f"{SAMPLE.name}: {REPORTS_FULL}",
    } in audited(queued_api, "admin@top.test")

    done = ingesting.run_report(
        queued[0]["id"], get_storage(get_settings()), plugins.installed_parsers()
    )
    assert done.status in ("SUCCEEDED", "FAILED")  # either way, no longer waiting or running
    again = upload(queued_api, "admin@top.test")
    assert again["data"]["uploadCarrierReport"]["status"] == "QUEUED", again


def test_requests_at_once_never_both_take_the_last_place(queued_api):
    for _ in range(4):
        request(queued_api, "eve@t.test")
    outcomes: list[str] = []
    start = threading.Barrier(6)

    def ask() -> None:
        with db.session() as session:
            principal = load_principal(session, "eve@t.test")
            start.wait()
            try:
                exporting.request_export(
                    session, principal, "clients", {}, plugins.installed_export_types(), limit=5
                )
                outcomes.append("queued")
            except RateLimited:
                outcomes.append("refused")

    threads = [threading.Thread(target=ask) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["queued"] + ["refused"] * 5
    with db.session() as session:
        assert len(session.scalars(select(Export.id)).all()) == 5


def test_a_worker_serves_the_waiting_users_in_turn(queued_api):
    """Eve queues five exports, then Dan one; one worker thread takes a message at a time.
    Dan's export runs second, not sixth: each message runs the fairest waiting export."""
    from downline.server.actors import build_export

    eves = [request(queued_api, "eve@t.test")["data"]["requestExport"]["id"] for _ in range(5)]
    dans = request(queued_api, "dan@t.test")["data"]["requestExport"]["id"]

    for export_id in [*eves, dans]:  # the messages, in the order they were sent
        build_export(export_id)

    with db.session() as session:
        started = session.scalars(select(Export.id).order_by(Export.started_at)).all()
    assert started == [eves[0], dans, *eves[1:]]
    for email, export_id in [("dan@t.test", dans), *(("eve@t.test", e) for e in eves)]:
        export = queued_api.gql(EXPORT, {"id": export_id}, as_=email)["export"]
        assert export["status"] == "SUCCEEDED", export


def test_a_user_at_the_running_cap_waits_and_its_next_job_starts_as_one_ends(
    queued_api, monkeypatch
):
    """With DOWNLINE_MAX_RUNNING_JOBS_PER_USER=1 and one of Eve's exports running elsewhere,
    the messages of her others run Dan's export and then nothing: hers wait, QUEUED. The end of
    one of her exports sends a message for the next, so her backlog runs to its end, one at a
    time, with no sweep."""
    from downline.core import jobs
    from downline.server.actors import QUEUE, build_export
    from downline.server.broker import broker

    monkeypatch.setenv("DOWNLINE_MAX_RUNNING_JOBS_PER_USER", "1")
    get_settings.cache_clear()
    eves = [request(queued_api, "eve@t.test")["data"]["requestExport"]["id"] for _ in range(3)]
    dans = request(queued_api, "dan@t.test")["data"]["requestExport"]["id"]
    broker.flush_all()  # the request's own messages: this test delivers them by hand
    with db.session() as session:  # another worker is building Eve's first export
        assert jobs.claim(session, Export, eves[0], 300, 3) == eves[0]

    build_export(eves[1])  # Eve is at her cap: Dan's export runs
    assert statuses([dans, *eves]) == ["SUCCEEDED", "PROCESSING", "QUEUED", "QUEUED"]
    build_export(eves[2])  # and then nothing may start
    assert statuses(eves) == ["PROCESSING", "QUEUED", "QUEUED"]
    assert broker.queues[QUEUE].qsize() == 0  # Dan's ended, but Eve's may not start yet

    jobs.release(row(eves[0]))  # the other worker hands hers back; this one runs it
    build_export(eves[0])
    for _ in range(2):  # each end sent the message for the next of hers
        [message] = drain(broker, QUEUE)
        build_export(*message.args)
    assert statuses(eves) == ["SUCCEEDED"] * 3
    assert drain(broker, QUEUE) == []  # nothing waits: the last end woke nobody
    with db.session() as session:
        ran = session.scalars(
            select(Export).where(Export.id.in_(eves)).order_by(Export.started_at)
        ).all()
    assert all(a.finished_at <= b.started_at for a, b in zip(ran, ran[1:], strict=False))


def test_a_backlog_beyond_the_running_cap_runs_to_its_end_on_the_workers(api, book, monkeypatch):
    """The in-process workers (two threads), the cap at 1: Eve's three exports all finish,
    one after another, each woken by the end of the one before (the sweep would only send a
    lost one after DOWNLINE_JOB_STALE_SECONDS)."""
    import time

    monkeypatch.setenv("DOWNLINE_MAX_RUNNING_JOBS_PER_USER", "1")
    get_settings.cache_clear()
    ids = [request(api, "eve@t.test")["data"]["requestExport"]["id"] for _ in range(3)]
    deadline = time.monotonic() + 30
    while (states := statuses(ids)) != ["SUCCEEDED"] * 3:
        assert time.monotonic() < deadline, states
        time.sleep(0.05)


def test_workers_claiming_at_once_never_start_more_than_the_cap(queued_api, monkeypatch):
    """Six workers' messages for Eve's exports arrive at the same instant, the cap at 1: one
    claims an export; the others find her at the cap (the claims take turns)."""
    from downline.core import jobs

    monkeypatch.setenv("DOWNLINE_MAX_RUNNING_JOBS_PER_USER", "1")
    get_settings.cache_clear()
    eves = [request(queued_api, "eve@t.test")["data"]["requestExport"]["id"] for _ in range(5)]
    claimed: list[str | None] = []
    start = threading.Barrier(6)

    def claim(export_id: str) -> None:
        with db.session() as session:
            start.wait()
            claimed.append(jobs.claim(session, Export, export_id, 300, 3, running_cap=1))

    threads = [threading.Thread(target=claim, args=(e,)) for e in [*eves, eves[0]]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(claimed) == 6 and len([c for c in claimed if c is not None]) == 1, claimed
    assert sorted(statuses(eves)) == ["PROCESSING"] + ["QUEUED"] * 4


def statuses(export_ids: list[str]) -> list[str]:
    return [row(export_id).status for export_id in export_ids]


def row(export_id: str) -> Export:
    with db.session() as session:
        return session.get(Export, export_id)


def drain(broker, queue: str) -> list:
    """The messages waiting on the in-memory broker's queue, taken off it."""
    from dramatiq import Message

    waiting = broker.queues[queue]
    taken = []
    while not waiting.empty():
        taken.append(Message.decode(waiting.get_nowait()))
    return taken
