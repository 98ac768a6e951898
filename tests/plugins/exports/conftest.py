"""Fixtures of the built-in export types' tests: the extended book loaded, a caller's export run
as a user runs it (`downline export TYPE --as EMAIL`), and the carrier samples ingested."""

import json
import uuid

import pytest

from tests.conftest import SAMPLES
from tests.plugins.exports.book import EAST, extra_book
from tests.plugins.exports.catalogue import Csv

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


@pytest.fixture
def books(book, load_book) -> dict:
    """BOOK and `extra_book`, loaded; returns both merged by kind."""
    extra = extra_book(book)
    report = load_book(extra)
    assert not report.rejections, report.rejections
    return {kind: [*book.get(kind, []), *extra.get(kind, [])] for kind in {*book, *extra}}


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
