"""Fuzzing the live GraphQL endpoint: a real uvicorn server on loopback, real HTTP, the valid token
of an agency admin and of an agent, on SQLite and on PostgreSQL.

Operations come from the schema the server itself serves (introspected over HTTP): every Query
field and the Mutation fields, with arguments drawn from random values and from the book's real
ids, export types, carriers and cursors (so the fuzzer gets past "not found" into the code); then
operations with exactly one schema violation; then variables of the wrong type; then carrier
report uploads of random bytes and arguments. For every response: no 5xx, no error with
`extensions.code == "INTERNAL"`, and every error carries a code. The jobs the fuzz requested
(exports, carrier reports) must all finish, none of them with an internal error.

Subscriptions are not fuzzed: they ride a WebSocket, and their only argument is the id that
`node`/`export` take over HTTP (tests/core/carriers and tests/core/exports cover them).

Runs are derandomized: the same examples every run, so a failure reproduces by running the test
again (the failing operation and the response are printed). No example database is written.
"""

import base64
import json
import time
from pathlib import Path

import graphql
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import nodes
from hypothesis_graphql import strategies as gql_st
from sqlalchemy import select

from downline.core import db
from downline.core.models import CarrierReport, Export
from tests.conftest import SAMPLES

# The server runs in a thread of this process: when an export it runs finishes, its email
# (stdlib email.generator: a multipart boundary) draws from the global `random`, which Hypothesis,
# watching the global state during a test, takes for a strategy's doing. No strategy here uses it.
pytestmark = pytest.mark.filterwarnings("ignore:Do not use the `random` module inside strategies")

ADMIN = "admin@top.test"
AGENT = "eve@t.test"
PRINCIPALS = [ADMIN, AGENT]
UPLOAD_FIELD = "uploadCarrierReport"  # an Upload travels only as a multipart part: fuzzed apart


def fuzz_settings(examples: int) -> settings:
    """The fuzz profile (tests/fuzz/conftest.py) with this many examples."""
    return settings(settings.get_profile("downline-fuzz"), max_examples=examples)


def check(response, operation: object) -> dict:
    """No 5xx, no INTERNAL, every error shaped with a code; returns the payload."""
    shown = f"\n--- operation:\n{operation}\n--- response {response.status_code}:\n{response.text}"
    assert response.status_code < 500, shown
    payload = response.json()
    errors = payload.get("errors") or []
    codes = [(e.get("extensions") or {}).get("code") for e in errors]
    assert "INTERNAL" not in codes, shown
    assert None not in codes, shown
    return payload


def executed(payload: dict) -> bool:
    """Whether the operation reached the resolvers: it has data, or an error raised at a path."""
    return bool(payload.get("data")) or any("path" in e for e in payload.get("errors") or [])


def settled_jobs(timeout: float = 30.0) -> tuple[list, list]:
    """Every export and carrier report, once none is QUEUED or PROCESSING any more."""
    deadline = time.monotonic() + timeout
    while True:
        with db.session() as session:
            exports = list(session.scalars(select(Export)))
            reports = list(session.scalars(select(CarrierReport)))
        running = [j for j in [*exports, *reports] if j.status not in ("SUCCEEDED", "FAILED")]
        if not running:
            return exports, reports
        assert time.monotonic() < deadline, f"jobs stuck: {[(j.id, j.status) for j in running]}"
        time.sleep(0.1)


def assert_no_job_failed_internally() -> None:
    exports, reports = settled_jobs()
    broken = [(j.id, j.error) for j in [*exports, *reports] if "internal error" in (j.error or "")]
    assert not broken, broken


# ---- what the fuzzer draws from: the served schema, and the book's own words ---------------------


@pytest.fixture
def served_schema(live_server) -> graphql.GraphQLSchema:
    """The schema as the live server serves it (introspection is on outside production)."""
    response = live_server.post({"query": graphql.get_introspection_query()}, as_=ADMIN)
    assert response.status_code == 200, response.text
    return graphql.build_client_schema(response.json()["data"])


@pytest.fixture
def known_words(live_server, book) -> dict[str, list]:
    """Real values of the book: ids, NPNs, export types and parameters, carriers, cursors."""
    data = live_server.post(
        {
            "query": "{ exportTypes { key parameters { name } } carriers { key }"
            " clients(first: 2) { pageInfo { endCursor } }"
            " leads(first: 1) { pageInfo { endCursor } }"
            " downline(first: 1) { pageInfo { endCursor } } }"
        },
        as_=ADMIN,
    ).json()["data"]
    ids = [r["id"] for kind in ("agencies", "agents", "clients", "leads") for r in book[kind]]
    cursors = [data[k]["pageInfo"]["endCursor"] for k in ("clients", "leads", "downline")]
    assert all(cursors) and data["exportTypes"] and data["carriers"], data
    return {
        "ids": ids,
        "strings": [
            *(t["key"] for t in data["exportTypes"]),
            *(c["key"] for c in data["carriers"]),
            *(a["npn"] for a in book["agents"]),
            *cursors,
            *("0100", "FL", "tx", "submitted", "new", "", "\x00", "=cmd|' /C calc'!A0"),
        ],
        "params": sorted({p["name"] for t in data["exportTypes"] for p in t["parameters"]}),
    }


NAMES = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,10}", fullmatch=True)
TEXT = st.text(max_size=40)  # any code point, NUL included
EDGE_DATES = ["2026-02-30", "0001-01-01", "9999-12-31", "2026-1-1", "", "today"]


def dates() -> st.SearchStrategy[str]:
    return st.one_of(st.dates().map(lambda d: d.isoformat()), st.sampled_from(EDGE_DATES), TEXT)


JSON_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    TEXT,
    dates(),
)


def json_values(keys: st.SearchStrategy[str]) -> st.SearchStrategy:
    return st.recursive(
        JSON_LEAVES,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
        max_leaves=10,
    )


def value_node(value) -> graphql.ValueNode:
    """A JSON value as a GraphQL literal (for the JSON scalar)."""
    if value is None:
        return nodes.Null
    if isinstance(value, bool):
        return nodes.Boolean(value)
    if isinstance(value, int):
        return nodes.Int(value)
    if isinstance(value, float):
        return nodes.Float(value)
    if isinstance(value, str):
        return nodes.String(value)
    if isinstance(value, list):
        return nodes.List([value_node(v) for v in value])
    return nodes.Object(
        [
            graphql.ObjectFieldNode(name=graphql.NameNode(value=k), value=value_node(v))
            for k, v in value.items()
        ]
    )


def cursors() -> st.SearchStrategy[str]:
    """Cursor-shaped junk: base64 of any JSON (right length, wrong types, huge numbers...)."""
    keys = st.sampled_from(["2026-03-01T10:00:00", "2026-13-01", "c1", ""]) | TEXT
    parts = st.lists(
        st.none() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | keys,
        max_size=3,
    )
    raw = parts | json_values(NAMES)
    return raw.map(lambda v: base64.urlsafe_b64encode(json.dumps(v).encode()).decode())


def scalars(words: dict[str, list]) -> dict[str, st.SearchStrategy[graphql.ValueNode]]:
    """Values for the schema's scalars: real words of the book half the time, junk otherwise."""
    return {
        "ID": (st.sampled_from(words["ids"]) | TEXT).map(nodes.String),
        "String": (st.sampled_from(words["strings"]) | cursors() | TEXT).map(nodes.String),
        "Date": dates().map(nodes.String),
        "DateTime": (st.datetimes().map(lambda d: d.isoformat()) | TEXT).map(nodes.String),
        "JSON": json_values(st.sampled_from(words["params"]) | NAMES).map(value_node),
    }


def operations(schema: graphql.GraphQLSchema, words: dict) -> st.SearchStrategy[str]:
    """Valid queries and mutations, and operations with exactly one schema violation."""
    custom = scalars(words)
    mutation_fields = [name for name in schema.mutation_type.fields if name != UPLOAD_FIELD]
    return st.one_of(
        gql_st.queries(schema, custom_scalars=custom),
        gql_st.mutations(schema, fields=mutation_fields, custom_scalars=custom),
        gql_st.from_schema(
            schema,
            fields=[*schema.query_type.fields, *mutation_fields],
            custom_scalars=custom,
            mode=gql_st.Mode.NEGATIVE,
        ),
    )


@pytest.mark.parametrize("principal", PRINCIPALS)
def test_generated_operations_never_fail_internally(
    live_server, served_schema, known_words, principal
):
    answered = []

    @fuzz_settings(60)
    @given(operation=operations(served_schema, known_words))
    def fuzz(operation: str) -> None:
        payload = check(live_server.post({"query": operation}, as_=principal), operation)
        answered.append(executed(payload))

    fuzz()
    # A fuzzer whose every operation is refused before it runs would prove nothing.
    assert sum(answered) >= len(answered) // 3, f"{sum(answered)} of {len(answered)} ran"
    assert_no_job_failed_internally()


# ---- variables of the wrong type ----------------------------------------------------------------


def selection(type_: graphql.GraphQLOutputType) -> str:
    named = graphql.get_named_type(type_)
    return " { __typename }" if isinstance(named, graphql.GraphQLCompositeType) else ""


def with_variables(kind: str, name: str, field: graphql.GraphQLField) -> str:
    """`query($a: T, ...) { name(a: $a, ...) { __typename } }`: a variable of the argument's
    exact type for each argument."""
    declared = ", ".join(f"${arg}: {t.type}" for arg, t in field.args.items())
    passed = ", ".join(f"{arg}: ${arg}" for arg in field.args)
    return f"{kind}({declared}) {{ {name}({passed}){selection(field.type)} }}"


def variable_cases(schema: graphql.GraphQLSchema, words: dict) -> st.SearchStrategy:
    """(operation, variables) for every root field that takes arguments, the upload included
    (its `file` sent as JSON): variables of any JSON type, or absent (strings where ints go,
    objects where dates go, lists of nulls, huge numbers...)."""
    keys = st.sampled_from(
        ["agentIds", "agencyIds", "submittedFrom", "states", "search", "type", "params"]
        + words["params"]
    )
    anything = json_values(keys | NAMES) | st.sampled_from(words["ids"] + words["strings"])
    cases = []
    for kind, root in (("query", schema.query_type), ("mutation", schema.mutation_type)):
        for name, field in root.fields.items():
            if field.args:
                values = st.fixed_dictionaries({}, optional=dict.fromkeys(field.args, anything))
                cases.append(st.tuples(st.just(with_variables(kind, name, field)), values))
    return st.one_of(cases)


@pytest.mark.parametrize("principal", PRINCIPALS)
def test_variables_of_the_wrong_type_never_fail_internally(
    live_server, served_schema, known_words, principal
):
    @fuzz_settings(80)
    @given(case=variable_cases(served_schema, known_words))
    def fuzz(case: tuple[str, dict]) -> None:
        operation, variables = case
        response = live_server.post({"query": operation, "variables": variables}, as_=principal)
        check(response, f"{operation}\nvariables: {json.dumps(variables)}")

    fuzz()
    assert_no_job_failed_internally()


# ---- export requests with the declared parameters ----------------------------------------------

REQUEST_EXPORT = "mutation($i: RequestExportInput!) { requestExport(input: $i) { id status } }"


def parameter_values(type_: str, schema: graphql.GraphQLSchema, words: dict):
    """Values of an export parameter's declared type (its edges included), now and then junk."""
    ids = st.sampled_from(words["ids"]) | TEXT
    strings = st.sampled_from(words["strings"]) | TEXT
    enum = type_.strip("[]!")
    by_type = {
        "Date": dates(),
        "Int": st.integers(),
        "Boolean": st.booleans(),
        "ID": ids,
        "String": strings,
        "[ID!]": st.lists(ids, max_size=3),
        "[String!]": st.lists(strings, max_size=3),
    }
    if enum in schema.type_map and isinstance(schema.type_map[enum], graphql.GraphQLEnumType):
        values = st.sampled_from(list(schema.type_map[enum].values))
        by_type[type_] = st.lists(values, max_size=3) if type_.startswith("[") else values
    return by_type.get(type_, json_values(NAMES)) | json_values(NAMES)


@pytest.mark.parametrize("principal", PRINCIPALS)
def test_export_requests_with_declared_parameters_never_fail_internally(
    live_server, served_schema, known_words, principal
):
    """Params built from each export type's own declared parameters (edge dates, unknown ids,
    wrong types), so requests get past the type check; every export queued must then run to
    SUCCEEDED or FAILED with a message for the user, never an internal error."""
    types = live_server.post(
        {"query": "{ exportTypes { key parameters { name type } } }"}, as_=principal
    ).json()["data"]["exportTypes"]
    requests = st.one_of(
        [
            st.fixed_dictionaries(
                {"type": st.just(t["key"])},
                optional={
                    "params": st.fixed_dictionaries(
                        {},
                        optional={
                            p["name"]: parameter_values(p["type"], served_schema, known_words)
                            for p in t["parameters"]
                        },
                    )
                },
            )
            for t in types
        ]
    )
    queued = []

    @fuzz_settings(15)
    @given(request=requests)
    def fuzz(request: dict) -> None:
        response = live_server.post(
            {"query": REQUEST_EXPORT, "variables": {"i": request}}, as_=principal
        )
        payload = check(response, f"requestExport {json.dumps(request)}")
        queued.append(bool(payload.get("data")))

    fuzz()
    assert sum(queued) >= len(queued) // 3, f"only {sum(queued)} of {len(queued)} were queued"
    assert_no_job_failed_internally()


# ---- carrier report uploads (multipart) ---------------------------------------------------------

UPLOAD = (
    "mutation($file: Upload!, $carrier: String, $asOf: Date) {"
    " uploadCarrierReport(file: $file, carrier: $carrier, asOf: $asOf) { id status } }"
)


SAMPLE_FILES = sorted(SAMPLES.glob("*-2026-11-24.*"))


def report_bytes() -> st.SearchStrategy[bytes]:
    """Random bytes, or a real sample cut short at any point or with a run of bytes replaced."""
    sample = st.sampled_from(SAMPLE_FILES).map(Path.read_bytes)

    @st.composite
    def damaged(draw) -> bytes:
        data = draw(sample)
        at = draw(st.integers(0, len(data)))
        if draw(st.booleans()):
            return data[:at]
        return data[:at] + draw(st.binary(max_size=64)) + data[at + draw(st.integers(0, 64)) :]

    return st.binary(max_size=4096) | damaged()


def multipart(operations: dict, name: str, content: bytes) -> tuple[bytes, str]:
    """A GraphQL multipart request written by hand, so the file name goes as it is (quotes, line
    breaks, NUL and all; httpx would escape them): (body, content type)."""
    boundary = "fuzz-boundary-7d1f"
    head = [
        ('name="operations"', json.dumps(operations)),
        ('name="map"', json.dumps({"0": ["variables.file"]})),
    ]
    body = b"".join(
        f"--{boundary}\r\nContent-Disposition: form-data; {h}\r\n\r\n{v}\r\n".encode()
        for h, v in head
    )
    body += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="0"; filename="{name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    body += content + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


@pytest.mark.parametrize("principal", PRINCIPALS)
def test_uploads_of_any_bytes_and_arguments_never_fail_internally(
    live_server, known_words, principal
):
    carriers = st.none() | st.sampled_from(known_words["strings"]) | TEXT
    as_of = st.none() | dates() | st.integers() | st.lists(st.integers(), max_size=2)
    names = st.sampled_from(["report.csv", "x.xlsx", "", "..", "../../etc/passwd", "a\x00.csv"])

    @fuzz_settings(12)
    @given(content=report_bytes(), name=names | TEXT, carrier=carriers, as_of=as_of)
    # Always tried, whatever is drawn: the two names that once failed as INTERNAL.
    @example(content=b"a,b\n", name="", carrier=None, as_of=None)
    @example(content=b"a,b\n", name="a\x00.csv", carrier=None, as_of=None)
    def fuzz(content: bytes, name: str, carrier, as_of) -> None:
        operations = {"query": UPLOAD, "variables": {"file": None, "carrier": carrier}}
        operations["variables"]["asOf"] = as_of
        body, content_type = multipart(operations, name, content)
        headers = {
            "Authorization": f"Bearer {live_server.token(principal)}",
            "Content-Type": content_type,
        }
        response = live_server.client.post("/graphql", content=body, headers=headers)
        check(response, f"upload {name!r} carrier={carrier!r} asOf={as_of!r} {content[:80]!r}")

    fuzz()
    # Every report the fuzz queued ran to an end (the in-process worker), none internally broken.
    assert_no_job_failed_internally()
