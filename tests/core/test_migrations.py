"""The migrations make exactly the schema the models describe, plus the keyset indexes that
only migrations spell (per dialect), on SQLite and PostgreSQL; and those that move data move it
right (each tested from a database populated at the revision before)."""

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from downline.core import db, migrate
from tests.conftest import PG_ADMIN_URL, unavailable

KEYSET_INDEXES = {
    "client": {"ix_client_order", "ix_client_agent_order"},
    "policy": {"ix_policy_order"},
}


def include(obj, name, type_, reflected, compare_to) -> bool:
    return not (type_ == "index" and reflected and compare_to is None)


def test_migrated_schema_matches_the_models(database):
    with db.get_engine().connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"include_object": include, "compare_type": True}
        )
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def test_keyset_indexes_exist(database):
    inspector = sa.inspect(db.get_engine())
    for table, names in KEYSET_INDEXES.items():
        assert names <= {i["name"] for i in inspector.get_indexes(table)}, table


def test_a_clients_count_reads_the_agent_index_alone(database, load_book):
    """The Clients page's totalCount and an export's rowsTotal count the list as it is by
    default: every column they test is in ix_client_agent_order, so the table itself is never
    read (a 109,000-client count read 160,000 of its pages before 0012)."""
    from downline.core.book import paging
    from downline.core.book.clients import clients_query
    from downline.core.book.filters import ClientFilter
    from tests.conftest import BOOK

    assert not load_book(BOOK).rejections
    engine = db.get_engine()
    query = clients_query(_principal("admin@top.test"), ClientFilter())
    sql = str(paging.counted(query).compile(engine, compile_kwargs={"literal_binds": True}))
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            plan = " ".join(row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))
            assert "USING COVERING INDEX ix_client_agent_order" in plan, plan
        else:
            # On a table this small a scan of the whole table costs least: forbid it, and the
            # plan left shows whether the index covers the count.
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            conn.exec_driver_sql("SET LOCAL enable_bitmapscan = off")
            plan = "\n".join(conn.exec_driver_sql(f"EXPLAIN {sql}").scalars())
            assert "Index Only Scan using ix_client_agent_order on client" in plan, plan


def test_the_agent_index_holds_every_column_the_usual_filters_test(database, load_book):
    """On one exchange, or in some states (an enrollments export is on one exchange by default):
    the count could still be answered from the index, whichever plan a database picks."""
    from sqlalchemy.sql import visitors

    from downline.core.book.clients import clients_query
    from downline.core.book.filters import ClientFilter, Exchange
    from downline.core.models import Client
    from tests.conftest import BOOK

    assert not load_book(BOOK).rejections
    [index] = [
        i
        for i in sa.inspect(db.get_engine()).get_indexes("client")
        if i["name"] == "ix_client_agent_order"
    ]
    included = index.get("dialect_options", {}).get("postgresql_include", ())
    held = {*index["column_names"], *included}
    f = ClientFilter(exchange=Exchange.ON_EX, states=["TX"])
    query = clients_query(_principal("admin@top.test"), f)
    tested = {
        c.name
        for c in visitors.iterate(query.whereclause)
        if isinstance(c, sa.Column) and c.table is Client.__table__
    }
    assert tested and tested <= held, tested - held


def _principal(email: str):
    from downline.core.book.scope import load_principal

    with db.session() as session:
        return load_principal(session, email)


def test_exports_made_before_0006_take_their_requesters_standing_where_it_still_fits(
    database, load_book
):
    """An export of a requester whose role no longer matches the export's scope, or who is gone,
    gets no place (and so stays hidden); the others take the requester's standing now."""
    from alembic import command

    from downline.core import migrate
    from tests.conftest import BOOK

    assert not load_book(BOOK).rejections
    export = sa.table(
        "export",
        *(sa.column(name) for name in ("id", "type", "scope", "params", "requester_email")),
        *(sa.column(name) for name in ("status", "rows_written", "requested_at", "attempts")),
    )
    made_by = {
        "agent-export": ("AGENT", "eve@t.test"),
        "agency-export": ("AGENCY", "admin@east.test"),
        "agent-export-of-an-admin-now": ("AGENT", "admin@top.test"),
        "export-of-a-removed-user": ("AGENCY", "gone@t.test"),
    }
    config = migrate.alembic_config()
    command.downgrade(config, "0004")
    try:
        with db.get_engine().begin() as conn:
            conn.execute(
                export.insert(),
                [
                    {
                        "id": export_id,
                        "type": "clients",
                        "scope": scope,
                        "params": "{}",
                        "requester_email": email,
                        "status": "SUCCEEDED",
                        "rows_written": 0,
                        "requested_at": datetime(2026, 3, 1, tzinfo=UTC),
                        "attempts": 1,
                    }
                    for export_id, (scope, email) in made_by.items()
                ],
            )
    finally:
        command.upgrade(config, "head")

    with db.get_engine().connect() as conn:
        places = conn.execute(
            sa.text(
                "SELECT id, requester_agent_id, requester_agency_id, request_base_url FROM export"
            )
        )
        assert {row.id: tuple(row[1:]) for row in places} == {
            "agent-export": ("a-east", None, None),
            "agency-export": (None, "east", None),
            "agent-export-of-an-admin-now": (None, None, None),
            "export-of-a-removed-user": (None, None, None),
        }


# ---- 0005: policies move into their tenants ------------------------------------------------

AGENCIES = {"acme": None, "acme-east": "acme", "bolt": None, "bolt-sub": "bolt"}
CLOSURE = [(a, a, 0) for a in AGENCIES] + [("acme", "acme-east", 1), ("bolt", "bolt-sub", 1)]
AGENTS = {"ann": ("100", "acme-east"), "dan": ("400", "bolt")}
REPORTS = {"r-acme": "acme-east", "r-operator": None}
# id: (agent NPN, owner agency, report) -> the tenant 0005 gives it
POLICIES = {
    "p-matched": (("100", "bolt-sub", None), "acme"),  # its agent's tenant, whoever owns it
    "p-owned": (("999", "bolt-sub", "r-acme"), "bolt"),  # no agent: the owner's
    "p-reported": (("999", None, "r-acme"), "acme"),  # no owner: the report's uploader's
    "p-operator": (("999", None, "r-operator"), ""),  # the operator's, no agent: held
    "p-demo": (("400", None, None), "bolt"),
    "p-nobody": (("998", None, None), ""),
}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def unmigrated(request, tmp_path) -> Iterator[sa.Engine]:
    """An engine on a database (or, on PostgreSQL, a schema) of its own with no tables yet."""
    if request.param == "sqlite":
        engine = sa.create_engine(f"sqlite:///{tmp_path / 'migrations.db'}")
        yield engine
        engine.dispose()
        return
    # A schema of its own, not a database: dropping a database makes PostgreSQL checkpoint at
    # once, which took 32 s while the fault tests beside it were writing.
    name = f"downline_migrations_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(
        PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
    )
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any failure to reach PostgreSQL means "not here"
        unavailable("PostgreSQL", str(exc).splitlines()[0])
    engine = sa.create_engine(PG_ADMIN_URL, connect_args={"options": f"-c search_path={name}"})
    yield engine
    engine.dispose()
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{name}" CASCADE'))
    admin.dispose()


def to_revision(engine: sa.Engine, revision: str, *, down: bool = False) -> None:
    with engine.begin() as conn:
        config = migrate.alembic_config()
        config.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(config, revision)


def book_at_0004(conn) -> None:
    """The hierarchy, reports and policies above, written as 0004 stored them."""
    now = datetime(2026, 11, 1, tzinfo=UTC)

    def insert(table: str, **row) -> None:
        names = ", ".join(row)
        conn.execute(sa.text(f"INSERT INTO {table} ({names}) VALUES (:{', :'.join(row)})"), row)

    for agency, parent in AGENCIES.items():
        insert("agency", id=agency, name=agency, parent_id=parent, created_at=now,
               exports_allowed_for_agents=True)  # fmt: skip
    for ancestor, descendant, depth in CLOSURE:
        insert("agency_closure", ancestor_id=ancestor, descendant_id=descendant, depth=depth)
    for agent, (npn, agency) in AGENTS.items():
        insert("agent", id=agent, name=agent, npn=npn, agency_id=agency, created_at=now)
    for report, uploader in REPORTS.items():
        insert("carrier_report", id=report, filename="f.csv", storage_key="k", as_of=now.date(),
               status="SUCCEEDED", uploader_agency_id=uploader, rows_read=0, rows_inserted=0,
               rows_updated=0, rows_unchanged=0, rows_rejected=0, unmatched_npns="[]",
               uploaded_at=now, attempts=1)  # fmt: skip
    for policy, ((npn, owner, report), _tenant) in POLICIES.items():
        insert("policy", id=policy, carrier="humana", carrier_policy_id=f"HUM-{policy}",
               agent_npn=npn, owner_agency_id=owner, product_type="MAPD", client_name="C",
               status="ACTIVE", first_seen_at=now, updated_at=now, report_id=report)  # fmt: skip


def test_0005_moves_every_policy_into_its_tenant(unmigrated):
    to_revision(unmigrated, "0004")
    with unmigrated.begin() as conn:
        book_at_0004(conn)

    to_revision(unmigrated, "head")

    with unmigrated.connect() as conn:
        tenants = dict(conn.execute(sa.text("SELECT id, tenant_id FROM policy")).all())
    assert tenants == {policy: tenant for policy, (_row, tenant) in POLICIES.items()}
    indexes = {i["name"]: i for i in sa.inspect(unmigrated).get_indexes("policy")}
    assert indexes["ix_policy_order"]["column_names"][0] == "tenant_id"


def test_0005_keys_policies_by_tenant_and_downgrades_only_while_no_id_is_shared(unmigrated):
    to_revision(unmigrated, "0004")
    with unmigrated.begin() as conn:
        book_at_0004(conn)
    to_revision(unmigrated, "head")
    copy = (
        "INSERT INTO policy (id, tenant_id, carrier, carrier_policy_id, agent_npn, product_type,"
        " client_name, status, first_seen_at, updated_at, last_seen_as_of)"
        " SELECT :id, :tenant, carrier, carrier_policy_id, agent_npn, product_type, client_name,"
        " status, first_seen_at, updated_at, last_seen_as_of FROM policy WHERE id = 'p-matched'"
    )
    with unmigrated.begin() as conn:  # Bolt may hold Acme's policy id, once
        conn.execute(sa.text(copy), {"id": "p-bolt", "tenant": "bolt"})
    with pytest.raises(sa.exc.IntegrityError), unmigrated.begin() as conn:
        conn.execute(sa.text(copy), {"id": "p-again", "tenant": "acme"})

    # Down to 0005 first: the refusal below is 0005's own (SQLite cannot roll back the batch
    # table rebuild of a later revision's downgrade in the same run).
    to_revision(unmigrated, "0005", down=True)
    with pytest.raises(RuntimeError, match="policy 'HUM-p-matched' of humana is held by more"):
        to_revision(unmigrated, "0004", down=True)
    with unmigrated.begin() as conn:
        conn.execute(sa.text("DELETE FROM policy WHERE id = 'p-bolt'"))
    to_revision(unmigrated, "0004", down=True)

    inspector = sa.inspect(unmigrated)
    assert "tenant_id" not in {c["name"] for c in inspector.get_columns("policy")}
    keys = {u["name"]: u["column_names"] for u in inspector.get_unique_constraints("policy")}
    assert keys["uq_policy_natural_key"] == ["carrier", "carrier_policy_id"]


# ---- 0007: each policy's last sighting -----------------------------------------------------

# id: (the report that last wrote it, when it last changed) -> the as-of date 0007 gives it
SIGHTINGS = {
    "p-reported": (("r-october", "2026-11-20T23:30:00+00:00"), "2026-10-15"),
    "p-no-report": ((None, "2026-11-20T23:30:00+00:00"), "2026-11-20"),  # its UTC day
    "p-report-gone": (("r-gone", "2026-11-21T01:00:00+00:00"), "2026-11-21"),
}


def test_0007_dates_each_policy_by_the_report_that_wrote_it_else_by_its_last_change(unmigrated):
    to_revision(unmigrated, "0006")
    with unmigrated.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO carrier_report (id, filename, storage_key, as_of, status,"
                " rows_read, rows_inserted, rows_updated, rows_unchanged, rows_rejected,"
                " unmatched_npns, uploaded_at, attempts) VALUES ('r-october', 'f.csv', 'k',"
                " '2026-10-15', 'SUCCEEDED', 0, 0, 0, 0, 0, '[]', :at, 1)"
            ),
            {"at": datetime(2026, 11, 20, tzinfo=UTC)},
        )
        for policy, ((report, changed), _seen) in SIGHTINGS.items():
            conn.execute(
                sa.text(
                    "INSERT INTO policy (id, tenant_id, carrier, carrier_policy_id, agent_npn,"
                    " product_type, client_name, status, first_seen_at, updated_at, report_id)"
                    " VALUES (:id, '', 'humana', :id, '1', 'MAPD', 'C', 'ACTIVE', :at, :at,"
                    " :report)"
                ),
                {"id": policy, "at": datetime.fromisoformat(changed), "report": report},
            )

    to_revision(unmigrated, "head")

    with unmigrated.connect() as conn:
        seen = conn.execute(sa.text("SELECT id, last_seen_as_of FROM policy")).all()
    assert {policy: str(day) for policy, day in seen} == {
        policy: day for policy, (_row, day) in SIGHTINGS.items()
    }
    columns = {c["name"]: c for c in sa.inspect(unmigrated).get_columns("policy")}
    assert columns["last_seen_as_of"]["nullable"] is False

    to_revision(unmigrated, "0006", down=True)
    assert "last_seen_as_of" not in {
        c["name"] for c in sa.inspect(unmigrated).get_columns("policy")
    }
    indexes = {i["name"] for i in sa.inspect(unmigrated).get_indexes("policy")}
    assert "ix_policy_order" in indexes


# ---- 0008: the keys effectuation matches on -------------------------------------------------


def test_0008_fills_the_match_keys_of_existing_clients_and_policies(unmigrated):
    to_revision(unmigrated, "0004")
    with unmigrated.begin() as conn:
        book_at_0004(conn)
    to_revision(unmigrated, "0006")
    now = datetime(2026, 11, 1, tzinfo=UTC)
    with unmigrated.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO client (id, agent_id, first_name, last_name, state, exchange,"
                " carrier, application_status, archived, aor_at_risk,"
                " ia_three_way_call_completed, invalid_action, created_at)"
                " VALUES (:id, 'ann', 'Ana', :last, 'FL', 'on_ex', :carrier, 'submitted',"
                " false, false, false, false, :now)"
            ),
            [
                {"id": "c1", "last": "O'Brien-Núñez", "carrier": "Aetna CVS Health", "now": now},
                {"id": "c2", "last": "Lee", "carrier": None, "now": now},
            ],
        )
        conn.execute(sa.text("UPDATE policy SET client_name = 'Maria De La Cruz'"))

    to_revision(unmigrated, "head")

    with unmigrated.connect() as conn:
        clients = conn.execute(sa.text("SELECT id, last_name_key, carrier_name_key FROM client"))
        policies = conn.execute(sa.text("SELECT DISTINCT last_name_key FROM policy"))
        assert sorted(tuple(row) for row in clients) == [
            ("c1", "obriennunez", "aetnacvshealth"),
            ("c2", "lee", None),
        ]
        assert policies.scalars().all() == ["delacruz"]
    indexes = {i["name"] for i in sa.inspect(unmigrated).get_indexes("policy")}
    assert "ix_policy_person" in indexes


# ---- 0011: when a job's message was last sent -----------------------------------------------


def test_0011_gives_every_job_an_empty_sent_at_and_takes_it_away_again(unmigrated):
    to_revision(unmigrated, "0010")
    now = datetime(2026, 12, 1, tzinfo=UTC)
    with unmigrated.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO export (id, type, scope, params, requester_email, status,"
                " rows_written, requested_at, attempts) VALUES ('e1', 'clients', 'AGENT', '{}',"
                " 'eve@t.test', 'QUEUED', 0, :now, 0)"
            ),
            {"now": now},
        )
        conn.execute(
            sa.text(
                "INSERT INTO carrier_report (id, filename, storage_key, as_of, status,"
                " rows_read, rows_inserted, rows_updated, rows_unchanged, rows_rejected,"
                " unmatched_npns, uploaded_at, attempts) VALUES ('r1', 'f.csv', 'k',"
                " '2026-12-01', 'QUEUED', 0, 0, 0, 0, 0, '[]', :now, 0)"
            ),
            {"now": now},
        )

    to_revision(unmigrated, "head")

    with unmigrated.connect() as conn:
        for table, job in (("export", "e1"), ("carrier_report", "r1")):
            sent = conn.execute(sa.text(f"SELECT id, sent_at FROM {table}")).all()
            assert [tuple(row) for row in sent] == [(job, None)]

    to_revision(unmigrated, "0010", down=True)
    for table in ("export", "carrier_report"):
        assert "sent_at" not in {c["name"] for c in sa.inspect(unmigrated).get_columns(table)}
