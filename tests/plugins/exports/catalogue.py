"""What the catalogue promises of each built-in type (its required columns in order, the roles
that may request it), and an export file read back and held to those promises."""

import csv
import io

# The catalogue's required columns, in order.
CLIENT_COLUMNS = "client_id, first_name, last_name, email, phone, ssn, date_of_birth, household_income, state, county, zip, exchange, application_id, plan_year, carrier, plan_name, plan_hios_id, metal_level, premium, aptc, net_premium, members, application_status, submitted_at, effective_date, agent_name, agent_npn"
CATALOGUE = {
    "clients": CLIENT_COLUMNS,
    "enrollments": CLIENT_COLUMNS + ", agency_name, agency_npn",
    "leads": "lead_id, first_name, last_name, email, phone, state, zip, source, status, created_at, agent_name, agent_npn",
    "client_follow_ups": "client_id, first_name, last_name, phone, email, follow_up_type, due_date, note, agent_name, agent_npn",
    "aor_at_risk": "client_id, first_name, last_name, phone, email, application_id, carrier, plan_name, at_risk_reason, at_risk_since, current_agent_npn, agent_name, agent_npn",
    "ede_permission_lost": "client_id, first_name, last_name, application_id, plan_year, permission_lost_at, last_synced_at, agent_name, agent_npn",
    "invalid_action_tracker": "client_id, first_name, last_name, phone, email, application_id, error_at, resume_link, resumed, three_way_call_completed, agent_name, agent_npn",
    "dmi_follow_ups": "client_id, first_name, last_name, phone, email, application_id, dmi_type, due_date, dmi_status, agent_name, agent_npn",
    "svi_follow_ups": "client_id, first_name, last_name, phone, email, application_id, svi_type, due_date, svi_status, agent_name, agent_npn",
    "agent_roster": "agent_id, agent_name, agent_npn, email, phone, agency_name, agency_path, exports_allowed, clients_submitted, last_submitted_at, created_at",
    "payouts_awaiting_consent": "payout_id, client_id, first_name, last_name, application_id, submitted_at, amount, agent_name, agent_npn",
    "payouts_program_report": "payout_id, program, paid_at, amount, client_id, application_id, agent_name, agent_npn",
    "intake": "client_id, first_name, last_name, email, phone, intake_link, agent_name, agent_npn",
    "effectuation": "client_id, first_name, last_name, agent_name, agent_npn, carrier, carrier_key, plan_name, submitted_at, status, reason, policy_id, policy_status, policy_npn, effective_date, term_date, term_reason, guidance",
    "production": "carrier, carrier_policy_id, agent_npn, agent_name, agency_name, plan_id, plan_name, product_type, client_name, member_id, date_of_birth, county, state, status, term_reason, source_status, submitted_date, effective_date, term_date, updated_at, last_seen_as_of, term_reason_guidance",
}
CATALOGUE = {key: columns.split(", ") for key, columns in CATALOGUE.items()}
BOTH = {
    "client_follow_ups",
    "aor_at_risk",
    "ede_permission_lost",
    "invalid_action_tracker",
    "dmi_follow_ups",
    "svi_follow_ups",
    "production",
    "effectuation",
}
AGENT_TYPES = {"clients", "leads"} | BOTH
AGENCY_TYPES = {
    "enrollments",
    "agent_roster",
    "payouts_awaiting_consent",
    "payouts_program_report",
    "intake",
} | BOTH
PII = {"ssn", "date_of_birth", "household_income"}
PROGRAM_PARAMS = {"paidFrom": "2026-03-01", "paidTo": "2026-03-31"}


class Csv:
    """One export file, read back."""

    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        self.text = raw.decode("utf-8")
        self.rows = list(csv.reader(io.StringIO(self.text, newline="")))
        self.header, self.body = self.rows[0], self.rows[1:]

    def column(self, name: str) -> list[str]:
        i = self.header.index(name)
        return [row[i] for row in self.body]

    def dicts(self) -> list[dict[str, str]]:
        return [dict(zip(self.header, row, strict=True)) for row in self.body]

    def by(self, key: str) -> dict[str, dict[str, str]]:
        return {row[key]: row for row in self.dicts()}


def ids(file: Csv) -> list[str]:
    return [row[0] for row in file.body]


def assert_catalogue_header(file: Csv, type_: str) -> None:
    assert file.header == CATALOGUE[type_]


def assert_rows_for_each_caller(export, type_: str, expected: dict[str, list[str]]) -> None:
    """Each caller's file of `type_` has the catalogue's header and exactly the rows (first
    column) `expected` gives that caller, in that order."""
    for email, rows in expected.items():
        file = export(type_, email)
        assert_catalogue_header(file, type_)
        assert ids(file) == rows, (type_, email)


def neutral(value: str) -> str:
    """`value` as a text cell holds it: a leading quote before what a spreadsheet would run."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r", "\n") else value


# --- the list-backed types hold exactly the list's rows ------------------------------------

LIST = {
    "clients": "query($f: ClientFilter) { clients(filter: $f, first: 500) { totalCount edges { node { id } } } }",
    "leads": "query($f: LeadFilter) { leads(filter: $f, first: 500) { totalCount edges { node { id } } } }",
}

# The filters the clients list and the client-backed exports are compared under.
CLIENT_FILTERS = [
    {},
    {"includeUnsubmitted": True},
    {"includeArchived": True, "includeThreeWayCallResolved": True},
    {"submittedFrom": "2026-02-20", "submittedTo": "2026-03-02"},
    {"states": ["TX"], "includeArchived": True},
    {"search": "786"},
    {"search": "r"},
    {"exchange": "OFF_EX"},
    {"includeUnsubmitted": True, "submittedTo": "2026-01-01"},
]


def list_ids(api, type_: str, email: str, filter: dict) -> list[str]:
    """The ids the GraphQL list `type_` shows `email` with `filter`, in its order."""
    data = api.gql(LIST[type_], {"f": filter}, as_=email)[type_]
    assert data["totalCount"] == len(data["edges"])
    return [e["node"]["id"] for e in data["edges"]]
