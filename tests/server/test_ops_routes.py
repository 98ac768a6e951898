"""The process edges an operator watches: health, readiness naming what is down, Prometheus
metrics, and production mode's closed doors (no GraphiQL, no introspection, JSON logs)."""

import json
import logging

from starlette.testclient import TestClient

from downline.core.config import get_settings
from downline.server.app import create_app


def test_healthz(api):
    response = api.client.get("/healthz")
    assert response.status_code == 200 and response.text == "ok"


def test_readyz_when_the_database_answers(api):
    response = api.client.get("/readyz")
    assert response.status_code == 200 and response.json() == {"ready": True}


def test_readyz_names_a_database_that_is_down(database, monkeypatch):
    from downline.core import db

    monkeypatch.setenv(
        "DOWNLINE_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=2"
    )
    db.reset()
    with TestClient(create_app()) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert set(response.json()["down"]) == {"database"}


def test_readyz_names_a_broker_and_event_bus_that_are_down(database, monkeypatch):
    monkeypatch.setenv("DOWNLINE_REDIS_URL", "redis://127.0.0.1:9/0")
    get_settings.cache_clear()
    from downline.core import events

    events.get_bus.cache_clear()
    try:
        with TestClient(create_app()) as client:
            response = client.get("/readyz")
    finally:
        events.get_bus.cache_clear()
    assert response.status_code == 503
    assert "event bus" in response.json()["down"]


def test_metrics_count_and_time_operations_by_name(api, book):
    api.post("query ClientsPage { clients { totalCount } }", as_="eve@t.test")
    text = api.client.get("/metrics").text
    assert 'downline_graphql_operations_total{operation="ClientsPage",outcome="ok"}' in text
    assert 'downline_graphql_operation_seconds_count{operation="ClientsPage"}' in text


def test_production_mode_closes_graphiql_and_introspection(book, monkeypatch, caplog):
    monkeypatch.setenv("DOWNLINE_ENV", "production")
    monkeypatch.setenv("DOWNLINE_SECRET_KEY", get_settings().secret_key)
    get_settings.cache_clear()
    from downline.core import tokens

    with TestClient(create_app()) as client:
        assert client.get("/graphql", headers={"Accept": "text/html"}).status_code != 200
        headers = {"Authorization": f"Bearer {tokens.mint(get_settings(), 'eve@t.test')}"}
        response = client.post(
            "/graphql", json={"query": "{ __schema { types { name } } }"}, headers=headers
        )
        assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        assert client.post(
            "/graphql", json={"query": "{ viewer { email } }"}, headers=headers
        ).json() == {"data": {"viewer": {"email": "eve@t.test"}}}
    handler = logging.getLogger("downline").handlers[0]
    line = handler.format(
        logging.LogRecord("downline.api", logging.INFO, __file__, 1, "hello", None, None)
    )
    assert json.loads(line)["message"] == "hello"


def test_development_mode_keeps_field_suggestions(api, book):
    error = api.errors("{ viewer { emial } }", as_="eve@t.test")[0]
    assert "Did you mean 'email'?" in error["message"]


def test_production_mode_needs_a_secret_key(database, monkeypatch):
    import pytest

    monkeypatch.setenv("DOWNLINE_ENV", "production")
    monkeypatch.delenv("DOWNLINE_SECRET_KEY", raising=False)
    get_settings.cache_clear()
    with pytest.raises(ValueError, match="DOWNLINE_SECRET_KEY is required"):
        get_settings()


def test_a_started_api_keeps_its_startup_objects_out_of_the_collectors_way(api):
    """Frozen (gc.freeze) once the app has started: a full collection then scans only what
    requests and subscriptions made, not the ~200,000 objects of the modules and the schema,
    which stalled every request of the process for 130-500 ms under 1,000 subscriptions."""
    import gc

    assert gc.get_freeze_count() > 10_000
