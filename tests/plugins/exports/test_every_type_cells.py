"""Every cell of every built-in type: PII is always masked, no text cell can run as a formula,
each kind of value is spelled one way, and on PostgreSQL the COPY writer (cells formatted in SQL)
writes the Python writer's very bytes."""

import csv
import io
import re

from sqlalchemy import select

from downline.core import db
from downline.core.models import Policy
from tests.plugins.exports.book import ADMIN, EAST, EVE, client, day
from tests.plugins.exports.catalogue import (
    AGENCY_TYPES,
    AGENT_TYPES,
    BOTH,
    PROGRAM_PARAMS,
    neutral,
)

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


MICROS = [0, 1, 100_000, 123_456, 120, 999_999]


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
            # No fraction, and fractions PostgreSQL prints shorter (.1, .00012): six digits here.
            submitted_at=f"2026-03-0{1 + n % 9}T0{n % 10}:30:0{n % 10}.{MICROS[n % 6]:06d}Z",
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
