"""An export belongs to the place its requester stood in when asking (the agent, for an agent
user; the agency, for an admin). A requester moved to another agent or agency by a load, whose
role changed, or who was removed loses it at once, on every path (history, `export`, `node`,
the subscription, a link minted before the move), and gets it back when moved back."""

from urllib.parse import urlsplit

import pytest
from sqlalchemy import delete, update

from downline.core import db, plugins
from downline.core.config import get_settings
from downline.core.exports import run as exporting
from downline.core.models import Export, User
from downline.core.storage import get_storage

SEEN = """query($id: ID!) {
  exports { totalCount edges { node { id } } }
  export(id: $id) { id }
  node(id: $id) { id }
}"""
HISTORY_LINK = "{ exports { edges { node { downloadUrl } } } }"
NOTHING = {"exports": {"totalCount": 0, "edges": []}, "export": None, "node": None}


def admin(agency: str) -> dict:
    return {"email": "admin@top.test", "role": "agency_admin", "agency_id": agency}


def agent_user(email: str, agent: str) -> dict:
    return {"email": email, "role": "agent", "agent_id": agent}


def seen_by(api, email: str, export_id: str) -> dict:
    return api.gql(SEEN, {"id": export_id}, as_=email)


def everywhere(export_id: str) -> dict:
    return {
        "exports": {"totalCount": 1, "edges": [{"node": {"id": export_id}}]},
        "export": {"id": export_id},
        "node": {"id": export_id},
    }


def download(api, url: str):
    parts = urlsplit(url)
    return api.client.get(f"{parts.path}?{parts.query}")


def fresh_link(api, email: str) -> str:
    """A link as the history hands it out now (the viewer has one export)."""
    return api.gql(HISTORY_LINK, as_=email)["exports"]["edges"][0]["node"]["downloadUrl"]


def assert_refused_in_plain_words(response) -> None:
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/plain")
    assert "no longer" in response.text and "APP-" not in response.text


def move(load_book, user: dict) -> None:
    """Load `user` again as `downline load` does, linked where it says."""
    report = load_book({"users": [user]})
    assert not report.rejections, report.rejections


@pytest.mark.parametrize(
    ("email", "type_", "moved", "back"),
    [
        pytest.param(
            "admin@top.test",
            "enrollments",
            admin("other"),
            admin("top"),
            id="admin-to-another-tenant",
        ),
        pytest.param(
            "admin@top.test", "enrollments", admin("east"), admin("top"), id="admin-to-a-sub-agency"
        ),
        pytest.param(
            "admin@top.test",
            "enrollments",
            agent_user("admin@top.test", "a-top"),
            admin("top"),
            id="admin-demoted-to-an-agent-of-its-agency",
        ),
        pytest.param(
            "eve@t.test",
            "clients",
            agent_user("eve@t.test", "a-deep"),
            agent_user("eve@t.test", "a-east"),
            id="agent-user-linked-to-another-agent",
        ),
        pytest.param(
            "eve@t.test",
            "clients",
            {"email": "eve@t.test", "role": "agency_admin", "agency_id": "east"},
            agent_user("eve@t.test", "a-east"),
            id="agent-user-promoted-to-admin-of-its-agency",
        ),
    ],
)
def test_a_moved_requester_loses_its_export_everywhere_and_finds_it_again_when_moved_back(
    api, book, load_book, finished_export, email, type_, moved, back
):
    export = finished_export(api, email, type_)
    assert export["status"] == "SUCCEEDED"
    link = fresh_link(api, email)  # minted before the move

    move(load_book, moved)
    assert seen_by(api, email, export["id"]) == NOTHING
    assert_refused_in_plain_words(download(api, link))
    assert_refused_in_plain_words(download(api, export["downloadUrl"]))

    move(load_book, back)
    assert seen_by(api, email, export["id"]) == everywhere(export["id"])
    assert download(api, link).status_code == 200


def test_an_agent_user_keeps_its_exports_when_its_agent_moves_agency_not_when_relinked(
    api, book, load_book, finished_export
):
    export = finished_export(api, "eve@t.test", "clients")
    # Into an agency that lets its agents export (West would withhold the file while its switch
    # is off: tests/security/test_exports_switch.py).
    moved = {"agency_id": "east-south"}
    moved_agent = next(a for a in book["agents"] if a["id"] == "a-east") | moved
    assert not load_book({"agents": [moved_agent]}).rejections
    assert seen_by(api, "eve@t.test", export["id"]) == everywhere(export["id"])
    assert download(api, fresh_link(api, "eve@t.test")).status_code == 200

    move(load_book, agent_user("eve@t.test", "a-top"))
    assert seen_by(api, "eve@t.test", export["id"]) == NOTHING


def test_a_removed_requester_s_links_are_refused_until_it_is_loaded_back_where_it_stood(
    api, book, load_book, finished_export
):
    export = finished_export(api, "admin@top.test", "enrollments")
    link = fresh_link(api, "admin@top.test")
    with db.session() as session:
        session.execute(delete(User).where(User.email == "admin@top.test"))
        session.commit()
    refused = download(api, link)
    assert refused.status_code == 403 and "APP-" not in refused.text

    move(load_book, admin("east"))  # back, but elsewhere: still not its export
    assert seen_by(api, "admin@top.test", export["id"]) == NOTHING
    move(load_book, admin("top"))
    assert seen_by(api, "admin@top.test", export["id"]) == everywhere(export["id"])
    assert download(api, link).status_code == 200


def waiting_export(**place) -> str:
    """An enrollments export of the top admin, QUEUED and never sent to a worker."""
    with db.session() as session:
        row = Export(
            type="enrollments",
            scope="AGENCY",
            params={},
            requester_email="admin@top.test",
            **place,
        )
        session.add(row)
        session.commit()
        return row.id


def test_a_subscription_ends_with_not_found_once_its_requester_moves(api, book, load_book):
    export_id = waiting_export(requester_agency_id="top")
    query = "subscription($id: ID!) { exportUpdates(id: $id) { status rowsWritten } }"
    with api.client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        token = api.token("admin@top.test")
        ws.send_json({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
        assert ws.receive_json()["type"] == "connection_ack"
        ws.send_json(
            {
                "id": "e",
                "type": "subscribe",
                "payload": {"query": query, "variables": {"id": export_id}},
            }
        )
        first = ws.receive_json()
        assert first["payload"]["data"]["exportUpdates"] == {"status": "QUEUED", "rowsWritten": 0}

        move(load_book, admin("other"))
        # The row moves on too, so a subscription that went on would have something to send.
        with db.session() as session:
            session.execute(update(Export).where(Export.id == export_id).values(rows_written=7))
            session.commit()
        ended = ws.receive_json()
        assert ended["type"] == "next" and ended["payload"]["data"] is None
        assert [e["extensions"]["code"] for e in ended["payload"]["errors"]] == ["NOT_FOUND"]
        assert ws.receive_json() == {"id": "e", "type": "complete"}


def test_an_export_waiting_when_its_requester_moves_is_not_built_from_the_new_place(
    api, book, load_book
):
    export_id = waiting_export(requester_agency_id="top")
    move(load_book, admin("other"))
    done = exporting.run_export(
        export_id,
        get_storage(get_settings()),
        plugins.installed_export_types(),
        plugins.notify_export_ready,
    )
    assert done.status == "FAILED" and done.storage_key is None
    move(load_book, admin("top"))
    seen = api.gql(
        "query($id: ID!) { export(id: $id) { status error downloadUrl } }",
        {"id": export_id},
        as_="admin@top.test",
    )["export"]
    assert seen["status"] == "FAILED" and seen["downloadUrl"] is None
    assert "request it again" in seen["error"]
