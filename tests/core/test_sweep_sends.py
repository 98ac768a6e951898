"""The sweep sends a job again only when its message may be lost: a waiting job whose last
message (or, with none recorded, whose request) is older than DOWNLINE_JOB_STALE_SECONDS, and a
dead worker's job no message went for since. What it sends it marks sent, so a long backlog is
not sent again at every sweep: duplicates on the broker do not grow with the backlog."""

from datetime import timedelta

from downline.core import db, jobs, sweeping
from downline.core.config import get_settings
from downline.core.models import CarrierReport, Export, utcnow
from downline.core.storage import get_storage

AGO = timedelta(hours=1)
JUST = timedelta(seconds=1)


def export(**values) -> str:
    row = Export(type="clients", scope="AGENT", params={}, requester_email="eve@t.test", **values)
    with db.session() as session:
        session.add(row)
        session.commit()
    return row.id


def report(**values) -> str:
    row = CarrierReport(filename="f.csv", storage_key="k", as_of=utcnow().date(), **values)
    with db.session() as session:
        session.add(row)
        session.commit()
    return row.id


def sweep() -> sweeping.Swept:
    settings = get_settings()
    with db.session() as session:
        return sweeping.sweep(session, settings, get_storage(settings))


def test_the_sweep_sends_again_only_the_jobs_whose_message_may_be_lost(database):
    now = utcnow()
    asked_long_ago = {"requested_at": now - AGO}
    lost = export(**asked_long_ago, sent_at=now - AGO)
    never_sent = export(**asked_long_ago)  # the broker was down when it was asked for
    export(**asked_long_ago, sent_at=now - JUST)  # waiting in a backlog: its message is there
    export()  # just asked for
    dead = export(
        **asked_long_ago,
        status=jobs.PROCESSING,
        attempts=1,
        started_at=now - AGO,
        heartbeat_at=now - AGO,
        sent_at=now - AGO - JUST,  # the message its dead worker claimed it with
    )
    export(  # a dead worker's, sent again already
        **asked_long_ago,
        status=jobs.PROCESSING,
        attempts=1,
        started_at=now - AGO,
        heartbeat_at=now - AGO,
        sent_at=now - JUST,
    )
    lost_report = report(uploaded_at=now - AGO, sent_at=now - AGO)
    report(uploaded_at=now - AGO, sent_at=now - JUST)

    swept = sweep()

    assert sorted(swept.exports) == sorted([lost, never_sent, dead])
    assert swept.reports == [lost_report]
    with db.session() as session:
        for model, job_id in [(Export, lost), (Export, dead), (CarrierReport, lost_report)]:
            assert session.get(model, job_id).sent_at >= now
    # The next sweep finds them sent: nothing again until the stale limit has passed.
    again = sweep()
    assert (again.exports, again.reports) == ([], [])
