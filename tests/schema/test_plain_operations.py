"""An operation run plainly (schema/operation.py) is answered exactly as strawberry's pipeline,
with the same extensions, answers it: the same status, body and content type over HTTP, for
answers, refusals before execution (limits, bad input, cost, an unnamed choice), documents that
do not parse or validate, and operations strawberry raises on. The server's metrics count every operation answered, refused ones too."""

import pytest
from prometheus_client import REGISTRY

from downline.schema import DownlineSchema, make_schema
from downline.schema.operation import RAISED, Plain
from tests.conftest import BOOK
from tests.server.test_plain_requests import ADMIN, GRAPHQL_RESPONSE, REQUESTS

DEEP = "{ viewer { email } " + "a: viewer { email } " * 101 + "}"  # over the alias limit
NESTED = "{ " + "downline(first: 1) { edges { node { " * 6 + "id" + " } } }" * 6 + " }"

MORE = [
    ({"query": DEEP}, {}),
    ({"query": NESTED}, {}),
    ({"query": "{ clients(first: 500) { edges { node { policies { id } } } } }"}, {}),  # cost
    ({"query": 'query { clients(search: "a\\u0000b") { totalCount } }'}, {}),  # NUL
    (
        {
            "query": "query($s: String) { clients(search: $s) { totalCount } }",
            "variables": {"s": "\0"},
        },
        {},
    ),
    ({"query": "{ __schema { queryType { name } } }"}, {}),
    ({"query": "query A { viewer { email } }", "operationName": "B"}, {}),  # no such operation
    ({"query": "fragment F on Query { viewer { email } }"}, {}),  # no operation in it
    (
        {
            "query": 'mutation { setAgentExportsAllowed(agencyId: "east", allowed: false) { id exportsAllowed } }'
        },
        {},
    ),
    ({"query": "{ viewer { email } }"}, {"Accept": GRAPHQL_RESPONSE}),
]


def answer(api, body: dict, headers: dict) -> tuple[int, str, str]:
    token = {"Authorization": f"Bearer {api.token(ADMIN)}"}
    response = api.client.post("/graphql", json=body, headers=token | headers)
    return response.status_code, response.headers["content-type"], response.text


def operations_counted() -> float:
    return sum(
        sample.value
        for metric in REGISTRY.collect()
        if metric.name == "downline_graphql_operations"
        for sample in metric.samples
        if sample.name.endswith("_total")
    )


@pytest.mark.parametrize(("body", "headers"), REQUESTS + MORE)
def test_a_plain_run_answers_as_strawberrys_pipeline(api, load_book, monkeypatch, body, headers):
    assert not load_book(BOOK).rejections
    runs: list[str] = []
    original = Plain.run

    async def run(self, *args):
        try:
            result = await original(self, *args)
        except RAISED:
            runs.append("raised")
            raise
        runs.append("answered")
        return result

    monkeypatch.setattr(Plain, "run", run)
    counted = operations_counted()
    plainly = answer(api, body, headers)
    plain_runs, counted_plainly = len(runs), operations_counted() - counted
    assert runs
    # Each operation answered counted once, a refusal too; none strawberry raised (the view
    # answers 400 without running anything).
    assert counted_plainly == runs.count("answered") == (runs[-1] == "answered")
    if body["query"].startswith("mutation"):
        load_book(BOOK)  # as it was, for the second run to change
    # A class property outranks the instance's attribute: the app's schema has no plain run.
    monkeypatch.setattr(DownlineSchema, "plain", property(lambda _self: None))
    by_strawberry = answer(api, body, headers)
    assert plainly == by_strawberry
    assert len(runs) == plain_runs  # the second run was strawberry's


def test_the_plain_run_is_the_everyday_one_and_tracing_keeps_strawberrys():
    from downline.server.metrics import OperationMetrics

    assert make_schema(extra_extensions=[OperationMetrics]).plain is not None

    from strawberry.extensions import SchemaExtension

    class Timed(SchemaExtension):  # as tracing's extension: it times every step
        def on_parse(self):
            yield

    assert make_schema(extra_extensions=[OperationMetrics, Timed]).plain is None
