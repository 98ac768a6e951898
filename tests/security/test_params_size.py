"""A request's text is bounded as it was sent, padding included, and stored normalised: a search
of 20,000,000 spaces around "ma" once passed the 200-character limit (checked after trimming)
and was stored raw, so that every read of `exports` returned 20 MB. Every text parameter type
of an export ([String!], [ID!], String, Date) is checked on its raw length, a list on its
whole size, and a request's params as a whole may hold 16 KB of JSON; the lists' own `search`
is bounded the same way."""

from urllib.parse import urlsplit

import pytest

from downline.core import db
from downline.core.models import Export

REQUEST = (
    "mutation($type: String!, $params: JSON) "
    "{ requestExport(input: {type: $type, params: $params}) { id params } }"
)
REFUSALS = "{ auditEvents { edges { node { action outcome detail } } } exports { totalCount } }"
PADDING = 20_000_000


def refused(api, params: dict, field: str) -> str:
    """Request a clients export as Eve: refused naming `field`, nothing stored but the refusal
    (audited, in few words). Returns the error's message."""
    [error] = api.errors(REQUEST, {"type": "clients", "params": params}, as_="eve@t.test")
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}, error
    seen = api.gql(REFUSALS, as_="eve@t.test")
    assert seen["exports"]["totalCount"] == 0
    [event] = [e["node"] for e in seen["auditEvents"]["edges"]]
    assert (event["action"], event["outcome"]) == ("export_refused", "BAD_USER_INPUT")
    assert len(event["detail"]) < 2000 and len(error["message"]) < 2000
    return error["message"]


def test_a_search_padded_with_twenty_million_spaces_is_refused(api, book, cli, tmp_path):
    """Over the CLI, where no request body bounds it (GraphQL's 1 MB is below)."""
    padded = f"search={' ' * PADDING}ma"
    result = cli("export", "clients", "--as", "eve@t.test", "--param", padded, "-o", tmp_path / "x")
    assert result.exit_code == 1
    assert result.output.startswith("BAD_USER_INPUT (search): search must be a string of at most")
    assert len(result.output) < 1000  # the value is not echoed back
    with db.session() as session:
        assert session.query(Export).count() == 0


def test_a_search_padded_to_the_request_limit_is_refused(api, book):
    padded = " " * 990_000 + "ma"  # as long as a GraphQL request may carry
    message = refused(api, {"search": padded}, "search")
    assert "at most 200 characters" in message and "(990,004 characters)" in message


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("search", " " * 199 + "ma"),
        ("states", [" " * 199 + "fl"]),
        ("agentIds", ["a" * 201]),
        ("submittedFrom", " " * 191 + "2026-01-01"),
    ],
)
def test_every_text_parameter_is_bounded_as_sent(api, book, name, value):
    refused(api, {name: value}, name)


def test_a_list_parameter_is_bounded_as_a_whole(api, book):
    ids = [f"agent-{i:024d}" for i in range(600)]  # each short; 18 KB together
    assert "at most 16 KB of JSON" in refused(api, {"agentIds": ids}, "agentIds")


def test_params_are_bounded_as_a_whole(api, book):
    ids = [f"agent-{i:024d}" for i in range(300)]  # 9 KB each: within a list's bound
    message = refused(api, {"agentIds": ids, "agencyIds": ids}, "params")
    assert message == "params may hold at most 16 KB of JSON; these hold 19,828 bytes"


def test_a_padded_search_is_stored_trimmed_and_exports_what_the_list_shows(
    api, book, finished_export
):
    filters = {"search": "  lopez ", "states": [" fl "], "includeUnsubmitted": True}
    export = api.gql(REQUEST, {"type": "enrollments", "params": filters}, as_="admin@top.test")
    params = export["requestExport"]["params"]
    assert (params["search"], params["states"]) == ("lopez", ["fl"])

    listed = api.gql(
        "query($f: ClientFilter) { clients(filter: $f) { edges { node { id } } } }",
        {"f": filters},
        as_="admin@top.test",
    )["clients"]["edges"]
    assert [e["node"]["id"] for e in listed] == ["c1"]  # Maria Lopez, in FL
    done = finished_export(api, "admin@top.test", "enrollments", filters)
    parts = urlsplit(done["downloadUrl"])
    rows = api.client.get(f"{parts.path}?{parts.query}").text.splitlines()[1:]
    assert [row.split(",")[0] for row in rows] == ["c1"]


@pytest.mark.parametrize("search", [" " * 199 + "ma", " " * 1000])
def test_the_lists_search_is_bounded_as_sent(api, book, search):
    for field in ("clients", "leads"):
        query = f"query($s: String) {{ {field}(filter: {{search: $s}}) {{ totalCount }} }}"
        [error] = api.errors(query, {"s": search}, as_="admin@top.test")
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "search"}, field
