"""Synthetic labour-market files: ONEM's `interact_taux_V1.csv` and `employment_counts_{year}.csv`.

Both come from one monthly simulation of jobseekers and insured (active) persons per commune, so
ONEM's published rate and the data team's counts agree. ONEM's file (SOURCES.md 10.1, 1.2):
`;`-separated, UTF-8 with BOM, header quoted and rows not, levels 1 (Belgium, zone 99) to 5 (NIS
code), months 1-12 and 13 (annual average), rates with two decimals, `diff1an` the change on the
same month a year earlier (empty the first year), every year on the 565 map. ONEM's zone codes
above the commune are its own; which of 53 and 54 is Brussels and which Flanders is not known
(55 = Wallonia without, 56 = the German-speaking Community, as reported). The counts are in the
canonical CSV layout (`ingestion/CANONICAL_CSV.md`) on the 565 map, counts below 5 written `x`.
ONEM's rates run to ``last_year``; the data team's counts arrive a year later, so they end at
``last_year - 1``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ingestion import geography, reference
from ingestion.sample.geo import map_geography
from ingestion.sample.model import SampleModel, stream
from ingestion.sample.years import EMPLOYMENT_COUNTS_LAG, lagged_years

ONEM_FILE = "interact_taux_V1.csv"
LABOUR_MAP = 565
ONEM_HEADER = '"jaar";"maand";"level";"zonegeog";"graad";"diff1an"'
EMPLOYMENT_MEASURES: tuple[str, ...] = (
    "jobseekers", "jobseekers_under_25", "active_population", "active_population_under_25",
    "employed_20_64", "population_20_64",
)
SMALL = 5  # counts below this are suppressed (`x`)
_REGION_RISK = {"02000": 0.75, "03000": 1.3, "04000": 1.35}
_YEAR_RISK = {2020: 1.05, 2021: 1.03, 2022: 0.95, 2023: 0.96, 2024: 0.98}
_SEASON = (1.05, 1.04, 1.0, 0.98, 0.95, 0.96, 1.04, 1.06, 1.0, 0.97, 0.97, 0.99)
_ONEM_REGION = {"04000": "53", "02000": "54", "03000": "55"}
GERMAN_SPEAKING = "56"
# ONEM's province zones (level 3): Brussels is 0, the two Brabants 20 and 29 (29 is reported).
_ONEM_PROVINCE = {"": "0", "20001": "20", "20002": "29"}


def german_speaking_communes() -> frozenset[str]:
    seed = reference.seed("commune_names_de")
    return frozenset(seed["nis_code"])


@dataclass(frozen=True)
class LabourYear:
    """One year on the base map: monthly jobseekers and insured persons, and the annual counts."""

    jobseekers: np.ndarray  # (commune, 12)
    active: np.ndarray  # (commune,) insured against unemployment, the rate's denominator
    counts: dict[str, np.ndarray]  # EMPLOYMENT_MEASURES -> (commune,)


def unemployment_risk(model: SampleModel) -> np.ndarray:
    c = model.communes
    return 0.05 * np.exp(0.42 * c.need) * np.array([_REGION_RISK[r] for r in c.region])


def labour_year(model: SampleModel, year: int) -> LabourYear:
    c = model.communes
    rng = stream(model.seed, "labour", year)
    risk = np.clip(unemployment_risk(model) * _YEAR_RISK.get(year, 1.0), 0.005, 0.4)
    young = model.age_total(year, 15, 24)
    active = rng.binomial(model.age_total(year, 15, 64), np.clip(0.70 * np.exp(-0.06 * c.need), 0.4, 0.85))
    monthly = np.stack([rng.binomial(active, np.clip(risk * s, 0, 0.6)) for s in _SEASON], axis=1)
    active_young = rng.binomial(young, np.clip(0.3 * np.exp(-0.1 * c.need), 0.05, 0.6))
    population_20_64 = model.age_total(year, 20, 64)
    counts = {
        "jobseekers": monthly.mean(axis=1),
        "jobseekers_under_25": rng.binomial(active_young, np.clip(1.8 * risk, 0, 0.6)).astype(float),
        "active_population": active.astype(float),
        "active_population_under_25": active_young.astype(float),
        "employed_20_64": rng.binomial(population_20_64, np.clip(0.74 * np.exp(-0.09 * c.need), 0.4, 0.85)),
        "population_20_64": population_20_64,
    }
    return LabourYear(jobseekers=monthly, active=active, counts=counts)


def _zones() -> list[tuple[str, str, np.ndarray]]:
    """(level, zone, member communes of the 565 map) for every ONEM zone, in the file's order."""
    geo = map_geography(LABOUR_MAP)
    frame = geo.communes
    german = frame["nis_code"].isin(german_speaking_communes()).to_numpy()
    index = np.arange(len(frame))
    zones = [("1", "99", index)]
    regions = []
    for region, zone in _ONEM_REGION.items():
        members = (frame["region_code"] == region).to_numpy() & ~german
        regions.append((zone, index[members]))
    regions.append((GERMAN_SPEAKING, index[german]))
    zones += [("2", zone, members) for zone, members in sorted(regions, key=lambda r: r[0])]
    provinces = {}
    for province in frame["province_code"].unique():
        zone = _ONEM_PROVINCE.get(province, province[:2])
        provinces[zone] = index[(frame["province_code"] == province).to_numpy()]
    zones += [("3", zone, provinces[zone]) for zone in sorted(provinces, key=int)]
    arrondissements = sorted(frame["arrondissement_code"].unique())
    zones += [("4", a[:2], index[(frame["arrondissement_code"] == a).to_numpy()]) for a in arrondissements]
    zones += [("5", code, np.array([i])) for i, code in enumerate(frame["nis_code"])]
    return zones


def _rate_text(rate: float) -> str:
    text = f"{rate:.2f}"
    return "0.00" if text == "-0.00" else text


def onem_text(model: SampleModel, years: dict[int, LabourYear]) -> bytes:
    geo = map_geography(LABOUR_MAP)
    zones = _zones()
    membership = np.zeros((len(zones), len(geo.codes)))
    for z, (_, _, members) in enumerate(zones):
        membership[z, members] = 1.0
    rates: dict[int, np.ndarray] = {}  # year -> (zone, month 1..13) unrounded rates
    for year, labour in years.items():
        jobseekers = membership @ geo.aggregate(labour.jobseekers).astype(float)  # (zone, 12)
        insured = membership @ geo.aggregate(labour.active).astype(float)
        # ONEM's annual row (month 13) is the year's average.
        table = np.column_stack([jobseekers, jobseekers.mean(axis=1)])
        rates[year] = 100 * table / np.maximum(insured, 1)[:, None]
    lines = [ONEM_HEADER]
    for year in sorted(years):
        previous = rates.get(year - 1)
        for month in range(13):
            current = rates[year][:, month].tolist()
            change = [""] * len(zones) if previous is None else [
                _rate_text(d) for d in (rates[year][:, month] - previous[:, month]).tolist()
            ]
            lines.extend(
                f"{year};{month + 1};{level};{zone};{_rate_text(rate)};{diff}"
                for (level, zone, _), rate, diff in zip(zones, current, change, strict=True)
            )
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


def _count_text(value: float) -> str:
    rounded = int(round(value))
    return "x" if rounded < SMALL else str(rounded)


def employment_csv(model: SampleModel, year: int, labour: LabourYear) -> bytes:
    geo = map_geography(LABOUR_MAP)
    counts = {m: geo.aggregate(labour.counts[m].astype(float)) for m in EMPLOYMENT_MEASURES}
    lines = [",".join(("nis_code", "map_vintage", "year", *EMPLOYMENT_MEASURES))]
    for i, code in enumerate(geo.codes):
        cells = (_count_text(counts[m][i]) for m in EMPLOYMENT_MEASURES)
        lines.append(",".join((code, str(LABOUR_MAP), str(year), *cells)))
    return ("\n".join(lines) + "\n").encode("utf-8")


def write_labour(model: SampleModel, out_dir: Path) -> list[Path]:
    years = {y: labour_year(model, y) for y in range(model.first_year, model.last_year + 1)}
    onem = out_dir / ONEM_FILE
    onem.write_bytes(onem_text(model, years))
    paths = [onem]
    for year in lagged_years(model.first_year, model.last_year, lag=EMPLOYMENT_COUNTS_LAG):
        # A short sample's counts may fall before its first year: simulate that year too (its
        # stream is its own, so the other years do not change).
        labour = years[year] if year in years else labour_year(model, year)
        path = out_dir / f"employment_counts_{year}.csv"
        path.write_bytes(employment_csv(model, year, labour))
        paths.append(path)
    return paths
