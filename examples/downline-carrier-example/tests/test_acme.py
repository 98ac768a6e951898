"""Acme Health's parser checked the way downline checks its own carriers.

The `carrier_conformance` and `carrier_sniff` fixtures come with downline (it installs the pytest
plugin `downline`): the first parses a sample report and compares it with the records, rejected
lines and unmatched NPNs an expected JSON file lists; the second checks that `downline ingest`
would recognise the sample as this carrier's among every installed one; `carrier_naming`, that an
application naming "Acme Health" is matched to this carrier and no other. Run with `pytest` in this
folder.
"""

from datetime import date
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from downline_carrier_acme import PARSER

from downline.plugins import FileRejected

HERE = Path(__file__).parent
SAMPLE = HERE / "acme-2026-11-24.csv"
EXPECTED = HERE / "expected" / "acme-2026-11-24.json"
OUR_AGENTS = {"18000001", "18000002", "18000003"}  # any other NPN is listed as unmatched


def test_the_sample_gives_the_expected_records(carrier_conformance):
    result = carrier_conformance(
        PARSER, SAMPLE, EXPECTED, as_of="2026-11-24", known_npns=OUR_AGENTS
    )
    assert [error.message for error in result.errors] == [
        "line 9: Effective '31.02.2026' is not a date (DD.MM.YYYY)"
    ]


def test_downline_ingest_recognises_the_sample_as_acme_among_every_carrier(carrier_sniff):
    carrier_sniff(PARSER, SAMPLE)


def test_applications_naming_acme_health_are_matched_to_it(carrier_naming):
    carrier_naming(PARSER)


def test_the_sample_sniffs_as_acme_and_a_stranger_file_does_not():
    assert PARSER.sniff(SAMPLE.read_bytes()[: 64 * 1024], "upload.csv") == 1.0
    assert PARSER.sniff(b"Name;Email\nAda;ada@example.com\n", "contacts.csv") == 0.0


def test_a_file_cut_short_is_rejected_whole(tmp_path):
    cut = tmp_path / "acme-cut.csv"
    cut.write_text("".join(SAMPLE.read_text("utf-8").splitlines(True)[:-1]), "utf-8")
    with cut.open("rb") as stream, pytest.raises(FileRejected, match="no trailer line"):
        list(PARSER.parse(stream, date(2026, 11, 24)))


def test_a_file_without_a_policy_number_column_is_rejected_whole(tmp_path):
    renamed = tmp_path / "acme-renamed.csv"
    renamed.write_text(SAMPLE.read_text("utf-8").replace("Policy No;", "Contract No;"), "utf-8")
    with renamed.open("rb") as stream, pytest.raises(FileRejected, match="'Policy No'"):
        list(PARSER.parse(stream, date(2026, 11, 24)))


def test_the_package_declares_the_downline_entry_point():
    plugins = {ep.name: ep.value for ep in entry_points(group="downline")}
    assert plugins.get("acme") == "downline_carrier_acme", "pip install -e . first"
