"""A long job gives way to other users: past its first PACED_SECONDS, while a user other than its owner
is active (core/presence.py), each `give_way()` its work calls pauses it so that its owner's
running jobs together work DOWNLINE_LONG_JOB_SHARE of the time. Run on a clock of the test's own, so that what is
asserted is the rule, not this machine's speed."""

import pytest

from downline.core import presence, yielding
from downline.core.config import get_settings

OWNER, OTHER = "heavy@agency.test", "light@agency.test"


class Clock:
    """yielding's `time`: a job's work advances it, and so does every pause, which it records."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.pauses: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.now += seconds


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(yielding, "time", clock)
    clock.store = presence.LocalPresence()
    monkeypatch.setattr(presence, "_presence", lambda: clock.store)
    return clock


# A job's first piece of work: past PACED_SECONDS, so that it is paced from its first give_way.
FIRST = yielding.PACED_SECONDS + 0.05


def job_body(clock: Clock, work: list[float]) -> float:
    """A job's work: each of `work`'s seconds, then give_way; returns its time spent working."""
    for seconds in work:
        clock.now += seconds
        yielding.give_way()
    return sum(work)


def job(clock: Clock, work: list[float], running: int = 1) -> float:
    """Run `job_body` as a job of OWNER's, its owner running `running` jobs."""
    return yielding.run_yielding(lambda: job_body(clock, work), OWNER, lambda: running)


def test_a_long_job_works_its_share_of_the_time_while_another_user_is_active(clock):
    clock.store.mark(presence._who(OTHER))
    worked = job(clock, [FIRST] + [0.1] * 20)

    share = get_settings().long_job_share
    paused = sum(clock.pauses)
    assert clock.pauses, "it never paused"
    # From its first give_way on, it worked `share` of the time.
    counted = worked - FIRST
    assert counted / (counted + paused) == pytest.approx(share, rel=0.15)


def test_a_users_long_jobs_share_its_share(clock):
    """Four jobs of one user running: each works a quarter of the share, so the backlog as a
    whole takes no more of the machine than one long job would."""
    clock.store.mark(presence._who(OTHER))
    worked = job(clock, [FIRST] + [0.1] * 40, running=4) - FIRST

    each = get_settings().long_job_share / 4
    assert worked / (worked + sum(clock.pauses)) == pytest.approx(each, rel=0.15)


def test_a_count_of_its_owners_jobs_that_fails_leaves_the_job_running_at_its_share(clock):
    def unreachable() -> int:
        raise ConnectionError("the database is away")

    clock.store.mark(presence._who(OTHER))
    worked = yielding.run_yielding(
        lambda: job_body(clock, [FIRST] + [0.1] * 20), OWNER, unreachable
    )

    share = get_settings().long_job_share
    counted = worked - FIRST
    assert counted / (counted + sum(clock.pauses)) == pytest.approx(share, rel=0.15)


def test_its_owners_jobs_are_counted_once_a_second_not_at_every_look(clock):
    """Others active, a job looks before its pauses (here every 0.4 s; up to ten times a
    second); the count of its owner's jobs (two SQL statements) is asked once a second."""
    counts = []

    def running() -> int:
        counts.append(clock.now)
        return 1

    clock.store.mark(presence._who(OTHER))
    started = clock.now
    yielding.run_yielding(lambda: job_body(clock, [FIRST] + [0.05] * 100), OWNER, running)

    assert len(clock.pauses) >= 40  # 0.4 s apart, a look before each
    assert 1 < len(counts) <= (clock.now - started) / yielding.COUNT_SECONDS + 1
    assert len(counts) < len(clock.pauses) / 2


def test_short_work_never_pauses(clock):
    clock.store.mark(presence._who(OTHER))
    job(clock, [0.01] * int(yielding.PACED_SECONDS * 100 - 1))  # just short of PACED_SECONDS

    assert clock.pauses == []


def test_a_long_job_alone_or_with_only_its_owner_active_never_pauses(clock):
    job(clock, [0.1] * 40)
    clock.store.mark(presence._who(OWNER))
    job(clock, [0.1] * 40)

    assert clock.pauses == []


def test_a_share_of_one_means_never_pausing(clock, monkeypatch):
    monkeypatch.setenv("DOWNLINE_LONG_JOB_SHARE", "1")
    get_settings.cache_clear()
    clock.store.mark(presence._who(OTHER))
    try:
        job(clock, [0.1] * 40)
    finally:
        monkeypatch.delenv("DOWNLINE_LONG_JOB_SHARE")
        get_settings.cache_clear()

    assert clock.pauses == []


def test_work_that_gives_way_seldom_pauses_no_longer_than_longest_pause_at_once(clock):
    clock.store.mark(presence._who(OTHER))
    job(clock, [1.0, 0.01, 30.0])

    assert clock.pauses and max(clock.pauses) == yielding.LONGEST_PAUSE


def test_a_job_shares_the_machine_while_another_user_is_active(clock):
    def sharing_before_and_after_the_other_arrives() -> tuple[bool, bool]:
        alone = yielding.sharing()
        clock.store.mark(presence._who(OTHER))
        return alone, yielding.sharing()

    clock.store.mark(presence._who(OWNER))  # its owner's own requests are no one else's
    assert yielding.run_yielding(sharing_before_and_after_the_other_arrives, OWNER) == (
        False,
        True,
    )
    assert not yielding.sharing()  # outside a job: nothing to share
