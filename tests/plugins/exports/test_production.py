"""production: the carriers' merged production, exactly the rows of the production list under
the same filter, with the writing agent and its agency matched by NPN."""

import re

from downline.core.production.queries import GUIDANCE
from tests.conftest import SAMPLES
from tests.plugins.exports.book import ADMIN, EAST, OTHER
from tests.plugins.exports.catalogue import assert_catalogue_header, neutral

PRODUCTION_QUERY = "query($f: ProductionFilter) { production(filter: $f, first: 500) { totalCount edges { node { carrier carrierPolicyId } } } }"


def production_keys(api, email: str, filter: dict) -> list[tuple[str, str]]:
    data = api.gql(PRODUCTION_QUERY, {"f": filter}, as_=email)["production"]
    assert data["totalCount"] == len(data["edges"])
    return [(e["node"]["carrier"], e["node"]["carrierPolicyId"]) for e in data["edges"]]


def test_production_export_holds_exactly_the_production_list(production, api, export):
    filters = [
        {},
        {"carriers": ["aetna"]},
        {"statuses": ["ACTIVE", "APPROVED"]},
        {"productTypes": ["MAPD", "PDP"]},
        {"agencyIds": ["east"]},
        {"agentIds": ["n2"]},
        {"states": ["az"]},
        {"effectiveFrom": "2026-01-01", "effectiveTo": "2026-06-30"},
    ]
    for email in ("n2@t.test", ADMIN, EAST):
        for filter in filters:
            file = export("production", email, **filter)
            assert_catalogue_header(file, "production")
            keys = list(zip(file.column("carrier"), file.column("carrier_policy_id"), strict=True))
            assert keys == production_keys(api, email, filter), (email, filter)


def test_production_is_scoped_and_names_the_matched_agent_and_agency(production, export):
    humana, aetna = production["humana"], production["aetna"]

    def policies(records, *npns):
        return {r["carrier_policy_id"] for r in records if r["agent_npn"] in npns}

    unmatched = ("18000005", "18000006", "18000007")
    agent = export("production", "n2@t.test")
    assert set(agent.column("carrier_policy_id")) == policies(humana, "18000002") | policies(
        aetna, "18000002"
    )
    east = export("production", EAST)
    assert set(east.column("carrier_policy_id")) == policies(
        humana, "18000002", "18000003"
    ) | policies(aetna, "18000002", "18000003", *unmatched)
    top = export("production", ADMIN)
    # East's admin could not load Aetna's rows of Nora (Top) and Nat (Other): not in its book.
    assert set(top.column("carrier_policy_id")) == policies(
        humana, "18000001", "18000002", "18000003"
    ) | policies(aetna, "18000002", "18000003", *unmatched)
    other = export("production", OTHER)
    assert set(other.column("carrier_policy_id")) == policies(humana, "18000004")
    for row in top.dicts():
        expected = {
            "18000001": ("Nora One", "Top Agency"),
            "18000002": ("Ned Two", "East"),
            "18000003": ("Nia Three", "East South"),
        }.get(row["agent_npn"], ("", ""))
        assert (row["agent_name"], row["agency_name"]) == expected, row
    records = {r["carrier_policy_id"]: r for r in [*humana, *aetna]}
    for row in top.dicts():
        record = records[row["carrier_policy_id"]]
        for name in (
            "carrier",
            "agent_npn",
            "plan_id",
            "product_type",
            "client_name",
            "state",
            "status",
            "term_reason",
            "source_status",
            "effective_date",
            "term_date",
            "submitted_date",
        ):
            assert row[name] == neutral(record[name] or ""), (name, row)
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00", row["updated_at"])
        assert row["last_seen_as_of"] == "2026-11-24"  # both reports' as-of
        assert row["term_reason_guidance"] == GUIDANCE.get(record["term_reason"] or "", "")


def test_production_export_takes_the_freshness_filters(production, api, export, cli, tmp_path):
    """A later Humana report leaves two policies out and changes one: notSeenSince and
    updatedSince export what the list shows."""
    lines = (SAMPLES / "humana-2026-11-24.csv").read_text(encoding="utf-8").splitlines()
    kept = [line for line in lines if "HUM493184650" not in line and "HUM649971745" not in line]
    kept = [line.replace(",Pending,", ",Active,") for line in kept]
    later = tmp_path / "humana-later.csv"
    later.write_text("\n".join(kept) + "\n", encoding="utf-8")
    assert cli("ingest", later, "--as-of", "2026-12-08").exit_code == 0
    changed = api.gql("{ production(first: 1) { edges { node { updatedAt } } } }", as_=ADMIN)[
        "production"
    ]["edges"][0]["node"]["updatedAt"]
    for filter in ({"notSeenSince": "2026-12-08"}, {"updatedSince": changed}):
        file = export("production", ADMIN, **filter)
        keys = list(zip(file.column("carrier"), file.column("carrier_policy_id"), strict=True))
        assert keys == production_keys(api, ADMIN, filter), filter
        assert keys, filter
    file = export("production", ADMIN, notSeenSince="2026-12-08")
    assert set(file.column("last_seen_as_of")) == {"2026-11-24"}
