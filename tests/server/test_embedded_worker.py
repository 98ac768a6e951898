"""The embedded worker starts and stops with the app, and leaves nothing behind on the broker,
which lives as long as the process: an app started many times (as every API test does) runs its
messages on its own worker only, with no warning of a hook added twice."""

import logging

from starlette.testclient import TestClient

from downline.server import broker
from downline.server.app import create_app


def test_an_app_started_again_leaves_one_worker_on_the_broker(database, caplog):
    def workers_hooked() -> int:
        return sum(hasattr(m, "worker") for m in broker.broker.middleware)

    before = workers_hooked()
    with caplog.at_level(logging.WARNING, logger="dramatiq"):
        for _ in range(3):
            with TestClient(create_app()):
                assert workers_hooked() == before + 1
    assert workers_hooked() == before
    assert not [r for r in caplog.records if "same type twice" in r.getMessage()]
