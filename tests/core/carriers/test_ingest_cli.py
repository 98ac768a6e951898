"""`downline ingest`: the samples load, re-ingest changes nothing, a changed row moves only its
own updated_at, `--as` applies the user's book, a wrong file is rejected whole (exit 1)."""

import pytest
from sqlalchemy import select

from downline.core import db
from downline.core.models import Policy
from tests.conftest import SAMPLES

HUMANA = SAMPLES / "humana-2026-11-24.csv"


def policies() -> dict[str, Policy]:
    with db.session() as session:
        return {p.carrier_policy_id: p for p in session.scalars(select(Policy))}


@pytest.mark.parametrize("sample", sorted(p.name for p in SAMPLES.glob("*-2026-11-24.*")))
def test_every_sample_ingests_by_sniffing(database, cli, sample):
    result = cli("ingest", SAMPLES / sample, "--as-of", "2026-11-24")
    assert result.exit_code == 0, result.output
    carrier = sample.split("-")[0]
    assert f"SUCCEEDED (carrier: {carrier})" in result.output
    assert "rows read 12, inserted 12, updated 0, unchanged 0, rejected 0" in result.output
    assert "NPNs matching no agent: 18000001, 18000002" in result.output
    assert len(policies()) == 12


def test_reingesting_the_same_file_changes_nothing(production_book, cli):
    assert cli("ingest", HUMANA, "--as-of", "2026-11-24").exit_code == 0
    before = {k: (p.updated_at, p.status) for k, p in policies().items()}
    result = cli("ingest", HUMANA, "--as-of", "2026-11-24", "--carrier", "humana")
    assert "inserted 0, updated 0, unchanged 12, rejected 0" in result.output
    assert {k: (p.updated_at, p.status) for k, p in policies().items()} == before
    assert "NPNs matching no agent: 18000005, 18000006, 18000007" in result.output


def test_a_changed_row_moves_only_its_own_updated_at(production_book, cli, tmp_path):
    cli("ingest", HUMANA, "--as-of", "2026-11-24")
    before = policies()
    changed = tmp_path / "humana-later.csv"
    text = HUMANA.read_text(encoding="utf-8")
    # HUM493184650 terminates; HUM649971745 only gets a new member id (not a tracked field).
    text = text.replace(
        "03/01/2026,,Active,", "03/01/2026,11/30/2026,Inactive,Moved out of service area"
    )
    text = text.replace("5MP3JX62TC37", "5MP3JX62TC99")
    changed.write_text(text, encoding="utf-8")
    result = cli("ingest", changed, "--as-of", "2026-11-24")
    assert "inserted 0, updated 1, unchanged 11" in result.output
    after = policies()
    assert after["HUM493184650"].status == "POLICY_DISENROLLMENT"
    assert after["HUM493184650"].term_reason == "PLAN_EXIT"
    assert after["HUM493184650"].updated_at > before["HUM493184650"].updated_at
    assert after["HUM649971745"].member_id == "5MP3JX62TC99"
    assert after["HUM649971745"].updated_at == before["HUM649971745"].updated_at
    unchanged = set(after) - {"HUM493184650"}
    assert all(after[k].updated_at == before[k].updated_at for k in unchanged)


def test_the_last_row_of_a_policy_in_a_file_wins_and_counts_once(production_book, cli, tmp_path):
    lines = HUMANA.read_text(encoding="utf-8").splitlines()
    again = lines[1].replace(",Active,", ",Pending,")
    path = tmp_path / "humana-dup.csv"
    path.write_text("\n".join([*lines, again]) + "\n", encoding="utf-8")
    result = cli("ingest", path, "--as-of", "2026-11-24")
    assert "rows read 13, inserted 12, updated 0, unchanged 0, rejected 0" in result.output
    assert policies()["HUM493184650"].status == "APPROVED"


def test_bad_rows_are_rejected_with_their_line_and_good_rows_load(production_book, cli, tmp_path):
    lines = HUMANA.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].replace("08/01/2025", "13/45/2025")  # line 4: a bad effective date
    lines[5] = lines[5].replace("18000005", "12ab")  # line 6: a bad NPN
    path = tmp_path / "humana-bad.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = cli("ingest", path, "--as-of", "2026-11-24")
    assert result.exit_code == 0, result.output
    assert "rows read 12, inserted 10, updated 0, unchanged 0, rejected 2" in result.output
    assert "line 4: " in result.output and "Effective Date" in result.output
    assert "line 6: " in result.output
    assert len(policies()) == 10


def test_a_nul_byte_in_a_cell_rejects_its_row_and_the_others_load(production_book, cli, tmp_path):
    """Found by tests/fuzz: a NUL byte (which PostgreSQL cannot store) failed the whole report as
    an internal error."""
    lines = HUMANA.read_bytes().splitlines()
    lines[2] = lines[2].replace(b"HUM", b"HUM\x00", 1)  # line 3: in the policy id
    path = tmp_path / "humana-nul.csv"
    path.write_bytes(b"\n".join(lines) + b"\n")
    result = cli("ingest", path, "--as-of", "2026-11-24")
    assert result.exit_code == 0, result.output
    assert "rows read 12, inserted 11, updated 0, unchanged 0, rejected 1" in result.output
    assert "line 3: carrier_policy_id contains a NUL character" in result.output
    assert len(policies()) == 11


def test_a_nul_byte_quoted_in_a_rejection_is_spelled_out(production_book, cli, tmp_path):
    """Found by tests/fuzz: a rejection quoting a cell with a NUL byte could not be stored on
    PostgreSQL, and the whole report failed as an internal error."""
    lines = HUMANA.read_bytes().splitlines()
    lines[3] = lines[3].replace(b"08/01/2025", b"08/\x001/2025")  # line 4: a bad effective date
    path = tmp_path / "humana-nul-date.csv"
    path.write_bytes(b"\n".join(lines) + b"\n")
    result = cli("ingest", path, "--as-of", "2026-11-24")
    assert result.exit_code == 0, result.output
    assert "rows read 12, inserted 11, updated 0, unchanged 0, rejected 1" in result.output
    assert "line 4: " in result.output and "'08/\\x001/2025'" in result.output


def test_a_file_of_another_format_is_rejected_whole(production_book, cli, tmp_path):
    result = cli("ingest", SAMPLES / "aetna-2026-11-24.csv", "--carrier", "humana")
    assert result.exit_code == 1
    assert "FAILED" in result.output and "missing required column" in result.output
    assert policies() == {}


def test_an_unrecognisable_file_names_the_known_carriers(production_book, cli, tmp_path):
    path = tmp_path / "mystery.csv"
    path.write_text("a,b,c\n1,2,3\n")
    result = cli("ingest", path)
    assert result.exit_code == 1
    assert "known carriers: aetna, alignment" in result.output


def test_unknown_carrier_key_is_refused(production_book, cli):
    result = cli("ingest", HUMANA, "--carrier", "acme")
    assert result.exit_code == 1 and "unknown carrier 'acme'" in result.output


def test_as_an_agent_only_its_own_npn_or_unmatched_ones_load(production_book, cli):
    result = cli("ingest", HUMANA, "--as-of", "2026-11-24", "--as", "n2@t.test")
    assert result.exit_code == 0, result.output
    # NPNs 18000001, 3 and 4 belong to other agents: their 6 rows are refused by line.
    assert "inserted 6, updated 0, unchanged 0, rejected 6" in result.output
    assert "line 2: NPN 18000001 is outside your book" in result.output
    assert "line 5: NPN 18000004 is outside your book" in result.output
    assert {p.agent_npn for p in policies().values()} == {
        "18000002",
        "18000005",
        "18000006",
        "18000007",
    }


def test_as_a_sub_agency_admin_the_parents_agents_are_outside(production_book, cli):
    result = cli("ingest", HUMANA, "--as-of", "2026-11-24", "--as", "admin@east.test")
    assert "inserted 8, updated 0, unchanged 0, rejected 4" in result.output
    assert "NPN 18000001 is outside your book" in result.output


def test_carriers_lists_the_built_ins(database, cli):
    result = cli("carriers")
    assert result.exit_code == 0
    keys = [line.split()[0] for line in result.output.splitlines()]
    assert len(keys) == 17 and "humana" in keys and "memorial_hermann" in keys
    assert all(line.endswith(" built-in") for line in result.output.splitlines())
