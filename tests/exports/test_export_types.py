"""The built-in export types of the catalogue (exports.md), run as a user runs them: `downline
export TYPE --as EMAIL` on SQLite and PostgreSQL, over BOOK extended with what each type lists.

Each type: its header is the catalogue's required columns in order; it holds the expected rows in
the expected order; each caller gets its own scope; the other role is refused (FORBIDDEN).
List-backed types hold exactly the rows of their list query with the same filters. PII is always
masked, formulas never survive, cells are spelled one way, files are named as promised, and
`exportTypes` tells each role its types with their legend and parameters.
"""

import csv
import io
import json
import re
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from downline.core import db
from downline.core.models import Policy

SAMPLES = Path(__file__).parents[1] / "fixtures" / "carriers"
TODAY = datetime.now(UTC).date()

# The catalogue's required columns, verbatim from exports.md.
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
    "production": "carrier, carrier_policy_id, agent_npn, agent_name, agency_name, plan_id, plan_name, product_type, client_name, member_id, date_of_birth, county, state, status, term_reason, source_status, submitted_date, effective_date, term_date, updated_at",
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

ADMIN, EAST, OTHER = "admin@top.test", "admin@east.test", "admin@other.test"
EVE, DAN = "eve@t.test", "dan@t.test"


def day(offset: int) -> str:
    return (TODAY + timedelta(days=offset)).isoformat()


def client(book: dict, cid: str, agent: str, **fields) -> dict:
    """A client shaped like BOOK's, with its own id, name and nothing on any follow-up list."""
    record = dict(book["clients"][0])
    record.update(
        id=cid,
        agent_id=agent,
        first_name="Client",
        last_name=cid.upper(),
        email=f"{cid}@mail.test",
        application_id=f"APP-{cid}",
        intake_link=None,
        submitted_at="2026-02-20T10:00:00Z",
    )
    record.update(fields)
    return record


def aor(since: str | None, npn: str) -> dict:
    return {"reason": "AOR changed at the Marketplace", "since": since, "current_agent_npn": npn}


def invalid(error_at: str, link: str | None, resumed: bool | None) -> dict:
    return {
        "error_at": error_at,
        "resume_link": link,
        "resumed": resumed,
        "three_way_call_completed": False,
    }


def dmi(due: str | None, status: str = "open") -> dict:
    return {"type": "income", "due_date": due, "status": status}


def follow_up(type_: str, due: str | None, note: str | None = None, done: bool = False) -> dict:
    return {"type": type_, "due_date": due, "note": note, "done": done}


def eap(pid: str, agent: str, client_id: str, consent: bool | None, at: str, amount=25) -> dict:
    return {
        "id": pid,
        "kind": "eap",
        "agent_id": agent,
        "client_id": client_id,
        "amount": amount,
        "consent_uploaded": consent,
        "submitted_at": at,
    }


def program(pid: str, agent: str, paid_at: str, client_id: str | None = None, amount=25) -> dict:
    return {
        "id": pid,
        "kind": "program",
        "agent_id": agent,
        "client_id": client_id,
        "amount": amount,
        "program": "Spring bonus",
        "paid_at": paid_at,
    }


def extra_book(book: dict) -> dict:
    """What the catalogue's other types list, on BOOK's agents (and Eli, Eve's colleague in East)."""
    boundary = two_months_before_(TODAY)
    c = lambda cid, agent, **fields: client(book, cid, agent, **fields)  # noqa: E731
    clients = [
        # AOR at risk: r1 moved to Eli (same agency as Eve: an internal transfer).
        c("r1", "a-east", aor_at_risk=aor(day(-10), "210")),
        c("r2", "a-east", aor_at_risk=aor(day(-20), "500")),
        c("r3", "a-deep", aor_at_risk=aor(day(-30), "200")),
        c("r4", "a-east", aor_at_risk=aor(None, "999") | {"reason": None}),
        # EDE permission lost.
        c(
            "e1",
            "a-east",
            ede_permission_lost_at="2026-03-05T10:00:00Z",
            last_synced_at="2026-03-01T00:00:00Z",
        ),
        c("e2", "a-deep", ede_permission_lost_at="2026-03-10T05:00:00-05:00"),
        c("e3", "a-east", ede_permission_lost_at="2026-03-05T10:00:00Z"),
        # Invalid Action errors (BOOK's c6, in West, is another).
        c(
            "i1",
            "a-east",
            invalid_action=invalid("2026-02-01T08:00:00Z", "https://resume.test/i1", None),
        ),
        c("i2", "a-deep", invalid_action=invalid("2026-02-10T08:00:00Z", None, False)),
        # DMIs and SVIs around the two-months-before-today boundary.
        c(
            "v1",
            "a-east",
            dmis=[dmi(day(-70)), dmi(day(-30)), dmi(day(30), "submitted"), dmi(None)],
            svis=[{"type": "loss of coverage", "due_date": day(0), "status": "open"}],
        ),
        c(
            "v2",
            "a-deep",
            dmis=[dmi(str(boundary)), dmi(str(boundary - timedelta(days=1))), dmi(day(-30))],
        ),
        # Follow-ups: done ones and archived clients' are not listed.
        c(
            "f1",
            "a-east",
            follow_ups=[
                follow_up("call", day(5), "=1+1 ask for docs"),
                follow_up("email", day(-1), done=True),
                follow_up("docs", None),
            ],
        ),
        c("f2", "a-deep", follow_ups=[follow_up("call", day(5), "x")]),
        c("f3", "a-deep", archived=True, follow_ups=[follow_up("call", day(1))]),
        # PII absent; an intake link; a timestamp given with an offset.
        c(
            "m1",
            "a-east",
            ssn=None,
            date_of_birth=None,
            household_income=None,
            intake_link="https://intake.test/m1?é=1",
            submitted_at="2026-03-04T05:00:00-05:00",
        ),
        c("t1", "a-other", intake_link="https://intake.test/t1"),
    ]
    payouts = [
        eap("p1", "a-east", "c2", False, "2026-03-02T12:00:00Z"),
        eap("p2", "a-deep", "c4", None, "2026-03-01T12:00:00Z", amount=12.5),
        eap("p3", "a-east", "c3", True, "2026-03-01T10:00:00Z"),
        eap("p4", "a-other", "c7", False, "2026-03-01T10:00:00Z"),
        program("q1", "a-top", "2026-03-01T00:00:00Z", amount=100.5),
        program("q2", "a-top", "2026-03-31T23:59:59Z", client_id="c1"),
        program("q3", "a-top", "2026-04-01T00:00:00Z"),
        program("q4", "a-east", "2026-03-15T00:00:00Z", client_id="c2"),
        program("q5", "a-top", "2026-02-28T23:59:59Z"),
        program("q6", "a-other", "2026-03-15T00:00:00Z"),
    ]
    eli = {
        "id": "a-east2",
        "name": "Eli East",
        "npn": "210",
        "email": "eli@t.test",
        "agency_id": "east",
    }
    return {"agents": [eli], "clients": clients, "payouts": payouts}


def two_months_before_(d: date) -> date:
    """An independent spelling of "two months before", the day clamped to the month's length."""
    months = d.year * 12 + d.month - 1 - 2
    year, month = divmod(months, 12)
    first_of_next = date(year + (month == 11), (month + 1) % 12 + 1, 1)
    return date(year, month + 1, min(d.day, (first_of_next - timedelta(days=1)).day))


@pytest.fixture
def books(book, load_book) -> dict:
    """BOOK and `extra_book`, loaded; returns both merged by kind."""
    extra = extra_book(book)
    report = load_book(extra)
    assert not report.rejections, report.rejections
    return {kind: [*book.get(kind, []), *extra.get(kind, [])] for kind in {*book, *extra}}


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


@pytest.fixture
def export(cli, tmp_path):
    """Runs `downline export TYPE --as EMAIL --param k=v -o FILE` and reads the file back."""

    def run(type_: str, email: str, **params) -> Csv:
        out = tmp_path / f"{type_}-{uuid.uuid4().hex[:8]}.csv"
        args = ["export", type_, "--as", email, "-o", out]
        for name, value in params.items():
            args += ["--param", f"{name}={json.dumps(value)}"]
        result = cli(*args)
        assert result.exit_code == 0, result.output
        return Csv(out.read_bytes())

    return run


def ids(file: Csv) -> list[str]:
    return [row[0] for row in file.body]


def assert_catalogue_header(file: Csv, type_: str) -> None:
    assert file.header == CATALOGUE[type_]


# --- every type: each role refused the others' types ----------------------------------------


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


# --- production -----------------------------------------------------------------------------

# The agents holding the samples' NPNs 18000001-4 (18000005-7 match no agent).
PRODUCTION_AGENTS = {
    "agents": [
        {
            "id": f"n{n}",
            "name": name,
            "npn": f"1800000{n}",
            "email": f"n{n}@t.test",
            "agency_id": agency,
        }
        for n, name, agency in (
            (1, "Nora One", "top"),
            (2, "Ned Two", "east"),
            (3, "Nia Three", "east-south"),
            (4, "Nat Four", "other"),
        )
    ],
    "users": [{"email": "n2@t.test", "role": "agent", "agent_id": "n2"}],
}


def expected_policies(carrier: str) -> list[dict]:
    return json.loads(
        (SAMPLES / "expected" / f"{carrier}-2026-11-24.json").read_text(encoding="utf-8")
    )["records"]


@pytest.fixture
def production(books, load_book, cli) -> dict[str, list[dict]]:
    """Humana's sample ingested by the operator (unmatched NPNs then belong to nobody's agency)
    and Aetna's by East's admin (East's agents' rows, and unmatched ones owned by East)."""
    report = load_book(PRODUCTION_AGENTS)
    assert not report.rejections, report.rejections
    for sample, who in (("humana", []), ("aetna", ["--as", EAST])):
        result = cli("ingest", SAMPLES / f"{sample}-2026-11-24.csv", "--as-of", "2026-11-24", *who)
        assert result.exit_code == 0, result.output
    return {"humana": expected_policies("humana"), "aetna": expected_policies("aetna")}


# --- masking, formulas, formats, file name ---------------------------------------------------

MASKS = {"ssn": "***-**-****", "date_of_birth": "**/**/****", "household_income": "*****"}


def test_pii_is_always_the_mask_or_empty_and_never_the_value(production, export):
    files = {
        "clients": export("clients", EVE),
        "enrollments": export("enrollments", ADMIN, includeUnsubmitted=True, includeArchived=True),
    }
    for type_, file in files.items():
        rows = file.by("client_id")
        assert (
            rows["m1"]["ssn"] == rows["m1"]["date_of_birth"] == rows["m1"]["household_income"] == ""
        ), type_
        for cid, row in rows.items():
            if cid != "m1":
                assert {name: row[name] for name in MASKS} == MASKS, (type_, cid)
    files["production"] = export("production", ADMIN)
    assert set(files["production"].column("date_of_birth")) == {"**/**/****"}
    with db.session() as session:
        births = [b for b in session.scalars(select(Policy.date_of_birth)) if b]
    assert births
    files |= {
        key: export(key, ADMIN, **(PROGRAM_PARAMS if key == "payouts_program_report" else {}))
        for key in AGENCY_TYPES - set(files)
    }
    files |= {key: export(key, EVE) for key in AGENT_TYPES - set(files) - BOTH}
    secrets = ["123-45-6789", "6789", "1960-04-02", "04/02/1960", "42000"]
    births = [*(b.isoformat() for b in births), *(b.strftime("%m/%d/%Y") for b in births)]
    for type_, file in files.items():
        for secret in births if type_ == "production" else secrets:
            assert secret not in file.text, (type_, secret)


DANGEROUS = [
    '=HYPERLINK("http://evil.test","click")',
    "+1+1",
    "-2+3",
    "@SUM(1)",
    "\t=1",
    "\r=1",
    "\n=1",
    "=cmd|' /C calc'!A0",
]
HARMLESS = [
    'say "hi", ok',
    "line one\r\nline two",
    "a\nb",
    "Café é",
    "中文",
    "😀 emoji",
    "O'Neil; x",
    "1+1",
    "a=b",
]


def neutral(value: str) -> str:
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r", "\n") else value


def test_no_text_cell_can_run_as_a_formula_and_every_other_value_survives(books, export, load_book):
    corpus = DANGEROUS + HARMLESS
    text_fields = (
        "first_name",
        "last_name",
        "email",
        "phone",
        "county",
        "zip",
        "application_id",
        "carrier",
        "plan_name",
        "plan_hios_id",
        "metal_level",
    )
    lead_fields = ("first_name", "last_name", "email", "phone", "zip", "source")
    clients = [
        client(
            books,
            f"x{n}",
            "a-east",
            **dict.fromkeys(text_fields, value),
            intake_link=value,
            follow_ups=[{"type": value, "due_date": day(3), "note": value, "done": False}],
        )
        for n, value in enumerate(corpus)
    ]
    leads = [
        {
            "id": f"y{n}",
            "agent_id": "a-east",
            **dict.fromkeys(lead_fields, value),
            "state": "FL",
            "status": "new",
            "created_at": "2026-03-01T00:00:00Z",
            "notes": value,
        }
        for n, value in enumerate(corpus)
    ]
    report = load_book({"clients": clients, "leads": leads})
    assert not report.rejections, report.rejections
    checks = [
        (export("clients", EVE), "client_id", "x", text_fields),
        (export("enrollments", ADMIN), "client_id", "x", text_fields),
        (export("leads", EVE), "lead_id", "y", lead_fields),
        (
            export("intake", EAST),
            "client_id",
            "x",
            ("first_name", "last_name", "email", "phone", "intake_link"),
        ),
        (
            export("client_follow_ups", EVE),
            "client_id",
            "x",
            ("first_name", "phone", "follow_up_type", "note"),
        ),
    ]
    for file, key, prefix, fields in checks:
        rows = {k: v for k, v in file.by(key).items() if k.startswith(prefix)}
        assert len(rows) == len(corpus)
        for n, value in enumerate(corpus):
            row = rows[f"{prefix}{n}"]
            for field in fields:
                assert row[field] == neutral(value), (key, field, value, row[field])
        for row in file.body:
            assert not any(c[:1] in ("=", "+", "-", "@", "\t", "\r", "\n") for c in row), row
        # RFC 4180: re-writing what was read, with CRLF line ends, gives back the very bytes.
        again = io.StringIO(newline="")
        csv.writer(again, lineterminator="\r\n").writerows(file.rows)
        assert again.getvalue().encode("utf-8") == file.raw
        assert file.raw.endswith(b"\r\n") and file.raw.split(b"\r\n", 1)[0].decode() == ",".join(
            file.header
        )
    # Numbers, money and dates stay plain values even next to such text.
    row = export("clients", EVE).by("client_id")["x0"]
    assert (row["plan_year"], row["members"], row["premium"], row["effective_date"]) == (
        "2026",
        "1",
        "400.00",
        "2026-01-01",
    )


def test_cells_have_one_spelling_per_kind(books, export, load_book):
    report = load_book(
        {
            "clients": [
                client(
                    books,
                    "k1",
                    "a-east",
                    premium=99.9,
                    aptc=120,
                    members=3,
                    submitted_at="2026-03-03T23:30:00-02:00",
                    effective_date="2026-04-01",
                )
            ]
        }
    )
    assert not report.rejections, report.rejections
    rows = export("clients", EVE).by("client_id")
    assert (rows["c2"]["premium"], rows["c2"]["aptc"], rows["c2"]["net_premium"]) == (
        "400.00",
        "350.00",
        "50.00",
    )
    assert (rows["k1"]["premium"], rows["k1"]["aptc"], rows["k1"]["net_premium"]) == (
        "99.90",
        "120.00",
        "0.00",
    )
    assert rows["k1"]["submitted_at"] == "2026-03-04T01:30:00+00:00"
    assert (rows["k1"]["effective_date"], rows["k1"]["members"], rows["k1"]["exchange"]) == (
        "2026-04-01",
        "3",
        "on_ex",
    )
    assert rows["m1"]["submitted_at"] == "2026-03-04T10:00:00+00:00"
    assert rows["c2"]["application_status"] == "submitted"
    flags = export("invalid_action_tracker", ADMIN)
    assert set(flags.column("resumed")) | set(flags.column("three_way_call_completed")) <= {
        "Yes",
        "No",
    }
    roster = export("agent_roster", ADMIN)
    assert set(roster.column("exports_allowed")) == {"Yes", "No"}
    for file, column in (
        (export("client_follow_ups", ADMIN), "due_date"),
        (export("aor_at_risk", ADMIN), "at_risk_since"),
    ):
        assert all(re.fullmatch(r"\d{4}-\d\d-\d\d", v) for v in file.column(column) if v)
    money = export("payouts_program_report", ADMIN, **PROGRAM_PARAMS).column("amount")
    assert money == ["100.50", "25.00"]


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


# --- the catalogue in the API ----------------------------------------------------------------

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
        }
    )
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
        "payouts_program_report",
    }
    assert all(params(admin.get(k) or agent[k]) == {} for k in others)


# --- the two writers: COPY on PostgreSQL, Python elsewhere, the same bytes ------------------

EDGES = [
    "",
    " leading and trailing ",
    "\\.",
    '"',
    ",",
    "-5",
    "tab\tinside",
    "ends with newline\n",
    "\r\n",
]


def both_writers(export_type, email: str, params: dict) -> tuple[bool, bytes, bytes]:
    """(whether COPY can write it, the COPY writer's bytes, the Python writer's bytes)."""
    from downline.core.book.scope import load_principal
    from downline.core.exports import copy as export_copy
    from downline.core.exports import run as exporting
    from downline.core.exports.params import validate

    outputs = []
    with db.session() as session:
        principal = load_principal(session, email)
        query = exporting.export_query(
            session, export_type, principal, validate(export_type, params)
        )
        fits = export_copy.fits(session, query, export_type.columns)
        writers = (export_copy.write, exporting.write_rows) if fits else ()
        for writer in writers:
            out = io.BytesIO()
            assert writer(session, query, export_type.columns, out, lambda _: None) >= 0
            outputs.append(out.getvalue())
            session.rollback()  # SET LOCAL TimeZone stays with the COPY's transaction
    return (fits, *outputs) if fits else (False, b"", b"")


def test_copy_writes_the_python_writers_very_bytes_for_every_type(
    books, production, load_book, database
):
    """On PostgreSQL every built-in type is written by COPY, with cells formatted in SQL; its
    file is the Python writer's byte for byte, over the formula corpus and edge values. On
    SQLite, COPY is never attempted."""
    from downline.core import plugins

    corpus = DANGEROUS + HARMLESS + EDGES
    text_fields = ("first_name", "last_name", "email", "phone", "county", "application_id")
    clients = [
        client(
            books,
            f"z{n}",
            "a-east" if n % 2 else "a-deep",
            **dict.fromkeys(text_fields, value or "x"),
            premium=[0, 99.99, 1234567.1, 0.01][n % 4],
            aptc=[None, 1, 2.5, 0][n % 4],
            members=n,
            submitted_at=f"2026-03-0{1 + n % 9}T0{n % 10}:30:0{n % 10}.{n:06d}Z",
            intake_link=value or None,
            follow_ups=[{"type": value or "x", "due_date": day(3), "note": value, "done": False}],
        )
        for n, value in enumerate(corpus)
    ]
    report = load_book({"clients": clients})
    assert not report.rejections, report.rejections
    types = plugins.installed_export_types()
    postgres = database.startswith("postgresql")
    compared = 0
    for key, export_type in types.items():
        emails = [ADMIN] * (key in AGENCY_TYPES) + [EVE] * (key in AGENT_TYPES)
        for email in emails:
            params = PROGRAM_PARAMS if key == "payouts_program_report" else {}
            fits, by_copy, by_python = both_writers(export_type, email, params)
            assert fits == postgres, (key, email)
            assert by_copy == by_python, (key, email)
            compared += bool(by_copy)
    assert compared >= (20 if postgres else 0)
