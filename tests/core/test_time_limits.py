"""A job past its time limit: Dramatiq raises TimeLimitExceeded into the worker's thread, which
only waits for the job (it runs in a thread of its own, core/yielding.py). The worker is free
at once; the job stops at its next pause between pieces of work and ends FAILED, saying so,
with nothing of it kept; and a job that never pauses (a statement that hangs) stops beating, so
it goes stale and is taken over as a dead worker's would be."""

import dataclasses
import io
import threading
import time
from datetime import date

import pytest
from dramatiq.middleware.threading import raise_thread_exception
from dramatiq.middleware.time_limit import TimeLimitExceeded
from sqlalchemy import func, select
from starlette.testclient import TestClient

from downline.core import db, jobs, plugins, yielding
from downline.core.book.scope import load_principal
from downline.core.carriers import run as ingesting
from downline.core.carriers import uploads
from downline.core.config import get_settings
from downline.core.models import AuditEvent, CarrierReport, Policy
from downline.core.storage import get_storage
from downline.server.app import create_app
from tests.conftest import BOOK, Api
from tests.core.carriers.test_upload_api import REPORT, upload
from tests.security.test_tenants import HEADER, ROW

pytestmark = pytest.mark.skipif(
    not yielding.PER_THREAD, reason="a job runs in a thread of its own on Linux only"
)

AS_OF = date(2026, 11, 24)
TOO_LONG = ingesting.REPORTS.too_long


def time_limit_in(seconds: float) -> threading.Timer:
    """Dramatiq's time limit, as its middleware raises it: into this thread, `seconds` from now."""
    worker = threading.get_ident()
    timer = threading.Timer(seconds, raise_thread_exception, (worker, TimeLimitExceeded))
    timer.start()
    return timer


def test_the_worker_stops_waiting_and_the_job_stops_at_its_next_pause():
    stopped = threading.Event()
    abandoned = threading.Event()

    def long_job() -> None:
        try:
            while True:
                time.sleep(0.01)
                yielding.give_way()
        except yielding.Abandoned:
            stopped.set()
            raise

    time_limit_in(0.3)
    started = time.monotonic()
    with pytest.raises(TimeLimitExceeded):
        yielding.run_yielding(long_job, "ann@agency.test", abandoned=abandoned)

    assert time.monotonic() - started < 5  # freed at once, not when the job ends
    assert abandoned.is_set()
    assert stopped.wait(5)


def humana_report(rows: int) -> bytes:
    """A Humana report of `rows` policies of Ann Top's (NPN 100)."""
    lines = (
        ROW.format(npn="100", policy=f"HUM{n}", first="Jane", last="Doe", status="Active")
        for n in range(rows)
    )
    return "\n".join([HEADER, *lines]).encode()


@pytest.fixture
def report(database, load_book) -> str:
    """A QUEUED Humana report of 3,000 rows of Ann Top's, uploaded by the top admin: its id."""
    assert not load_book(BOOK).rejections
    content = humana_report(3000)
    with db.session() as session:
        created = uploads.create_report(
            session,
            get_storage(get_settings()),
            load_principal(session, "admin@top.test"),
            filename="humana.csv",
            stream=io.BytesIO(content),
            carrier="humana",
            as_of=AS_OF,
            parsers=plugins.installed_parsers(),
        )
    return created.id


def slowed(pause: float, *, first: float = 0.0) -> dict:
    """The installed parsers, Humana's slowed down: `first` seconds before its first row (a
    stuck read), then `pause` seconds per row."""
    parsers = plugins.installed_parsers()
    humana = parsers["humana"]

    def parse(stream, as_of):
        time.sleep(first)
        for record in humana.parse(stream, as_of):
            time.sleep(pause)
            yield record

    return {**parsers, "humana": dataclasses.replace(humana, parse=parse)}


@pytest.fixture(autouse=True)
def jobs_ended():
    """An abandoned job's thread runs on until its next pause: the test ends after it, so it
    never touches the next test's database."""
    yield
    until(lambda: not [t for t in threading.enumerate() if t.name.endswith("-job")])


def row(report_id: str) -> CarrierReport:
    with db.session() as session:
        return session.get(CarrierReport, report_id)


def until(condition, seconds: float = 20.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.05)
    raise AssertionError(f"not within {seconds} s")


def test_a_report_past_its_time_limit_ends_failed_and_changes_nothing(report):
    storage = get_storage(get_settings())
    time_limit_in(1.0)
    with pytest.raises(TimeLimitExceeded):
        ingesting.run_report(report, storage, slowed(0.002))

    failed = until(lambda: (r := row(report)).status == jobs.FAILED and r)
    assert failed.error == TOO_LONG
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Policy)) == 0
        failures = session.scalars(
            select(AuditEvent.outcome).where(
                AuditEvent.report_id == report, AuditEvent.action == "report_failed"
            )
        ).all()
    assert failures == ["TIME_LIMIT"]


def test_a_report_stuck_past_its_time_limit_stops_beating_and_goes_stale(report, monkeypatch):
    monkeypatch.setenv("DOWNLINE_JOB_STALE_SECONDS", "1")  # a beat every third of a second
    db.reset()
    storage = get_storage(get_settings())
    # Stuck for 3 s before its first row; abandoned after 1 s.
    time_limit_in(1.0)
    with pytest.raises(TimeLimitExceeded):
        ingesting.run_report(report, storage, slowed(0, first=3.0))

    last_beat = row(report).heartbeat_at
    time.sleep(1.5)  # four beats' worth
    stuck = row(report)
    assert (stuck.status, stuck.heartbeat_at) == (jobs.PROCESSING, last_beat)
    # Stale now: the next worker's claim takes it over.
    with db.session() as session:
        assert jobs.claim(session, CarrierReport, report, 1, 3) == report
    assert row(report).attempts == 2


def test_over_the_api_a_report_past_its_time_limit_fails_saying_so(
    database, load_book, monkeypatch, tmp_path
):
    """The embedded worker, a time limit of a second, and a report that takes longer: while
    another user (Eve) is active, its owner's long jobs pause for all but 2 % of the time."""
    monkeypatch.setenv("DOWNLINE_REPORT_TIME_LIMIT_SECONDS", "1")
    monkeypatch.setenv("DOWNLINE_LONG_JOB_SHARE", "0.02")
    db.reset()
    assert not load_book(BOOK).rejections
    path = tmp_path / "humana.csv"
    path.write_bytes(humana_report(60_000))

    with TestClient(create_app()) as client:
        api = Api(client)
        sent = upload(api, "admin@top.test", path, carrier="humana", asOf="2026-11-24")
        report_id = sent["data"]["uploadCarrierReport"]["id"]

        def ended() -> dict | None:
            api.gql("{ viewer { email } }", as_="eve@t.test")
            report = api.gql(REPORT, {"id": report_id}, as_="admin@top.test")["node"]
            return report if report["status"] in (jobs.SUCCEEDED, jobs.FAILED) else None

        report = until(ended, 60)
        production = api.gql("{ production { totalCount } }", as_="admin@top.test")

    assert (report["status"], report["error"]) == (jobs.FAILED, TOO_LONG)
    assert production["production"]["totalCount"] == 0
