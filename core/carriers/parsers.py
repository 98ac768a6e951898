"""What a carrier plugin hands core: a `CarrierParser` (a report format), checked on
registration, and the sniff rule that picks the parser for a file nobody named."""

import logging
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import BinaryIO

from downline.core.production.naming import normalised
from downline.core.production.vocabulary import PolicyRecord, ProductType, RowError

log = logging.getLogger(__name__)

KEY_PATTERN = re.compile(r"[a-z][a-z0-9_]*")
SNIFF_THRESHOLD = 0.5
SNIFF_MARGIN = 0.1


@dataclass(frozen=True)
class CarrierParser:
    """One carrier's report format, returned by `downline_carrier_parsers()`.

    `sniff(head, filename)` gets the first 64 KiB and the file name and returns 0.0 .. 1.0.
    `parse(stream, as_of)` is a generator over the binary stream: it yields a `PolicyRecord` or a
    `RowError` per record, in file order, and raises `FileRejected` when the whole file cannot be
    this carrier's format. That can happen at any point of the iteration (a missing column at the
    start, a trailer count that does not match at the end): the caller treats the file as rejected.

    `aliases` are other names the carrier goes by on applications ("AARP Medicare" for
    UnitedHealthcare): a client's carrier names this plugin when, case and everything but letters
    and digits left out, it starts with the key, the name or an alias (docs/domain.md).
    """

    key: str
    name: str
    product_types: tuple[ProductType, ...]
    sniff: Callable[[bytes, str], float]
    parse: Callable[[BinaryIO, date], Iterator[PolicyRecord | RowError]]
    aliases: tuple[str, ...] = ()


class FileRejected(Exception):
    """The whole file cannot be this carrier's format (missing columns, trailer mismatch...)."""


class CarrierNotRecognized(Exception):
    """Sniffing found no carrier, or more than one that fits; `candidates` holds (key, score)."""

    def __init__(self, message: str, candidates: tuple[tuple[str, float], ...] = ()) -> None:
        super().__init__(message)
        self.candidates = candidates


def check_parsers(answer: object) -> list[CarrierParser]:
    if not isinstance(answer, list | tuple):
        raise TypeError(f"returned {type(answer).__name__}, not a list of CarrierParser")
    for parser in answer:
        if not isinstance(parser, CarrierParser):
            raise TypeError(f"returned a {type(parser).__name__}, not a CarrierParser")
        if not isinstance(parser.key, str) or not KEY_PATTERN.fullmatch(parser.key):
            raise ValueError(f"bad key {parser.key!r}: lower-case letters, digits and _ only")
        if not isinstance(parser.name, str) or not parser.name.strip():
            raise ValueError(f"parser {parser.key!r} has no name")
        if not callable(parser.sniff) or not callable(parser.parse):
            raise TypeError(f"parser {parser.key!r}: sniff and parse must be callable")
        if not all(isinstance(p, ProductType) for p in parser.product_types):
            raise TypeError(f"parser {parser.key!r}: product_types must be ProductType values")
        check_aliases(parser)
    return list(answer)


def check_aliases(parser: CarrierParser) -> None:
    """Aliases are a tuple of names, each with a letter or a digit (a name of nothing but
    punctuation would name every carrier)."""
    aliases = parser.aliases
    if not isinstance(aliases, tuple) or not all(isinstance(a, str) for a in aliases):
        raise TypeError(f"parser {parser.key!r}: aliases must be a tuple of strings")
    for alias in aliases:
        if normalised(alias) is None:
            raise ValueError(f"parser {parser.key!r}: alias {alias!r} has no letter or digit")


def sniff_carrier(
    parsers: Mapping[str, CarrierParser] | Iterable[CarrierParser], head: bytes, filename: str
) -> CarrierParser:
    """The parser whose `sniff` scores best, if it scores at least 0.5 and no other is within 0.1
    of it; otherwise `CarrierNotRecognized` naming the candidates (or the known carriers)."""
    pool = list(parsers.values() if isinstance(parsers, Mapping) else parsers)
    scored = sorted(
        ((_score(parser, head, filename), parser) for parser in pool),
        key=lambda pair: (-pair[0], pair[1].key),
    )
    known = ", ".join(sorted(parser.key for parser in pool)) or "none"
    if not scored or scored[0][0] < SNIFF_THRESHOLD:
        raise CarrierNotRecognized(
            f"{filename}: no carrier recognises this file; name the carrier "
            f"(known carriers: {known})"
        )
    best = scored[0][0]
    close = [(p.key, round(s, 2)) for s, p in scored if best - s <= SNIFF_MARGIN + 1e-9]
    if len(close) > 1:
        named = ", ".join(f"{key} ({score:.2f})" for key, score in close)
        raise CarrierNotRecognized(
            f"{filename}: more than one carrier fits ({named}); name the carrier", tuple(close)
        )
    return scored[0][1]


def _score(parser: CarrierParser, head: bytes, filename: str) -> float:
    try:
        score = float(parser.sniff(head, filename))
    except Exception as exc:  # noqa: BLE001 - a failing sniff is "not mine"
        log.warning("carrier %s: sniff failed on %s: %s", parser.key, filename, exc)
        return 0.0
    return 0.0 if math.isnan(score) else min(max(score, 0.0), 1.0)
