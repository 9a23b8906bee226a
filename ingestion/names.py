"""Commune name -> NIS code matching, for publishers that print names instead of codes.

Swing exports (provincies.incijfers.be), Steunpunt Werk's Tableau crosstabs and ONEM's count
workbooks identify communes by Dutch or French name only (SOURCES.md section 10). Names are
matched against the 565-commune map after a normalisation that forgives case, accents, apostrophe
styles, hyphen/space differences and Tableau's `Aalst (Aalst)` disambiguation suffix. A name that
matches nothing, or more than one commune, is an error: a silent drop would remove a commune.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from functools import lru_cache

from ingestion import geography
from ingestion.errors import ParseError

# Typographic apostrophes and the like all become "'" (FWB writes `Braine-l’Alleud`, ONEM ASCII).
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "\u00b4": "'"})
_SEPARATORS = re.compile(r"[\s\-'.,/]+")
# Tableau adds the arrondissement (or another qualifier) in brackets: `Aalst (Aalst)`.
_SUFFIX = re.compile(r"\s*\([^()]*\)\s*$")

_NAME_COLUMNS = ("name_nl", "name_fr", "name_de")


def normalise_name(name: str) -> str:
    """The matching key of a commune name: lower case, no accents, one space between words."""
    text = unicodedata.normalize("NFKD", str(name).translate(_APOSTROPHES))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _SEPARATORS.sub(" ", text.casefold()).strip()


@lru_cache(maxsize=1)
def _name_index() -> dict[str, frozenset[str]]:
    """Normalised name -> NIS codes of the 565 map (several codes means the name is ambiguous)."""
    communes = geography.communes_565()
    index: dict[str, set[str]] = {}
    for column in _NAME_COLUMNS:
        if column not in communes.columns:
            continue
        for code, name in zip(communes["nis_code"], communes[column], strict=True):
            if isinstance(name, str) and name.strip():
                index.setdefault(normalise_name(name), set()).add(str(code))
    return {key: frozenset(codes) for key, codes in index.items()}


def _lookup(name: str, index: Mapping[str, frozenset[str]]) -> frozenset[str]:
    codes = index.get(normalise_name(name), frozenset())
    if not codes and _SUFFIX.search(name):
        codes = index.get(normalise_name(_SUFFIX.sub("", name)), frozenset())
    return codes


def match_names(
    names: Iterable[str],
    *,
    dataset: str,
    file: str,
    rows: Mapping[str, int] | None = None,
    column: str | None = None,
) -> dict[str, str]:
    """Map each commune name to its NIS code on the 565-commune map.

    ``rows`` (name -> row number in the file) and ``column`` only enrich the error message.
    Raises ``ParseError`` listing every name that matches no commune or several communes.
    """
    index = _name_index()
    matched: dict[str, str] = {}
    unmatched: list[str] = []
    ambiguous: dict[str, frozenset[str]] = {}
    for name in dict.fromkeys(names):  # keeps order, drops repeats
        codes = _lookup(name, index)
        if len(codes) == 1:
            matched[name] = next(iter(codes))
        elif codes:
            ambiguous[name] = codes
        else:
            unmatched.append(name)
    if not unmatched and not ambiguous:
        return matched

    def where(name: str) -> str:
        return f" (row {rows[name]})" if rows and name in rows else ""

    problems = []
    if unmatched:
        listed = ", ".join(f"{n!r}{where(n)}" for n in unmatched)
        problems.append(f"{len(unmatched)} name(s) match no commune of the 565 map: {listed}")
    if ambiguous:
        listed = ", ".join(f"{n!r}{where(n)} ({' or '.join(sorted(c))})" for n, c in ambiguous.items())
        problems.append(f"{len(ambiguous)} name(s) match several communes: {listed}")
    first = [*unmatched, *ambiguous][0]
    raise ParseError(
        dataset,
        file,
        "; ".join(problems) + "; expected Dutch or French commune names of the 565-commune map (2025)",
        row=rows.get(first) if rows else None,
        column=column,
    )
