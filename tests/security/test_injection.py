"""SQL injection (and its cousins: LIKE wildcards, NUL bytes, oversized and exotic text) through
every text input of every query, read off the schema, and through every text parameter of every
export type, read off `exportTypes`; so a filter field added tomorrow is covered tomorrow.

The oracle: no record of the test book contains any of the payloads, so an input that is treated
as data matches nothing. Each payload must therefore give either a clean BAD_USER_INPUT naming the
input, or an empty answer (no rows, a null node, a zero count), for an agency admin and for an
agent user alike; any row coming back means the payload changed the query. Never INTERNAL, never
a 5xx, and afterwards every row of every table is as it was. The controls prove the oracle is not
vacuous: unfiltered, each list does return rows to that principal.
"""

import base64
import json
import time

import pytest

from downline.core.config import get_settings

from .introspection import is_list, named, sdl

PRINCIPALS = ("admin@top.test", "eve@t.test")

PAYLOADS = [
    "' OR '1'='1",
    "'; DROP TABLE client; --",
    '" OR 1=1 --',
    '\' UNION SELECT email, role FROM "user" --',
    "1; SELECT pg_sleep(5) --",
    "%",
    "_",
    "\\",
    "Łódź 東京 🙂 ﷽ \u202e",
    "x" * 60_000,
]
NUL_PAYLOADS = ["\x00", "eve\x00' OR '1'='1"]
# Arguments that name the one thing a summary is for: one naming nothing in scope answers
# NOT_FOUND naming the argument (docs/domain.md), not an empty list.
NAMES_ONE_THING = {"downlineOf"}

TYPE_REF = "kind name ofType { kind name ofType { kind name ofType { kind name } } }"
SCHEMA = f"""{{ __schema {{
  queryType {{ fields {{ name args {{ name type {{ {TYPE_REF} }} }} type {{ {TYPE_REF} }} }} }}
  types {{ name kind fields {{ name }} inputFields {{ name type {{ {TYPE_REF} }} }}
          enumValues {{ name }} }}
}} }}"""


class Schema:
    """The served schema, introspected: every text input of every Query field."""

    def __init__(self, data: dict) -> None:
        self.types = {t["name"]: t for t in data["__schema"]["types"]}
        self.fields = {f["name"]: f for f in data["__schema"]["queryType"]["fields"]}

    def kind(self, name: str) -> str:
        return self.types[name]["kind"]

    def targets(self, kinds: set[str]) -> list[tuple[str, tuple[str, ...], dict]]:
        """(query field, path to the input: argument[, input field...], the input's type) for
        every input whose named type is one of `kinds` ("TEXT" = String or ID, or "ENUM")."""
        found = []

        def walk(field: str, path: tuple[str, ...], type_ref: dict) -> None:
            name = named(type_ref)
            kind = "TEXT" if name in ("String", "ID") else self.kind(name)
            if kind in kinds:
                found.append((field, path, type_ref))
            elif kind == "INPUT_OBJECT":
                for inner in self.types[name]["inputFields"]:
                    walk(field, (*path, inner["name"]), inner["type"])

        for field in self.fields.values():
            for arg in field["args"]:
                walk(field["name"], (arg["name"],), arg["type"])
        return found

    def required(self, field: str, skip: str) -> str:
        """Values for the field's required arguments other than `skip` (the first value of a
        required enum list, e.g. productionSummary's groupBy)."""
        given = []
        for arg in self.fields[field]["args"]:
            if arg["name"] == skip or arg["type"]["kind"] != "NON_NULL":
                continue
            name = named(arg["type"])
            assert self.kind(name) == "ENUM", f"give {field}.{arg['name']} a value in this test"
            given.append(f"{arg['name']}: [{self.types[name]['enumValues'][0]['name']}]")
        return ", ".join(given)

    def selection(self, field: str) -> str:
        returned = self.types[named(self.fields[field]["type"])]
        names = {f["name"] for f in returned.get("fields") or []}
        if {"totalCount", "edges"} <= names:
            return "{ totalCount edges { node { __typename } } }"
        return "{ __typename }"


@pytest.fixture
def schema(api) -> Schema:
    return Schema(api.gql(SCHEMA, as_="admin@top.test"))


def nest(path: tuple[str, ...], value: str) -> str:
    """`filter: {search: $v}` for the path (filter, search)."""
    inner = value
    for name in reversed(path[1:]):
        inner = f"{{{name}: {inner}}}"
    return f"{path[0]}: {inner}"


def operation(schema: Schema, field: str, path: tuple[str, ...], type_ref: dict, count: int):
    """One operation asking `field` once per payload (aliases p0, p1, ...), each payload in its
    own variable v0, v1, ... standing where the input stands."""
    extra = schema.required(field, path[0])
    selection = schema.selection(field)
    definitions = ", ".join(f"$v{i}: {sdl(type_ref)}" for i in range(count))
    asks = " ".join(
        f"p{i}: {field}({', '.join(filter(None, [nest(path, f'$v{i}'), extra]))}) {selection}"
        for i in range(count)
    )
    return f"query({definitions}) {{ {asks} }}"


def empty(answer) -> bool:
    if answer is None or answer == []:
        return True
    if isinstance(answer, dict) and "totalCount" in answer:
        return answer["totalCount"] == 0 and answer["edges"] == []
    return False


def verdicts(response, field: str, path: tuple[str, ...], count: int) -> dict[int, str]:
    """For each alias that did not end cleanly (empty, or BAD_USER_INPUT naming the input, or
    NOT_FOUND naming it where an input names what the answer is about), what happened
    instead."""
    if response.status_code != 200:
        return {-1: f"HTTP {response.status_code}: {response.text[:300]}"}
    payload = response.json()
    data = payload.get("data") or {}
    errors = {e["path"][0]: e for e in payload.get("errors", []) if e.get("path")}
    unplaced = [e for e in payload.get("errors", []) if not e.get("path")]
    if unplaced:
        return {-1: f"operation refused: {unplaced}"}
    wrong = {}
    for i in range(count):
        error = errors.get(f"p{i}")
        if error is not None:
            extensions = error.get("extensions", {})
            named_input = extensions.get("field") in path or path[-1] in error["message"]
            clean = {"BAD_USER_INPUT"} | ({"NOT_FOUND"} if path[-1] in NAMES_ONE_THING else set())
            if extensions.get("code") not in clean or not named_input:
                wrong[i] = f"error {error}"
        elif not empty(data.get(f"p{i}")):
            wrong[i] = f"rows: {json.dumps(data.get(f'p{i}'))[:300]}"
    return wrong


def ask(api, email: str, document: str, values: list) -> object:
    return api.post(document, {f"v{i}": v for i, v in enumerate(values)}, as_=email)


def test_every_text_input_of_every_query_treats_injection_as_data(
    api, production_rows, schema, snapshot
):
    targets = schema.targets({"TEXT"})
    covered = {(f, p) for f, p, _ in targets}
    # The filters this review was written against are all found (discovery works).
    for expected in [
        ("clients", ("filter", "search")),
        ("clients", ("filter", "states")),
        ("clients", ("filter", "agentIds")),
        ("leads", ("filter", "statuses")),
        ("production", ("filter", "carriers")),
        ("productionSummary", ("filter", "agencyIds")),
        ("node", ("id",)),
        ("downline", ("after",)),
    ]:
        assert expected in covered, expected

    before = snapshot()
    for email in PRINCIPALS:
        for field in ("clients", "leads", "production", "downline"):  # the controls
            total = api.gql(f"{{ {field} {{ totalCount }} }}", as_=email)[field]["totalCount"]
            assert total > 0, (email, field)
        wrong = {}
        for field, path, type_ref in targets:
            values = [[p] if is_list(type_ref) else p for p in PAYLOADS]
            document = operation(schema, field, path, type_ref, len(values))
            answer = ask(api, email, document, values)
            for i, what in verdicts(answer, field, path, len(values)).items():
                wrong[(field, ".".join(path), PAYLOADS[i][:40] if i >= 0 else "*")] = what
            # A NUL fails the whole operation (it is refused before execution): one at a time.
            for nul in NUL_PAYLOADS:
                value = [nul] if is_list(type_ref) else nul
                document = operation(schema, field, path, type_ref, 1)
                response = ask(api, email, document, [value])
                errors = response.json().get("errors") or [{}]
                if response.status_code != 200 or errors[0].get("extensions") != {
                    "code": "BAD_USER_INPUT",
                    "field": path[-1],
                }:
                    wrong[(field, ".".join(path), repr(nul))] = response.text[:300]
        assert wrong == {}, email
    assert snapshot() == before


def test_every_enum_input_refuses_injection_as_bad_user_input(
    api, production_rows, schema, snapshot
):
    targets = schema.targets({"ENUM"})
    assert ("production", ("filter", "productTypes")) in {(f, p) for f, p, _ in targets}
    before = snapshot()
    wrong = {}
    for field, path, type_ref in targets:
        values = [[p] if is_list(type_ref) else p for p in PAYLOADS[:4] + NUL_PAYLOADS]
        document = operation(schema, field, path, type_ref, len(values))
        response = ask(api, "eve@t.test", document, values)
        errors = response.json().get("errors", []) if response.status_code == 200 else []
        codes = {e.get("extensions", {}).get("code") for e in errors}
        if response.json().get("data") is not None or codes != {"BAD_USER_INPUT"}:
            wrong[(field, ".".join(path))] = f"HTTP {response.status_code}: {response.text[:300]}"
    assert wrong == {}
    assert snapshot() == before


def test_cursors_and_the_ids_of_mutations_and_subscriptions_treat_injection_as_data(
    api, production_rows, snapshot, ws_operation
):
    """A cursor is the caller's text too: base64 JSON of the sort keys. The agents list sorts by
    (name, id), two strings, so forged cursors reach SQL as values: they may only page through
    what the caller sees, and a NUL is refused naming `after`. An id given to a mutation or a
    subscription names nothing (NOT_FOUND), or is refused naming it."""
    query = "query($a: String) { downline(first: 500, after: $a) { edges { node { id } } } }"
    before = snapshot()
    for email in PRINCIPALS:
        visible = {
            e["node"]["id"] for e in api.gql(query, {"a": None}, as_=email)["downline"]["edges"]
        }
        for payload in [*PAYLOADS[:6], ""]:
            cursor = base64.urlsafe_b64encode(json.dumps([payload, payload]).encode()).decode()
            response = api.post(query, {"a": cursor}, as_=email)
            body = response.json()
            assert response.status_code == 200 and "errors" not in body, (payload, body)
            seen = {e["node"]["id"] for e in body["data"]["downline"]["edges"]}
            assert seen <= visible, (email, payload, seen - visible)
        for nul in NUL_PAYLOADS:
            cursor = base64.urlsafe_b64encode(json.dumps([nul, nul]).encode()).decode()
            [error] = api.errors(query, {"a": cursor}, as_=email)
            assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "after"}, error

    switch = "mutation($id: ID!) { setAgentExportsAllowed(agencyId: $id, allowed: false) { id } }"
    follow = "subscription($id: ID!) { exportUpdates(id: $id) { status } }"
    for payload in [*PAYLOADS[:3], *NUL_PAYLOADS]:
        expected = (
            {"code": "BAD_USER_INPUT", "field": "agencyId"}
            if "\x00" in payload
            else {"code": "NOT_FOUND", "field": "agencyId"}
        )
        [error] = api.errors(switch, {"id": payload}, as_="admin@top.test")
        assert error["extensions"] == expected, (payload, error)
        [error] = ws_operation(api, "eve@t.test", follow, {"id": payload})["errors"]
        assert error["extensions"] == expected | {"field": "id"}, (payload, error)
    after = snapshot()
    # Nothing changed but the audit trail, which records each refused switch (a NUL is refused
    # before any resolver runs, so before anything is audited).
    events = after.pop("audit_event")
    assert after == {k: v for k, v in before.items() if k != "audit_event"}
    assert set(before["audit_event"]) <= set(events)
    refused = set(events) - set(before["audit_event"])
    assert len(refused) == 3
    assert all("'exports_switch_refused'" in r and "'NOT_FOUND'" in r for r in map(str, refused))


EXPORT_TYPES = "{ exportTypes { key parameters { name type } } }"
REQUEST = (
    "mutation($type: String!, $params: JSON) "
    "{ requestExport(input: {type: $type, params: $params}) { id } }"
)
HISTORY = "{ exports(first: 500) { edges { node { id status rowCount error params } } } }"
TEXT_PARAMETERS = {"String": False, "ID": False, "[String!]": True, "[ID!]": True}


def test_every_text_parameter_of_every_export_treats_injection_as_data(
    api, production_rows, snapshot, monkeypatch
):
    """Exports build their rows with the lists' own query functions ("export what the list
    shows"), so every payload already went through that SQL above; here each text parameter of
    each export type gets a payload (taking turns over the list) through the worker, and every
    NUL is refused at the request."""
    # Each user requests a dozen exports in a burst: more than the fair-use cap lets wait.
    monkeypatch.setenv("DOWNLINE_MAX_ACTIVE_JOBS_PER_USER", "1000")
    get_settings.cache_clear()
    before = snapshot()
    requested: dict[str, tuple] = {}
    wrong = {}
    turn = 0
    for email in PRINCIPALS:
        for export_type in api.gql(EXPORT_TYPES, as_=email)["exportTypes"]:
            for parameter in export_type["parameters"]:
                if parameter["type"] not in TEXT_PARAMETERS:
                    continue
                listed = TEXT_PARAMETERS[parameter["type"]]
                where = (email, export_type["key"], parameter["name"])
                for nul in NUL_PAYLOADS:
                    params = {parameter["name"]: [nul] if listed else nul}
                    errors = api.errors(REQUEST, {"type": export_type["key"], "params": params},
                                        as_=email)  # fmt: skip
                    if errors[0]["extensions"] != {
                        "code": "BAD_USER_INPUT",
                        "field": parameter["name"],
                    }:
                        wrong[(*where, repr(nul))] = errors
                payload = PAYLOADS[turn % len(PAYLOADS)]
                turn += 1
                params = {parameter["name"]: [payload] if listed else payload}
                response = api.post(REQUEST, {"type": export_type["key"], "params": params},
                                    as_=email)  # fmt: skip
                body = response.json()
                if "errors" in body:
                    error = body["errors"][0]
                    if error["extensions"] != {
                        "code": "BAD_USER_INPUT",
                        "field": parameter["name"],
                    }:
                        wrong[(*where, payload[:40])] = error
                else:
                    requested[body["data"]["requestExport"]["id"]] = (*where, payload[:40])
    assert len(requested) >= 8, "too few text parameters found: is discovery broken?"

    deadline = time.monotonic() + 60
    pending = set(requested)
    while pending and time.monotonic() < deadline:
        time.sleep(0.1)
        for email in PRINCIPALS:
            for edge in api.gql(HISTORY, as_=email)["exports"]["edges"]:
                export = edge["node"]
                if export["id"] in pending and export["status"] in ("SUCCEEDED", "FAILED"):
                    pending.discard(export["id"])
                    where = requested[export["id"]]
                    # A payload the request let through runs as plain text: the export
                    # succeeds and holds nothing (no record holds a payload).
                    if not (export["status"] == "SUCCEEDED" and export["rowCount"] == 0):
                        wrong[where] = export
    assert pending == set(), "exports did not finish"
    assert wrong == {}

    # Only the exports themselves were written: their rows, their files, their audit events.
    after = snapshot()
    grew = {"export", "audit_event", "<stored files>"}
    assert {k: v for k, v in after.items() if k not in grew} == {
        k: v for k, v in before.items() if k not in grew
    }
