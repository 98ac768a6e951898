"""Every built-in carrier reads its sample exactly as expected (the conformance kit third-party
plugins use), and every sample sniffs to its own carrier and no other."""

import pytest

from downline.core.carriers.parsers import CarrierNotRecognized, sniff_carrier
from downline.testing import check_carrier_sample

SNIFF_BYTES = 64 * 1024


def test_each_sample_gives_its_expected_records(
    carrier_conformance, parsers, sample, expected, as_of, known_npns, carrier_key
):
    result = carrier_conformance(
        parsers[carrier_key], sample(carrier_key), expected(carrier_key), as_of, known_npns
    )
    assert len(result.records) == 12
    assert result.errors == []


def test_every_carrier_has_a_built_in_plugin(parsers, carrier_key):
    assert parsers[carrier_key].key == carrier_key


def test_each_sample_sniffs_to_its_own_carrier_unambiguously(parsers, sample, carrier_key):
    path = sample(carrier_key)
    head = path.read_bytes()[:SNIFF_BYTES]
    assert sniff_carrier(parsers, head, "upload.bin").key == carrier_key
    scores = sorted((p.sniff(head, "upload.bin"), key) for key, p in parsers.items())
    (best, best_key), (runner_up, _) = scores[-1], scores[-2]
    assert best_key == carrier_key and best >= 0.9 and runner_up <= best - 0.3


def test_the_kits_sniff_check_passes_each_carrier_on_its_sample_and_fails_on_anothers(
    carrier_sniff, parsers, sample, carrier_key
):
    carrier_sniff(parsers[carrier_key], sample(carrier_key))
    other = "aetna" if carrier_key != "aetna" else "humana"
    with pytest.raises(AssertionError, match=f"not {other}|{other}:"):
        carrier_sniff(parsers[other], sample(carrier_key))


def test_the_kits_naming_check_passes_each_built_in_carrier(carrier_naming, parsers, carrier_key):
    carrier_naming(parsers[carrier_key])


def test_the_kits_naming_check_fails_an_alias_that_names_another_carrier(carrier_naming, parsers):
    from dataclasses import replace

    greedy = replace(parsers["anthem"], aliases=("Humana Gold",))
    with pytest.raises(AssertionError, match="'Humana Gold' names humana"):
        carrier_naming(greedy)
    with pytest.raises(AssertionError, match="no letter or digit"):
        carrier_naming(replace(parsers["anthem"], aliases=("--",)))


def test_an_unrelated_csv_is_refused_listing_the_known_carriers(parsers):
    head = b"Name,Email,Phone\r\nAda Lovelace,ada@example.com,555-0100\r\n"
    with pytest.raises(CarrierNotRecognized) as refused:
        sniff_carrier(parsers, head, "contacts.csv")
    message = str(refused.value)
    assert "no carrier recognises" in message
    assert all(key in message for key in parsers)


def test_the_conformance_kit_names_every_difference(parsers, sample, expected, as_of, tmp_path):
    wrong = tmp_path / "aetna.json"
    text = expected("aetna").read_text(encoding="utf-8")
    wrong.write_text(text.replace('"status": "UNKNOWN"', '"status": "ACTIVE"'), encoding="utf-8")
    with pytest.raises(AssertionError) as failed:
        check_carrier_sample(parsers["aetna"], sample("aetna"), wrong, as_of, {"18000001"})
    message = str(failed.value)
    assert "record 11 (line 12, AET250696641): status: expected 'ACTIVE', got 'UNKNOWN'" in message
    assert "unmatched NPNs ['18000002', '18000003', '18000004', '18000005', '18000006'" in message
