"""Policies live inside a tenant (a top agency and everything below it): an upload never
touches another tenant's policy, within a tenant it writes only over policies its uploader
sees, the operator's rows go into the tenant of their agent (or are held, seen by nobody, until
one is loaded), and an NPN never matches an agent of another tenant."""

import pytest

from tests.core.carriers.test_upload_api import upload, wait_done

HEADER = (
    "Agent SAN,Agent NPN,Humana ID,MBI,First Name,Last Name,Birth Date,Contract,PBP,Segment,"
    "Plan Name,Product Type,County,State,Application Received,Effective Date,Term Date,Status,"
    "Status Reason"
)
ROW = (
    "x,{npn},{policy},1EP6WW78EE48,{first},{last},08/03/1940,H7077,881,x,Value Plus (HMO),MAPD,"
    "Maricopa,AZ,02/10/2026,03/01/2026,,{status},"
)

# Two tenants: Acme (East and West below it) and Bolt.
TENANTS = {
    "agencies": [
        {"id": "acme", "name": "Acme", "parent_id": None},
        {"id": "acme-east", "name": "Acme East", "parent_id": "acme"},
        {"id": "acme-west", "name": "Acme West", "parent_id": "acme"},
        {"id": "bolt", "name": "Bolt", "parent_id": None},
    ],
    "agents": [
        {"id": "ann", "name": "Ann", "npn": "100", "email": "ann@a.test", "agency_id": "acme-east"},
        {"id": "bob", "name": "Bob", "npn": "200", "email": "bob@a.test", "agency_id": "acme-west"},
        {"id": "dan", "name": "Dan", "npn": "400", "email": "dan@b.test", "agency_id": "bolt"},
    ],
    "users": [
        {"email": "admin@acme.test", "role": "agency_admin", "agency_id": "acme"},
        {"email": "admin@acme-east.test", "role": "agency_admin", "agency_id": "acme-east"},
        {"email": "admin@acme-west.test", "role": "agency_admin", "agency_id": "acme-west"},
        {"email": "admin@bolt.test", "role": "agency_admin", "agency_id": "bolt"},
        {"email": "ann@a.test", "role": "agent", "agent_id": "ann"},
        {"email": "bob@a.test", "role": "agent", "agent_id": "bob"},
        {"email": "dan@b.test", "role": "agent", "agent_id": "dan"},
    ],
}
COUNTS = "query($id: ID!) { node(id: $id) { ... on CarrierReport { rowsRead rowsInserted rowsUpdated rowsUnchanged rowsRejected unmatchedNpns errors { message } } } }"
PRODUCTION = "{ production(first: 100) { totalCount edges { node { carrierPolicyId clientName status agentNpn agent { id } } } } }"


@pytest.fixture
def tenants(api, load_book):
    assert not load_book(TENANTS).rejections
    return api


@pytest.fixture
def humana_file(tmp_path):
    """A Humana report of the given rows, (npn, policy id[, client name[, status]]) each."""
    made = []

    def make(*rows) -> object:
        lines = [HEADER]
        for npn, policy, *rest in rows:
            first, last = (rest[0] if rest else "Jane Doe").split()
            status = rest[1] if len(rest) > 1 else "Active"
            lines.append(ROW.format(npn=npn, policy=policy, first=first, last=last, status=status))
        path = tmp_path / f"humana-{len(made)}.csv"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        made.append(path)
        return path

    return make


def uploaded(api, email, path) -> dict:
    """Upload `path` over GraphQL as `email`, wait for the worker; the report's counts."""
    payload = upload(api, email, path, carrier="humana", asOf="2026-11-24")
    report_id = payload["data"]["uploadCarrierReport"]["id"]
    done = wait_done(api, email, report_id)
    assert done["status"] == "SUCCEEDED", done
    return api.gql(COUNTS, {"id": report_id}, as_=email)["node"]


def counts(report: dict) -> tuple[int, ...]:
    keys = ("rowsRead", "rowsInserted", "rowsUpdated", "rowsUnchanged", "rowsRejected")
    return tuple(report[k] for k in keys)


def seen(api, email) -> dict[str, dict]:
    """The policies `email` sees, by carrier policy id (each id seen at most once)."""
    edges = api.gql(PRODUCTION, as_=email)["production"]["edges"]
    nodes = [e["node"] for e in edges]
    assert len({n["carrierPolicyId"] for n in nodes}) == len(nodes)
    return {n["carrierPolicyId"]: n for n in nodes}


def test_another_tenants_policy_id_inserts_a_policy_of_your_own(tenants, humana_file):
    api = tenants
    uploaded(api, "dan@b.test", humana_file(("400", "HUM1", "Rita Real")))
    dans = seen(api, "dan@b.test")

    report = uploaded(api, "ann@a.test", humana_file(("100", "HUM1", "Mallory Thief")))

    assert counts(report) == (1, 1, 0, 0, 0) and report["errors"] == []
    assert seen(api, "dan@b.test") == dans
    assert seen(api, "admin@bolt.test")["HUM1"]["clientName"] == "Rita Real"
    mine = seen(api, "ann@a.test")["HUM1"]
    assert (mine["clientName"], mine["agent"]) == ("Mallory Thief", {"id": "ann"})
    # The counts say nothing of the other tenant: an id nobody holds counts the same.
    fresh = uploaded(api, "ann@a.test", humana_file(("100", "HUM2", "Mallory Thief")))
    assert counts(fresh) == counts(report)


def test_a_sibling_agents_policy_is_outside_your_book(tenants, humana_file):
    api = tenants
    uploaded(api, "bob@a.test", humana_file(("200", "HUM7", "Rita Real")))
    bobs = seen(api, "bob@a.test")

    same = uploaded(api, "ann@a.test", humana_file(("100", "HUM7", "Rita Real")))
    changed = uploaded(api, "ann@a.test", humana_file(("100", "HUM7", "Mallory Thief", "Pending")))

    # Rejected whether or not the row would change the policy: the counts tell nothing of it.
    assert counts(same) == counts(changed) == (1, 0, 0, 0, 1)
    assert changed["errors"] == [{"message": "line 2: policy HUM7 is outside your book"}]
    assert seen(api, "bob@a.test") == bobs
    assert "HUM7" not in seen(api, "ann@a.test")
    # An admin above both sees it, and may.
    above = uploaded(api, "admin@acme.test", humana_file(("200", "HUM7", "Rita Real", "Pending")))
    assert counts(above) == (1, 0, 1, 0, 0)
    assert seen(api, "bob@a.test")["HUM7"]["status"] == "APPROVED"


def test_a_sibling_agencys_unmatched_policy_is_outside_your_book(tenants, humana_file):
    api = tenants
    uploaded(api, "admin@acme-west.test", humana_file(("999", "HUM8", "Rita Real")))

    report = uploaded(api, "admin@acme-east.test", humana_file(("999", "HUM8", "Mallory Thief")))

    assert counts(report) == (1, 0, 0, 0, 1)
    assert report["errors"] == [{"message": "line 2: policy HUM8 is outside your book"}]
    assert seen(api, "admin@acme-west.test")["HUM8"]["clientName"] == "Rita Real"
    above = uploaded(api, "admin@acme.test", humana_file(("999", "HUM8", "Rita Real", "Pending")))
    assert counts(above) == (1, 0, 1, 0, 0)


def test_the_operator_routes_rows_into_their_agents_tenants(tenants, humana_file, cli):
    api = tenants
    uploaded(api, "dan@b.test", humana_file(("400", "HUM1", "Rita Real")))
    path = humana_file(
        ("100", "HUM1", "Ann Client"),  # Acme's HUM1, beside Bolt's
        ("400", "HUM2", "Dan Client"),
        ("777", "HUM3", "Nobody Yet"),
    )

    result = cli("ingest", path, "--as-of", "2026-11-24")

    assert "rows read 3, inserted 3, updated 0, unchanged 0, rejected 0" in result.output
    assert "NPNs matching no agent: 777" in result.output
    assert set(seen(api, "admin@acme.test")) == {"HUM1"}
    assert seen(api, "admin@acme.test")["HUM1"]["clientName"] == "Ann Client"
    bolt = seen(api, "admin@bolt.test")
    assert set(bolt) == {"HUM1", "HUM2"} and bolt["HUM1"]["clientName"] == "Rita Real"


def test_the_operators_unmatched_rows_are_held_until_their_agent_is_loaded(
    tenants, humana_file, cli, load_book
):
    api = tenants
    cli("ingest", humana_file(("777", "HUM3", "Nobody Yet")), "--as-of", "2026-11-24")
    admins = ("admin@acme.test", "admin@acme-east.test", "admin@bolt.test")
    assert all(seen(api, email) == {} for email in admins)
    # Held in no tenant: a tenant's upload of the same id is a policy of its own.
    acme = uploaded(api, "admin@acme.test", humana_file(("999", "HUM3", "Acme Client")))
    assert counts(acme) == (1, 1, 0, 0, 0)

    eve = {"id": "eve", "name": "Eve", "npn": "777", "email": "eve@b.test", "agency_id": "bolt"}
    assert not load_book({"agents": [eve]}).rejections

    bolts = seen(api, "admin@bolt.test")["HUM3"]
    assert (bolts["clientName"], bolts["agent"]) == ("Nobody Yet", {"id": "eve"})
    assert seen(api, "admin@acme.test")["HUM3"]["clientName"] == "Acme Client"
    again = uploaded(api, "admin@bolt.test", humana_file(("777", "HUM3", "Nobody Yet", "Pending")))
    assert counts(again) == (1, 0, 1, 0, 0)


def test_a_held_policy_stays_held_when_its_tenant_already_holds_that_id(
    tenants, humana_file, cli, load_book
):
    api = tenants
    cli("ingest", humana_file(("777", "HUM3", "Held Row")), "--as-of", "2026-11-24")
    own = uploaded(api, "admin@bolt.test", humana_file(("999", "HUM3", "Bolts Own")))
    assert counts(own) == (1, 1, 0, 0, 0)

    eve = {"id": "eve", "name": "Eve", "npn": "777", "email": "eve@b.test", "agency_id": "bolt"}
    assert not load_book({"agents": [eve]}).rejections

    bolt = seen(api, "admin@bolt.test")
    assert list(bolt) == ["HUM3"] and bolt["HUM3"]["clientName"] == "Bolts Own"


def test_an_agent_moved_to_another_tenant_takes_no_production_along(
    tenants, humana_file, load_book, cli, tmp_path
):
    api = tenants
    uploaded(api, "admin@bolt.test", humana_file(("400", "HUM1", "Rita Real")))
    dan = {
        "id": "dan",
        "name": "Dan",
        "npn": "400",
        "email": "dan@b.test",
        "agency_id": "acme-east",
    }
    assert not load_book({"agents": [dan]}).rejections

    # Bolt's policy no longer matches Dan: unmatched there, seen by Bolt's admins only.
    assert seen(api, "admin@bolt.test")["HUM1"]["agent"] is None
    for email in ("admin@acme.test", "admin@acme-east.test", "dan@b.test"):
        assert seen(api, email) == {}
        summary = api.gql("{ productionSummary(groupBy: [AGENT]) { submitted } }", as_=email)
        assert summary["productionSummary"] == []
    exported = tmp_path / "production.csv"
    result = cli("export", "production", "--as", "admin@bolt.test", "-o", exported)
    assert result.exit_code == 0, result.output
    header, row = exported.read_text(encoding="utf-8").splitlines()
    cells = dict(zip(header.split(","), row.split(","), strict=True))
    assert (cells["carrier_policy_id"], cells["agent_name"], cells["agency_name"]) == (
        "HUM1",
        "",
        "",
    )
