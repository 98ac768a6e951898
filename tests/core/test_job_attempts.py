"""A job whose worker died on it DOWNLINE_JOB_MAX_ATTEMPTS times (a file that crashes its reader,
say) is FAILED, audited, and never run again: the sweep does not send it, and a message
delivered again does not run it. The rows here are left as a dead worker leaves them:
PROCESSING, their heartbeat an hour old."""

import threading
import time
from datetime import date, timedelta

from sqlalchemy import func, select

from downline.core import db, heartbeats, jobs, plugins
from downline.core.book.scope import load_principal
from downline.core.carriers import uploads
from downline.core.config import get_settings
from downline.core.models import AuditEvent, CarrierReport, Export, Policy, utcnow
from downline.core.storage import get_storage
from tests.conftest import SAMPLES

DEAD = timedelta(hours=1)
GAVE_UP_FILE = "this file stopped the worker 3 times; it will not be tried again"
GAVE_UP_EXPORT = "this export stopped the worker 3 times; it will not be tried again"
AUDIT = "{ auditEvents { edges { node { action actorEmail exportId outcome } } } }"


def uploaded(email: str = "admin@top.test") -> str:
    """A good Anthem report, stored and QUEUED (no message sent): its id."""
    with db.session() as session, (SAMPLES / "anthem-2026-11-24.xlsx").open("rb") as stream:
        report = uploads.create_report(
            session,
            get_storage(get_settings()),
            load_principal(session, email),
            filename="anthem-2026-11-24.xlsx",
            stream=stream,
            carrier="anthem",
            as_of=date(2026, 11, 24),
            parsers=plugins.installed_parsers(),
        )
    return report.id


def requested() -> str:
    """Eve's clients export, recorded where she stands (her agent), so it stays hers to see."""
    with db.session() as session:
        export = Export(
            type="clients",
            scope="AGENT",
            params={},
            requester_email="eve@t.test",
            requester_agent_id="a-east",
        )
        session.add(export)
        session.commit()
    return export.id


def died(model, job_id: str, attempts: int, heartbeat=None) -> None:
    """Leave the job as a worker that died in its attempt number `attempts` leaves it."""
    with db.session() as session:
        row = session.get(model, job_id)
        row.status, row.attempts = jobs.PROCESSING, attempts
        row.heartbeat_at = heartbeat or utcnow() - DEAD
        session.add(row)
        session.commit()


def row(model, job_id: str):
    with db.session() as session:
        return session.get(model, job_id)


def finished(model, job_id: str, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while (current := row(model, job_id)).status not in jobs.TERMINAL:
        assert time.monotonic() < deadline, f"{model.__name__} {job_id} did not finish"
        time.sleep(0.05)
    return current


def audit_actions() -> list[str]:
    with db.session() as session:
        return list(session.scalars(select(AuditEvent.action)))


def policies() -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(Policy))


def test_the_sweep_fails_a_report_whose_worker_died_three_times_and_sends_it_no_more(
    api, production_book, cli
):
    spent, retried = uploaded(), uploaded()
    died(CarrierReport, spent, attempts=3)
    died(CarrierReport, retried, attempts=2)

    result = cli("sweep")

    assert "sent 0 export(s) and 1 report(s) again" in result.output  # the one with a try left
    assert "gave up 0 export(s) and 1 report(s)" in result.output
    given_up = row(CarrierReport, spent)
    assert (given_up.status, given_up.error, given_up.attempts) == ("FAILED", GAVE_UP_FILE, 3)
    assert given_up.finished_at is not None and given_up.rows_read == 0
    assert finished(CarrierReport, retried).status == "SUCCEEDED"
    events = api.gql(AUDIT, as_="admin@top.test")["auditEvents"]["edges"]
    assert {
        "action": "report_given_up",
        "actorEmail": "admin@top.test",
        "exportId": None,
        "outcome": f"report {spent} stopped the worker 3 times",
    } in [e["node"] for e in events]
    # Never again: the next sweep neither sends it nor gives it up a second time.
    again = cli("sweep").output
    assert "sent 0 export(s) and 0 report(s) again" in again and "gave up" not in again
    assert audit_actions().count("report_given_up") == 1


def test_a_message_delivered_again_does_not_run_a_report_given_up(production_book):
    from downline.server.actors import ingest_report

    spent = uploaded()
    died(CarrierReport, spent, attempts=3)

    ingest_report(spent)  # the actor's body, as a worker runs a message the broker re-delivered

    given_up = row(CarrierReport, spent)
    assert (given_up.status, given_up.error, given_up.attempts) == ("FAILED", GAVE_UP_FILE, 3)
    assert policies() == 0
    # Loaded, uploaded, given up: never run (no report_finished or report_failed).
    assert sorted(audit_actions()) == ["book_loaded", "report_given_up", "report_uploaded"]


def test_the_sweep_fails_an_export_whose_worker_died_three_times(api, book, cli):
    spent = requested()
    died(Export, spent, attempts=3)

    result = cli("sweep")

    assert "sent 0 export(s) and 0 report(s) again" in result.output
    assert "gave up 1 export(s) and 0 report(s)" in result.output
    export = api.gql(
        "query($id: ID!) { export(id: $id) { status error downloadUrl } }",
        {"id": spent},
        as_="eve@t.test",
    )["export"]
    assert export == {"status": "FAILED", "error": GAVE_UP_EXPORT, "downloadUrl": None}
    for viewer in ("eve@t.test", "admin@east.test"):  # the requester, and her agency's admin
        events = [e["node"] for e in api.gql(AUDIT, as_=viewer)["auditEvents"]["edges"]]
        assert {
            "action": "export_given_up",
            "actorEmail": "eve@t.test",
            "exportId": spent,
            "outcome": f"export {spent} stopped the worker 3 times",
        } in events


def test_a_message_delivered_again_does_not_run_an_export_given_up(book):
    from downline.server.actors import build_export

    spent = requested()
    died(Export, spent, attempts=3)

    build_export(spent)

    export = row(Export, spent)
    assert (export.status, export.error, export.storage_key) == ("FAILED", GAVE_UP_EXPORT, None)


def test_the_setting_says_how_many_deaths_a_job_is_allowed(production_book, cli, monkeypatch):
    monkeypatch.setenv("DOWNLINE_JOB_MAX_ATTEMPTS", "5")
    get_settings.cache_clear()
    retried, spent = uploaded(), uploaded()
    died(CarrierReport, retried, attempts=4)
    died(CarrierReport, spent, attempts=5)

    result = cli("sweep").output

    assert "sent 0 export(s) and 1 report(s) again" in result
    assert "gave up 0 export(s) and 1 report(s)" in result
    done = finished(CarrierReport, retried)
    assert (done.status, done.attempts) == ("SUCCEEDED", 5)
    given_up = row(CarrierReport, spent)
    assert (given_up.status, given_up.error) == ("FAILED", GAVE_UP_FILE.replace("3", "5"))


def test_only_deaths_count_a_job_handed_back_by_a_clean_exit_is_taken_again(production_book):
    from downline.server.actors import ingest_report

    handed_back, spent = uploaded(), uploaded()
    died(CarrierReport, handed_back, attempts=3, heartbeat=heartbeats.HANDED_BACK)  # a deploy
    died(CarrierReport, spent, attempts=3)  # a crash

    ingest_report(handed_back)
    ingest_report(spent)

    done = row(CarrierReport, handed_back)
    assert (done.status, done.attempts) == ("SUCCEEDED", 4)
    assert row(CarrierReport, spent).status == "FAILED"


def test_a_beat_that_lands_after_the_hand_back_leaves_the_job_handed_back(book):
    # A heartbeat thread past its "handing back?" check when the process began to exit: its
    # UPDATE reaches the row after the hand-back's. The row must stay handed back, or the next
    # worker waits out the stale limit for a job nobody runs.
    export_id = requested()
    died(Export, export_id, attempts=1, heartbeat=heartbeats.HANDED_BACK)
    with db.session() as session:
        heartbeats.heartbeat(session, Export, export_id, rows_written=10)
    late = row(Export, export_id)
    assert late.heartbeat_at == heartbeats.HANDED_BACK and late.rows_written == 0

    died(Export, export_id, attempts=1, heartbeat=utcnow())  # a live claim still beats
    with db.session() as session:
        heartbeats.heartbeat(session, Export, export_id, rows_written=10)
    assert row(Export, export_id).rows_written == 10


def test_a_process_that_handed_its_jobs_back_claims_no_more(book, monkeypatch):
    # A worker process exiting hands its jobs back, and its threads still take messages until it
    # is gone: the sweep sends a handed-back job again at once, and the dying process claimed it
    # (tests/faults/test_shutdown.py saw it two runs in six). It leaves the job for a live worker.
    from downline.server.actors import build_export

    export_id = requested()
    died(Export, export_id, attempts=1, heartbeat=heartbeats.HANDED_BACK)
    handing_back = threading.Event()  # this process's own, as its exit would set it
    monkeypatch.setattr(heartbeats, "_handing_back", handing_back)
    handing_back.set()

    build_export(export_id)

    left = row(Export, export_id)
    assert (left.status, left.attempts, left.heartbeat_at) == (
        "PROCESSING",
        1,
        heartbeats.HANDED_BACK,
    )
    handing_back.clear()  # a live process: the same message runs it
    build_export(export_id)
    assert (row(Export, export_id).status, row(Export, export_id).attempts) == ("SUCCEEDED", 2)
