"""Geography of the synthetic sample: every commune map with its names and parent units.

The sample is generated once on the 589 map and aggregated forward; this module gives, per map,
the communes in code order, their arrondissement, province and region, the names the publishers
print, and the index that sends each 589 commune to its commune on that map. Arrondissements,
provinces and regions follow from the REFNIS code (DESIGN.md "Geography"); before 2019 Hainaut
had an arrondissement of Mouscron and Tournai stood alone (SOURCES.md 4.1, 8.1).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, cached_property

import numpy as np
import pandas as pd

from ingestion import geography, reference

BASE_MAP = 589
BELGIUM = "01000"
# Province names as Statbel prints them in its open-data texts (SOURCES.md 4.1, 5.2).
PROVINCE_NAMES: dict[str, tuple[str, str]] = {
    "10000": ("Provincie Antwerpen", "Province d’Anvers"),
    "20001": ("Provincie Vlaams-Brabant", "Province de Brabant flamand"),
    "20002": ("Provincie Waals-Brabant", "Province de Brabant wallon"),
    "30000": ("Provincie West-Vlaanderen", "Province de Flandre occidentale"),
    "40000": ("Provincie Oost-Vlaanderen", "Province de Flandre orientale"),
    "50000": ("Provincie Henegouwen", "Province de Hainaut"),
    "60000": ("Provincie Luik", "Province de Liège"),
    "70000": ("Provincie Limburg", "Province de Limbourg"),
    "80000": ("Provincie Luxemburg", "Province de Luxembourg"),
    "90000": ("Provincie Namen", "Province de Namur"),
}
# Hainaut's arrondissements before the 2019 reorganisation (SOURCES.md 4.1 sample, 8.1).
_ARRONDISSEMENTS_BEFORE_2019: dict[str, tuple[str, str]] = {
    "54000": ("Arrondissement Moeskroen", "Arrondissement de Mouscron"),
    "57000": ("Arrondissement Doornik", "Arrondissement de Tournai"),
}


def typographic(text: str) -> str:
    """Statbel's texts use the typographic apostrophe (`Arrondissement d’Anvers`)."""
    return text.replace("'", "\u2019")


def province_of(code: str) -> str:
    """Province of a commune from its REFNIS code; '' for Brussels, which has none."""
    prefix = code[:2]
    if prefix == "21":
        return ""
    if prefix in ("23", "24"):
        return "20001"
    if prefix == "25":
        return "20002"
    return code[0] + "0000"


def region_of(code: str) -> str:
    prefix = code[:2]
    if prefix == "21":
        return "04000"
    if code[0] in "1347" or prefix in ("23", "24"):
        return "02000"
    return "03000"


def region_names(code: str) -> tuple[str, str]:
    region = geography.REGIONS[code]
    return region["name_nl"], region["name_fr"]


@cache
def arrondissement_names(vintage: int) -> dict[str, tuple[str, str]]:
    """Arrondissement code -> (NL, FR) name on one map, with typographic apostrophes."""
    seed = reference.seed("arrondissements")
    names = {row.arrondissement_code: (row.name_nl, row.name_fr) for row in seed.itertuples()}
    if vintage == 589:
        names.pop("58000")  # La Louvière was created on 1 January 2019
        names.update(_ARRONDISSEMENTS_BEFORE_2019)
    return {code: (typographic(nl), typographic(fr)) for code, (nl, fr) in names.items()}


@dataclass(frozen=True)
class Unit:
    """A totals row (country, region, province or arrondissement) and the communes it adds up."""

    code: str
    level: str  # "country", "region", "province" or "arrondissement"
    name_nl: str
    name_fr: str
    members: np.ndarray  # indices into MapGeography.codes


@dataclass(frozen=True)
class MapGeography:
    """The communes of one map, in code order, with their parents and names."""

    vintage: int
    communes: pd.DataFrame  # nis_code, name_nl, name_fr, arrondissement_code, province_code, region_code
    from_base: np.ndarray  # per 589 commune (base order), its row in ``communes``

    @property
    def codes(self) -> list[str]:
        return self.communes["nis_code"].tolist()

    def aggregate(self, values: np.ndarray) -> np.ndarray:
        """Sum per-base-commune values (first axis) onto this map's communes."""
        primary, extra = self._sources
        out = values[primary].copy()
        for source in extra:  # the few communes merged into another one
            out[self.from_base[source]] += values[source]
        return out

    @cached_property
    def _sources(self) -> tuple[np.ndarray, list[int]]:
        """The first base commune of each commune of this map, and every other base commune."""
        _, primary = np.unique(self.from_base, return_index=True)
        extra = sorted(set(range(len(self.from_base))) - set(primary.tolist()))
        return primary, extra

    @cached_property
    def units(self) -> list[Unit]:
        """Every totals row in Statbel's hierarchical order: Belgium, then each region followed by
        its provinces, each province by its arrondissements (Brussels has no province)."""
        frame = self.communes
        arr_names = arrondissement_names(self.vintage)
        index = np.arange(len(frame))
        units = [Unit(BELGIUM, "country", "België", "Belgique", index)]
        for region in sorted(frame["region_code"].unique()):
            in_region = (frame["region_code"] == region).to_numpy()
            units.append(Unit(region, "region", *region_names(region), index[in_region]))
            for province in sorted(frame.loc[in_region, "province_code"].unique()):
                in_province = in_region & (frame["province_code"] == province).to_numpy()
                if province:
                    units.append(Unit(province, "province", *PROVINCE_NAMES[province], index[in_province]))
                for arrondissement in sorted(frame.loc[in_province, "arrondissement_code"].unique()):
                    members = index[in_province & (frame["arrondissement_code"] == arrondissement).to_numpy()]
                    units.append(Unit(arrondissement, "arrondissement", *arr_names[arrondissement], members))
        return units


@cache
def base_codes() -> tuple[str, ...]:
    return tuple(sorted(geography.map_codes(BASE_MAP)))


def _commune_names(vintage: int) -> dict[str, tuple[str, str]]:
    """Code -> (NL, FR) name on one map: current names, and for codes that no longer exist the
    names the crosswalk seeds give them (what ``geography.commune_names`` returns, without its
    row-by-row loop, which costs a noticeable part of the sample's run time)."""
    current = geography.communes_565()
    names = dict(zip(current["nis_code"], zip(current["name_nl"], current["name_fr"], strict=True), strict=True))
    for step in (geography.crosswalk_2024_2025(), geography.crosswalk_2018_2019()):
        for code, nl, fr in zip(step["from_nis"], step["from_name_nl"], step["from_name_fr"], strict=True):
            if code not in current["nis_code"].values:
                names[code] = (nl, fr)
    return {code: names[code] for code in sorted(geography.map_codes(vintage))}


@cache
def map_geography(vintage: int) -> MapGeography:
    names = _commune_names(vintage)
    codes = list(names)
    communes = pd.DataFrame(
        {
            "nis_code": codes,
            "name_nl": [typographic(nl) for nl, _ in names.values()],
            "name_fr": [typographic(fr) for _, fr in names.values()],
            "arrondissement_code": [c[:2] + "000" for c in codes],
            "province_code": [province_of(c) for c in codes],
            "region_code": [region_of(c) for c in codes],
        }
    )
    position = {code: i for i, code in enumerate(codes)}
    if vintage == BASE_MAP:
        target = {c: c for c in codes}
    elif vintage == 581:
        step = geography.crosswalk_2018_2019()
        changed = dict(zip(step["from_nis"], step["to_nis"], strict=True))
        target = {c: changed.get(c, c) for c in base_codes()}
    else:
        forward = geography.crosswalk_to_565(BASE_MAP)
        target = dict(zip(forward["from_nis"], forward["to_nis"], strict=True))
    from_base = np.array([position[target[c]] for c in base_codes()], dtype=np.int64)
    return MapGeography(vintage=vintage, communes=communes, from_base=from_base)
