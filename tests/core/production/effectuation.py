"""A book for the effectuation tests, and UnitedHealthcare reports written for it.

Top (agent Ann, NPN 100) has East (Eve, 200) with East South (Dan, 300) below it, and West
(Will, 400); Other (Olga, 500) is a tenant of its own. Clients are applications of plan year 2026
unless told otherwise; policies come in through `downline ingest` as UHC CSV reports.
"""

import csv
import io
from datetime import date

AGENTS = {
    "a-top": ("Ann Top", "100", "top"),
    "a-east": ("Eve East", "200", "east"),
    "a-deep": ("Dan Deep", "300", "east-south"),
    "a-west": ("Will West", "400", "west"),
    "a-other": ("Olga Other", "500", "other"),
}
HIERARCHY = {
    "agencies": [
        {"id": "top", "name": "Top Agency", "parent_id": None},
        {"id": "east", "name": "East", "parent_id": "top"},
        {"id": "east-south", "name": "East South", "parent_id": "east"},
        {"id": "west", "name": "West", "parent_id": "top"},
        {"id": "other", "name": "Other Agency", "parent_id": None},
    ],
    "agents": [
        {"id": aid, "name": name, "npn": npn, "email": f"{aid}@t.test", "agency_id": agency}
        for aid, (name, npn, agency) in AGENTS.items()
    ],
    "users": [
        {"email": "admin@top.test", "role": "agency_admin", "agency_id": "top"},
        {"email": "admin@east.test", "role": "agency_admin", "agency_id": "east"},
        {"email": "admin@other.test", "role": "agency_admin", "agency_id": "other"},
        {"email": "eve@t.test", "role": "agent", "agent_id": "a-east"},
        {"email": "dan@t.test", "role": "agent", "agent_id": "a-deep"},
    ],
}


def client(cid: str, agent: str, **extra) -> dict:
    """An application: submitted 2026-01-10, plan year 2026, UnitedHealthcare, born 1950-01-01
    in FL; `extra` overrides any field."""
    record = {
        "id": cid,
        "agent_id": agent,
        "first_name": "Ana",
        "last_name": cid.title(),
        "date_of_birth": "1950-01-01",
        "state": "FL",
        "exchange": "off_ex",
        "plan_year": 2026,
        "carrier": "UnitedHealthcare",
        "plan_name": "Giveback Select",
        "application_status": "submitted",
        "submitted_at": "2026-01-10T15:00:00Z",
    }
    record.update(extra)
    return record


UHC_HEADER = (
    "Writing Agent ID,Writing Agent NPN,Member Number,Member First Name,Member Last Name,"
    "Member DOB,Plan Code,Plan Description,Product,County,State,Submitted Date,"
    "Policy Effective Date,Policy Term Date,Policy Status,Term Reason"
)


def policy(pid: str, npn: str, last: str, **extra) -> dict:
    """A UHC row: active since 2026-02-01, born 1950-01-01 in FL; `extra` overrides (dates as
    YYYY-MM-DD, `status` and `reason` in UHC's words)."""
    row = {
        "npn": npn,
        "id": pid,
        "first": "Ana",
        "last": last,
        "dob": "1950-01-01",
        "state": "FL",
        "effective": "2026-02-01",
        "term": "",
        "status": "Active",
        "reason": "",
    }
    row.update(extra)
    return row


def _us(day: str) -> str:
    return date.fromisoformat(day).strftime("%m/%d/%Y") if day else ""


def uhc_report(rows: list[dict]) -> str:
    out = io.StringIO()
    out.write(UHC_HEADER + "\r\n")
    writer = csv.writer(out, lineterminator="\r\n")
    for r in rows:
        writer.writerow(
            [
                "x", r["npn"], r["id"], r["first"], r["last"], _us(r["dob"]), "H1234-001",
                "Giveback Select", "MAPD", "Miami-Dade", r["state"], "",
                _us(r["effective"]), _us(r["term"]), r["status"], r["reason"],
            ]
        )  # fmt: skip
    return out.getvalue()


def ingest(cli, tmp_path, rows: list[dict], as_of: str = "2026-04-01", name: str = "uhc.csv"):
    """`downline ingest` (the operator's) of a UHC report of `rows`."""
    path = tmp_path / name
    path.write_text(uhc_report(rows), encoding="utf-8")
    result = cli("ingest", path, "--carrier", "uhc", "--as-of", as_of)
    assert result.exit_code == 0 and "SUCCEEDED" in result.output, result.output
    return result
