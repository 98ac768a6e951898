"""Every built-in type at once, outside its cells: the catalogue as `exportTypes` tells each role
its types with their legend and parameters, each role refused the other's types, and the file
named as promised."""

import re

from tests.plugins.exports.book import ADMIN, DAN, EAST, EVE
from tests.plugins.exports.catalogue import (
    AGENCY_TYPES,
    AGENT_TYPES,
    BOTH,
    CATALOGUE,
    PII,
    PROGRAM_PARAMS,
)

EXPORT_TYPES = "{ exportTypes { key title description scopes columns { name description pii } parameters { name type required default description } } }"


def test_export_types_tell_each_role_its_types_with_legend_and_parameters(books, api):
    for email, mine in (
        (EVE, AGENT_TYPES),
        (DAN, AGENT_TYPES),
        (ADMIN, AGENCY_TYPES),
        (EAST, AGENCY_TYPES),
    ):
        types = {t["key"]: t for t in api.gql(EXPORT_TYPES, as_=email)["exportTypes"]}
        assert set(types) == mine, email
        for key, t in types.items():
            assert t["title"] and t["description"]
            role = "AGENCY" if email.startswith("admin") else "AGENT"
            assert role in t["scopes"] and set(t["scopes"]) == (
                {"AGENT", "AGENCY"} if key in BOTH else {role}
            )
            names = [c["name"] for c in t["columns"]]
            assert names == CATALOGUE[key], key
            assert all(c["description"].strip() for c in t["columns"]), key
            pii = {c["name"] for c in t["columns"] if c["pii"]}
            expected = (
                PII
                if key in ("clients", "enrollments")
                else {"date_of_birth"}
                if key == "production"
                else set()
            )
            assert pii == expected, key
    admin = {t["key"]: t for t in api.gql(EXPORT_TYPES, as_=ADMIN)["exportTypes"]}
    agent = {t["key"]: t for t in api.gql(EXPORT_TYPES, as_=EVE)["exportTypes"]}

    def params(t: dict) -> dict:
        return {p["name"]: (p["type"], p["required"], p["default"]) for p in t["parameters"]}

    client_filter = {
        "agentIds": ("[ID!]", False, None),
        "agencyIds": ("[ID!]", False, None),
        "submittedFrom": ("Date", False, None),
        "submittedTo": ("Date", False, None),
        "includeUnsubmitted": ("Boolean", False, False),
        "includeArchived": ("Boolean", False, False),
        "includeThreeWayCallResolved": ("Boolean", False, False),
        "exchange": ("Exchange", False, None),
        "states": ("[String!]", False, None),
        "search": ("String", False, None),
    }
    assert params(agent["clients"]) == client_filter
    assert params(admin["enrollments"]) == client_filter | {
        "exchange": ("Exchange", False, "ON_EX")
    }
    assert params(agent["leads"]) == {
        "agentIds": ("[ID!]", False, None),
        "agencyIds": ("[ID!]", False, None),
        "statuses": ("[String!]", False, None),
        "createdFrom": ("Date", False, None),
        "createdTo": ("Date", False, None),
        "search": ("String", False, None),
    }
    assert (
        params(admin["production"])
        == params(agent["production"])
        == {
            "agentIds": ("[ID!]", False, None),
            "agencyIds": ("[ID!]", False, None),
            "carriers": ("[String!]", False, None),
            "productTypes": ("[ProductType!]", False, None),
            "statuses": ("[PolicyStatus!]", False, None),
            "states": ("[String!]", False, None),
            "effectiveFrom": ("Date", False, None),
            "effectiveTo": ("Date", False, None),
            "notSeenSince": ("Date", False, None),
            "updatedSince": ("DateTime", False, None),
            "withoutApplication": ("Boolean", False, None),
        }
    )
    reconciliation_filter = {name: client_filter[name] for name in client_filter}
    del reconciliation_filter["includeUnsubmitted"]
    reconciliation_filter["includeThreeWayCallResolved"] = ("Boolean", False, True)
    reconciliation_filter["carriers"] = ("[String!]", False, None)
    reconciliation_filter["statuses"] = ("[ReconciliationStatus!]", False, None)
    assert params(admin["effectuation"]) == params(agent["effectuation"]) == reconciliation_filter
    assert params(admin["payouts_program_report"]) == {
        "paidFrom": ("Date", True, None),
        "paidTo": ("Date", True, None),
    }
    assert all(
        p["description"] for t in [*admin.values(), *agent.values()] for p in t["parameters"]
    )
    others = (set(admin) | set(agent)) - {
        "clients",
        "enrollments",
        "leads",
        "production",
        "effectuation",
        "payouts_program_report",
    }
    assert all(params(admin.get(k) or agent[k]) == {} for k in others)


def test_each_role_is_refused_the_other_roles_types(books, api):
    mutation = (
        "mutation($t: String!, $p: JSON) { requestExport(input: {type: $t, params: $p}) { id } }"
    )
    for email, refused in (
        (EVE, set(CATALOGUE) - AGENT_TYPES),
        (ADMIN, set(CATALOGUE) - AGENCY_TYPES),
    ):
        assert refused
        for type_ in sorted(refused):
            params = PROGRAM_PARAMS if type_ == "payouts_program_report" else None
            errors = api.errors(mutation, {"t": type_, "p": params}, as_=email)
            assert errors[0]["extensions"]["code"] == "FORBIDDEN", (email, type_)


def test_the_file_is_named_type_date_export_id(books, cli, api, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cli("export", "dmi_follow_ups", "--as", EVE)
    assert result.exit_code == 0, result.output
    (path,) = tmp_path.glob("*.csv")
    match = re.fullmatch(r"dmi_follow_ups-(\d{4}-\d\d-\d\d)-([0-9a-f-]{36})\.csv", path.name)
    assert match, path.name
    history = api.gql(
        "{ exports(first: 5) { edges { node { id requestedAt type { key } } } } }", as_=EVE
    )["exports"]["edges"]
    (latest,) = [e["node"] for e in history]
    assert latest["id"] == match.group(2) and latest["type"]["key"] == "dmi_follow_ups"
    assert match.group(1) == latest["requestedAt"][:10]
