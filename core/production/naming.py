"""The two normalisations effectuation matches on, defined once here and stored at write time
(docs/domain.md, "Effectuation"), and the carrier naming rule.

- `normalised(text)`: case-folded (`str.casefold`), then every character that is not a letter or
  a digit (`str.isalnum`) removed. "Aetna CVS Health" -> "aetnacvshealth".
- `last_name_key(text)`: the same after folding accents: Unicode NFKD, combining marks dropped.
  So apostrophes, hyphens, spaces, dots and case never tell two last names apart:
  "O'Brien-Núñez" and "obrien nunez" -> "obriennunez".

A client's free-text carrier names carrier plugin P when its normalised text equals or starts
with the normalised key, name or one of the aliases of P, and of no other plugin.
"""

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol


def normalised(text: str | None) -> str | None:
    """Case-folded, letters and digits only; None for None or for text with neither."""
    if text is None:
        return None
    kept = "".join(ch for ch in text.casefold() if ch.isalnum())
    return kept or None


def last_name_key(text: str | None) -> str | None:
    """A last name as matched: accents folded, then `normalised`."""
    if text is None:
        return None
    decomposed = unicodedata.normalize("NFKD", text)
    return normalised("".join(ch for ch in decomposed if not unicodedata.combining(ch)))


def last_name_of(client_name: str) -> str:
    """The last name in a stored "First Last" policy name, for rows stored before the key was
    (migration 0008): everything after the first space, so a compound last name ("Maria De La
    Cruz") keeps all its words. The next report of the carrier stores the exact key."""
    return client_name.strip().partition(" ")[2] or client_name


class Named(Protocol):
    """What naming reads of a carrier parser."""

    key: str
    name: str
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class CarrierName:
    """One normalised name a carrier plugin answers to: its key, its name or an alias."""

    prefix: str
    key: str  # the plugin's key
    title: str  # the plugin's name, as sentences write it


def carrier_names(parsers: Mapping[str, Named] | Iterable[Named]) -> list[CarrierName]:
    """Every normalised name of every plugin, longest first, each once per plugin (a name
    that normalises to nothing names nothing)."""
    pool = parsers.values() if isinstance(parsers, Mapping) else parsers
    names = {
        (prefix, p.key, p.name)
        for p in pool
        for prefix in map(normalised, (p.key, p.name, *p.aliases))
        if prefix
    }
    return [CarrierName(*n) for n in sorted(names, key=lambda n: (-len(n[0]), n[0], n[1]))]


def carriers_named(text: str | None, names: Iterable[CarrierName]) -> set[str]:
    """The keys of the plugins that `text` (a client's carrier) names: one is a match, none or
    several is no carrier feed."""
    written = normalised(text)
    if written is None:
        return set()
    return {n.key for n in names if written.startswith(n.prefix)}
