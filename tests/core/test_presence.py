"""Who is active (core/presence.py), as the API and the workers record it and long jobs read it:
a user's GraphQL request and its job starting make it active for ACTIVE_SECONDS; in this process
(embedded) or in Redis, shared by every process of a deployment and no other."""

import time

import pytest

from downline.core import presence

EVE, ADMIN = "eve@t.test", "admin@top.test"  # tests/conftest.py's BOOK


@pytest.fixture
def fresh(monkeypatch) -> presence.LocalPresence:
    store = presence.LocalPresence()
    monkeypatch.setattr(presence, "_presence", lambda: store)
    return store


def test_a_graphql_request_makes_its_user_active_for_the_others(book, api, fresh):
    assert not presence.others_active(ADMIN)

    api.gql("{ viewer { email } }", as_=EVE)

    assert presence.others_active(ADMIN)  # Eve is someone else to the admin's long jobs
    assert not presence.others_active(EVE)  # but not to her own


def test_a_job_starting_makes_its_owner_active(book, cli, fresh, tmp_path):
    """The operator's `downline export --as` runs the job beside the workers, as a worker would
    (jobs.run): no request was made, yet Eve is active once her job starts."""
    result = cli("export", "clients", "--as", EVE, "-o", tmp_path / "clients.csv")

    assert result.exit_code == 0, result.output
    assert presence.others_active(ADMIN) and not presence.others_active(EVE)


def test_activity_lasts_active_seconds(fresh, monkeypatch):
    fresh.mark(presence._who(EVE))
    later = time.time() + presence.ACTIVE_SECONDS + 0.1
    monkeypatch.setattr(presence.time, "time", lambda: later)

    assert not presence.others_active(ADMIN)


def test_redis_presence_is_shared_by_the_processes_of_one_queue_only(redis_url):
    api_process = presence.RedisPresence(redis_url, "presence-test")
    worker = presence.RedisPresence(redis_url, "presence-test")
    another_deployment = presence.RedisPresence(redis_url, "presence-other")
    api_process._client.delete(api_process.key, another_deployment.key)

    api_process.mark(presence._who(EVE))
    api_process.flush()

    assert worker.others_active(presence._who(ADMIN))
    assert not worker.others_active(presence._who(EVE))
    assert not another_deployment.others_active(presence._who(ADMIN))
    # Users are kept by a digest of their email, never the email itself.
    members = api_process._client.zrange(api_process.key, 0, -1)
    assert members == [presence._who(EVE).encode()] and EVE.encode() not in members
    api_process._client.delete(api_process.key)


def test_a_user_arriving_reaches_redis_at_once_and_then_at_each_flush(redis_url, monkeypatch):
    """Its first request may be all it does (a one-row export): the long jobs must see it now,
    not at the next flush. A user marked again meanwhile waits for the flush: marks cost one
    write per flush, however many requests."""
    monkeypatch.setattr(presence, "FLUSH_SECONDS", 60.0)
    api_process = presence.RedisPresence(redis_url, "presence-arrival")
    worker = presence.RedisPresence(redis_url, "presence-arrival")
    api_process._client.delete(api_process.key)

    api_process.mark(presence._who(EVE))
    deadline = time.monotonic() + 10
    while not worker.others_active(presence._who(ADMIN)) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert worker.others_active(presence._who(ADMIN)), "the arrival waited for the flush"

    first = api_process._client.zscore(api_process.key, presence._who(EVE))
    time.sleep(0.05)  # a later time to score
    api_process.mark(presence._who(EVE))
    time.sleep(0.5)
    assert api_process._client.zscore(api_process.key, presence._who(EVE)) == first
    api_process.flush()
    assert api_process._client.zscore(api_process.key, presence._who(EVE)) > first
    api_process._client.delete(api_process.key)


def test_an_unreachable_redis_means_nobody_else_is_active(caplog):
    away = presence.RedisPresence("redis://127.0.0.1:1/0", "presence-test")
    away.mark(presence._who(EVE))
    away.flush()  # logged, not raised: a request never fails for it

    assert not away.others_active(presence._who(ADMIN))
    assert "could not record who is active" in caplog.text


def test_the_in_process_presence_forgets_the_long_gone(monkeypatch):
    """Every user who ever made a request is not kept: past 1,000 entries, the inactive go."""
    store = presence.LocalPresence()
    now = [1000.0]
    monkeypatch.setattr(presence.time, "time", lambda: now[0])
    for n in range(1000):
        store.mark(f"gone-{n}")
    now[0] += presence.ACTIVE_SECONDS + 1
    store.mark("eve")
    store.mark("admin")

    assert set(store._seen) == {"eve", "admin"}
    assert store.others_active("eve") and store.others_active("nobody")
