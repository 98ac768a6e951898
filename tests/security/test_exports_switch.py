"""The agency's "allow exports for my agents" switch holds at every step, not only at the request
(docs/domain.md, Who may export). While it is off, its direct agents' exports that are still
waiting or being built end FAILED with EXPORTS_DISABLED (asked again when a worker claims the
export, and before its file is published), and their finished exports are listed without a link
and refused at download (403); switched back on, the kept files download again. Agents of its
sub-agencies and admins are not affected."""

import dataclasses
from urllib.parse import urlsplit

from downline.core import plugins
from downline.core.config import get_settings
from tests.conftest import Api

OFF = (
    "Exports are switched off for your agency's agents: ask your agency administrator to allow "
    "them."
)
SWITCH = (
    "mutation($id: ID!, $on: Boolean!) { setAgentExportsAllowed(agencyId: $id, allowed: $on) "
    "{ exportsAllowedForAgents } }"
)
REQUEST = "mutation($type: String!) { requestExport(input: {type: $type}) { id status } }"
EXPORT = "query($id: ID!) { export(id: $id) { status error rowCount downloadUrl linkExpiresAt } }"
HISTORY = "{ exports { edges { node { id status downloadUrl linkExpiresAt } } } }"
AUDIT = "{ auditEvents(first: 100) { edges { node { actorEmail action exportId outcome } } } }"


def switch(api: Api, agency: str, on: bool) -> None:
    answer = api.gql(SWITCH, {"id": agency, "on": on}, as_="admin@top.test")
    assert answer["setAgentExportsAllowed"]["exportsAllowedForAgents"] is on


def stored_files(export_id: str) -> list:
    var = get_settings().var_dir
    return [
        *(var / "files" / "exports" / export_id).glob("*"),
        *(var / "tmp").glob(f"{export_id}-*"),
        *(var / "outbox").glob(f"*{export_id}*"),
    ]


def download(api: Api, url: str):
    parts = urlsplit(url)
    return api.client.get(f"{parts.path}?{parts.query}")


def events(api: Api, email: str) -> list[dict]:
    return [e["node"] for e in api.gql(AUDIT, as_=email)["auditEvents"]["edges"]]


def disabled_failure(export_id: str) -> dict:
    return {
        "actorEmail": "eve@t.test",
        "action": "export_failed",
        "exportId": export_id,
        "outcome": "EXPORTS_DISABLED",
    }


def test_an_export_queued_before_the_switch_went_off_fails_when_a_worker_claims_it(
    queued_api, build_export
):
    export_id = queued_api.gql(REQUEST, {"type": "clients"}, as_="eve@t.test")["requestExport"][
        "id"
    ]
    switch(queued_api, "east", False)

    build_export(export_id)

    assert queued_api.gql(EXPORT, {"id": export_id}, as_="eve@t.test")["export"] == {
        "status": "FAILED",
        "error": OFF,
        "rowCount": None,
        "downloadUrl": None,
        "linkExpiresAt": None,
    }
    assert stored_files(export_id) == []
    assert disabled_failure(export_id) in events(queued_api, "eve@t.test")
    assert disabled_failure(export_id) in events(queued_api, "admin@east.test")


def test_an_export_whose_switch_goes_off_while_it_is_built_fails_and_keeps_no_file(
    queued_api, build_export
):
    """The flip must fall between the claim's check and the publishing one. An export type's
    query runs exactly there (after the claim, before the file is written and published), so
    the worker is given the clients type with a query that first flips the switch through the
    API, as East's admin would at that moment, then selects the clients' rows as usual. The
    worker runs it as it runs any installed type: no hook in the code under test."""
    export_id = queued_api.gql(REQUEST, {"type": "clients"}, as_="eve@t.test")["requestExport"][
        "id"
    ]
    clients = plugins.installed_export_types()["clients"]
    flipped = []

    def flip_then_select(ctx):
        switch(queued_api, "east", False)
        flipped.append(True)
        return clients.query(ctx)

    types = plugins.installed_export_types() | {
        "clients": dataclasses.replace(clients, query=flip_then_select)
    }
    build_export(export_id, types)

    assert flipped == [True]  # built: the claim's check let it through
    export = queued_api.gql(EXPORT, {"id": export_id}, as_="eve@t.test")["export"]
    assert (export["status"], export["error"], export["downloadUrl"]) == ("FAILED", OFF, None)
    assert stored_files(export_id) == []  # neither published, nor left in tmp, nor mailed
    assert disabled_failure(export_id) in events(queued_api, "eve@t.test")


def test_finished_exports_are_withheld_while_the_switch_is_off_and_back_once_it_is_on(
    api, book, finished_export
):
    mine = finished_export(api, "eve@t.test", "clients")
    below = finished_export(api, "dan@t.test", "clients")  # East South's agent
    admins = finished_export(api, "admin@east.test", "enrollments")
    assert {mine["status"], below["status"], admins["status"]} == {"SUCCEEDED"}
    link = mine["downloadUrl"]  # handed out (emailed) before the switch went off

    switch(api, "east", False)

    refused = download(api, link)
    assert (refused.status_code, refused.text) == (403, OFF)
    listed = api.gql(HISTORY, as_="eve@t.test")["exports"]["edges"]
    assert [e["node"] for e in listed] == [
        {"id": mine["id"], "status": "SUCCEEDED", "downloadUrl": None, "linkExpiresAt": None}
    ]
    assert api.gql(EXPORT, {"id": mine["id"]}, as_="eve@t.test")["export"]["downloadUrl"] is None
    # Agents of East's sub-agencies and admins keep theirs.
    assert download(api, below["downloadUrl"]).status_code == 200
    assert download(api, admins["downloadUrl"]).status_code == 200
    assert {
        "actorEmail": "eve@t.test",
        "action": "download_refused",
        "exportId": mine["id"],
        "outcome": "exports_disabled",
    } in events(api, "admin@east.test")

    switch(api, "east", True)

    assert download(api, link).status_code == 200
    fresh = api.gql(HISTORY, as_="eve@t.test")["exports"]["edges"][0]["node"]["downloadUrl"]
    assert download(api, fresh).status_code == 200
