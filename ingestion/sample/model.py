"""The latent world behind the synthetic sample: one set of numbers every sample file is cut from.

Each of the 589 communes of the oldest map gets a size and a latent "need" (Brussels, large
cities and Wallonia higher: more non-Belgian residents, unemployment and arrivals, lower
incomes). Population then evolves year by year through births, deaths, internal and
international moves, so the movement workbook and the population files agree by construction;
residents are drawn per sex x nationality x civil status x age cell. Every publisher file is
derived from this model and aggregated forward onto the map it uses, so a commune tells the same
story everywhere. Nothing here is an official statistic.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from ingestion.sample.geo import base_codes, region_of

AGES = np.arange(101)  # 100 means 100 and over, as in Statbel's CD_AGE
SEXES: tuple[str, ...] = ("M", "F")
NATIONALITIES: tuple[str, ...] = ("BEL", "ETR")
CIVIL_STATUSES: tuple[str, ...] = ("10", "20", "30", "40")  # single, married, widowed, divorced
CELL_SHAPE = (len(SEXES), len(NATIONALITIES), len(CIVIL_STATUSES), len(AGES))
# Residents of Belgium on 1 January 2019 (Statbel: 11,431,406); the model grows about 0.5 % a year.
BELGIUM_2019 = 11_431_406

# Approximate 2019 populations of a few communes (589 codes), so the sample's big cities and its
# tiniest commune (Herstappe) look like the real ones; the rest are drawn at random.
ANCHOR_SIZES: dict[str, int] = {
    "11002": 523_000, "44021": 262_000, "52011": 202_000, "62063": 197_000, "21004": 179_000,
    "21015": 133_000, "21001": 119_000, "31005": 118_000, "92094": 111_000, "24062": 101_000,
    "21012": 97_000, "53053": 95_000, "21009": 87_000, "12025": 86_000, "41002": 86_000,
    "21016": 83_000, "55022": 81_000, "71022": 78_000, "46021": 77_000, "34022": 77_000,
    "35013": 71_000, "57081": 69_000, "71016": 66_000, "62096": 64_000, "36015": 62_000,
    "54007": 58_000, "21018": 57_000, "21007": 56_000, "63079": 55_000, "21010": 52_000,
    "21013": 50_000, "21005": 48_000, "21019": 42_000, "21006": 41_000, "21002": 34_000,
    "21014": 27_000, "21003": 25_000, "21008": 25_000, "21017": 25_000, "21011": 22_000,
    "73028": 85, "33016": 1_050, "84016": 1_400, "81013": 1_850, "13002": 2_700,
}
# Latent need set by hand where it is well known (standardised scale: 0 = typical commune).
NEED_OVERRIDES: dict[str, float] = {
    "21014": 3.0, "21012": 2.8, "21013": 2.4, "21015": 2.4, "21001": 2.3, "21011": 2.1,
    "21004": 2.0, "52011": 2.0, "62063": 1.9, "62096": 1.9, "55022": 1.6, "63079": 1.7,
    "21007": 1.6, "21003": 1.2, "21006": 1.2, "21010": 1.0, "21009": 1.0, "21005": 1.0,
    "11002": 1.3, "53053": 1.3, "44021": 0.8, "21008": 0.6, "21016": -0.2, "21017": -0.2,
    "21002": 0.0, "21018": -0.4, "21019": -0.6, "73028": -0.8,
}
# Border communes where many residents hold a neighbouring country's nationality.
BORDER_FOREIGN_SHARE: dict[str, float] = {"13002": 0.45, "63061": 0.45, "63040": 0.35, "63048": 0.3, "81001": 0.2}
# International arrivals by calendar year relative to a normal year (pandemic dip, 2022 war).
IMMIGRATION_YEAR_FACTOR: dict[int, float] = {2020: 0.78, 2021: 0.92, 2022: 1.3, 2023: 1.1}


def stream(seed: int, name: str, year: int = 0) -> np.random.Generator:
    """An independent generator per (seed, purpose, year): adding a file never changes another."""
    return np.random.default_rng(np.random.SeedSequence([seed, zlib.crc32(name.encode()), year]))


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


@dataclass(frozen=True)
class Communes:
    """Per base commune (589 map, code order): fixed traits of the latent world."""

    codes: tuple[str, ...]
    region: np.ndarray  # "02000", "03000", "04000"
    brussels: np.ndarray  # bool
    need: np.ndarray
    youth: np.ndarray  # tilt of the age pyramid towards the young
    foreign_share: np.ndarray  # non-Belgian share in the base year
    immigration_rate: np.ndarray  # gross international arrivals per resident per year
    initial_population: np.ndarray


def _communes(seed: int, start_year: int) -> Communes:
    rng = stream(seed, "communes")
    codes = base_codes()
    n = len(codes)
    region = np.array([region_of(c) for c in codes])
    brussels = region == "04000"
    wallonia = region == "03000"

    sizes = np.exp(rng.normal(np.log(10_500), 0.62, n))
    anchored = np.array([c in ANCHOR_SIZES for c in codes])
    anchors = np.array([ANCHOR_SIZES.get(c, 0) for c in codes], dtype=float)
    free_total = BELGIUM_2019 - anchors.sum()
    sizes = np.where(anchored, anchors, sizes * free_total / sizes[~anchored].sum())
    # Back to the first modelled year at the model's growth (about 0.55 % a year).
    sizes = np.round(sizes * 1.0055 ** (start_year - 2019)).astype(np.int64)

    log_size = np.log(sizes)
    urban = np.clip((log_size - log_size.mean()) / log_size.std(), -1.0, 3.0)
    raw = 0.9 * brussels + 0.45 * wallonia + 0.35 * urban + 0.45 * rng.normal(size=n)
    need = (raw - raw.mean()) / raw.std()
    for code, value in NEED_OVERRIDES.items():
        need[codes.index(code)] = value

    youth = 0.12 * need + 0.15 * brussels + 0.08 * rng.normal(size=n)
    foreign = 0.048 * np.exp(0.6 * need) + 0.2 * brussels + 0.025 * np.abs(rng.normal(size=n))
    for code, share in BORDER_FOREIGN_SHARE.items():
        foreign[codes.index(code)] = share
    immigration = 0.0075 * np.exp(0.5 * need) * (1 + 1.1 * brussels) * np.exp(0.15 * rng.normal(size=n))
    return Communes(
        codes=codes,
        region=region,
        brussels=brussels,
        need=need,
        youth=youth,
        foreign_share=np.clip(foreign, 0.004, 0.6),
        immigration_rate=immigration,
        initial_population=sizes,
    )


# National age pyramid (relative counts by age), smoothed from Statbel's 2015 structure.
_AGE_KNOTS = ([0, 10, 20, 30, 40, 50, 55, 60, 65, 70, 75, 80, 85, 90, 95, 99, 100],
              [120, 128, 130, 145, 148, 160, 165, 150, 135, 115, 95, 70, 48, 24, 7, 1.5, 2])
_MALE_SHARE = ([0, 20, 45, 60, 70, 80, 90, 100], [0.512, 0.51, 0.503, 0.49, 0.47, 0.42, 0.32, 0.22])
# Non-Belgians are concentrated among young adults and rare among the very old.
_FOREIGN_BY_AGE = ([0, 17, 22, 30, 40, 50, 60, 70, 80, 100], [0.85, 0.8, 1.2, 1.7, 1.5, 1.0, 0.7, 0.45, 0.3, 0.2])


def _civil_status() -> np.ndarray:
    """P(civil status | sex, age), shape (sex, status, age); children are all single."""
    out = np.zeros((len(SEXES), len(CIVIL_STATUSES), len(AGES)))
    for s, (level, middle, width) in enumerate(((0.5, 84.0, 5.0), (0.9, 78.0, 5.5))):
        widowed = level * _sigmoid((AGES - middle) / width)
        divorced = 0.2 * _sigmoid((AGES - 40) / 6) * (1 - 0.6 * _sigmoid((AGES - 80) / 6)) * (1 - widowed)
        married = 0.68 * _sigmoid((AGES - 31) / 3.5) * (1 - widowed)
        single = np.clip(1 - widowed - divorced - married, 0.02, None)
        stacked = np.stack([single, married, widowed, divorced])
        out[s] = stacked / stacked.sum(axis=0)
    out[:, 1:, AGES < 18] = 0.0
    out[:, 0, AGES < 18] = 1.0
    return out


def cell_probabilities(communes: Communes, year: int) -> np.ndarray:
    """P(sex, nationality, civil status, age) per commune in ``year``: shape (commune, *CELL_SHAPE)."""
    base = np.interp(AGES, *_AGE_KNOTS)
    tilt = np.clip((40.0 - AGES) / 40.0, -1.5, 1.0)
    # The population ages slowly: 0.4 % of the young weight moves to the old each year.
    weights = base[None, :] * np.exp((communes.youth[:, None] - 0.004 * (year - 2019)) * tilt[None, :])
    weights /= weights.sum(axis=1, keepdims=True)
    male = np.interp(AGES, *_MALE_SHARE)
    sex = np.stack([male, 1 - male])
    relative = np.interp(AGES, *_FOREIGN_BY_AGE)
    share = foreign_share(communes, year)
    foreign = np.clip(share[:, None] * relative[None, :] / (weights * relative).sum(axis=1, keepdims=True), 0, 0.92)
    nationality = np.stack([1 - foreign, foreign], axis=1)  # (commune, nat, age)
    civil = _civil_status()
    p = (
        weights[:, None, None, None, :]
        * sex[None, :, None, None, :]
        * nationality[:, None, :, None, :]
        * civil[None, :, None, :, :]
    )
    return p / p.sum(axis=(1, 2, 3, 4), keepdims=True)


def foreign_share(communes: Communes, year: int) -> np.ndarray:
    """Non-Belgian share drifts up with arrivals (less naturalisations)."""
    return np.clip(communes.foreign_share + 0.12 * communes.immigration_rate * (year - 2019), 0.003, 0.7)


def _flows(communes: Communes, population: np.ndarray, year: int, seed: int) -> dict[str, np.ndarray]:
    """One year of population movement per base commune (the movement workbook's columns, plus
    nationality changes and the statistical adjustment); the next population follows from it."""
    rng = stream(seed, "flows", year)
    n = population.astype(float)
    need, youth, brussels = communes.need, communes.youth, communes.brussels
    out: dict[str, np.ndarray] = {
        "births": rng.poisson(n * 0.0092 * np.exp(0.08 * need + 0.8 * youth)),
        "deaths": rng.poisson(n * 0.0096 * np.exp(-1.6 * youth)),
    }
    leaving = rng.poisson(n * 0.045 * np.exp(0.05 * need) * (1 + 0.25 * brussels))
    # Families leave Brussels and the cities for the suburbs (Brussels loses about 1 % a year).
    attraction = n * np.exp(-0.06 * need - 0.3 * brussels + 0.05 * rng.normal(size=len(n)))
    # Internal moves balance nationally: every departure is an arrival somewhere else.
    out["internal_out"] = leaving
    out["internal_in"] = rng.multinomial(int(leaving.sum()), attraction / attraction.sum())
    immigrations = rng.poisson(n * communes.immigration_rate * IMMIGRATION_YEAR_FACTOR.get(year, 1.0))
    out["immigrations"] = immigrations
    out["asylum_register_in"] = rng.poisson(immigrations * 0.12)
    out["reregistrations"] = rng.poisson(n * 0.0012 * np.exp(0.3 * need))
    out["emigrations"] = rng.poisson(immigrations * 0.47 + n * 0.0018)
    out["asylum_register_out"] = rng.poisson(out["asylum_register_in"] * 0.3)
    out["struck_off"] = rng.poisson(n * 0.0028 * np.exp(0.35 * need) * (1 + 0.5 * brussels))
    out["to_non_belgian"] = rng.poisson(n * 0.00004)
    out["to_belgian"] = rng.poisson(n * foreign_share(communes, year) * 0.022)
    # Statbel's statistical adjustment: small corrections of the register, either sign.
    out["adjustment"] = np.round(rng.normal(0.0, 0.0003 * n + 0.3)).astype(np.int64)
    return out


def total_change(f: Mapping[str, np.ndarray]) -> np.ndarray:
    """Population on 1 January of the next year minus this year's: every movement in the
    workbook's columns plus the statistical adjustment."""
    natural = f["births"] - f["deaths"]
    internal = f["internal_in"] - f["internal_out"]
    entries = f["immigrations"] + f["asylum_register_in"] + f["reregistrations"]
    exits = f["emigrations"] + f["asylum_register_out"] + f["struck_off"]
    return natural + internal + entries - exits + f["adjustment"]


@dataclass(frozen=True)
class SampleModel:
    """The latent world for years ``start_year..last_year`` (flows) and ``..last_year + 1``
    (population on 1 January), per base commune."""

    seed: int
    first_year: int
    last_year: int
    start_year: int
    communes: Communes
    population: Mapping[int, np.ndarray]  # year -> residents on 1 January
    flows: Mapping[int, Mapping[str, np.ndarray]]  # year -> flow name -> persons during the year

    _cells: dict[int, np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    def cells(self, year: int) -> np.ndarray:
        """Residents by commune x sex x nationality x civil status x age on 1 January of ``year``
        (shape (commune, *CELL_SHAPE)); each commune's cells add up to its population exactly.
        Drawn on first use (a stream of its own per year) and kept."""
        if year not in self._cells:
            p = cell_probabilities(self.communes, year).reshape(len(self.communes.codes), -1)
            drawn = stream(self.seed, "cells", year).multinomial(self.population[year], p)
            self._cells[year] = drawn.reshape((len(self.communes.codes), *CELL_SHAPE)).astype(np.int64)
        return self._cells[year]

    def age_total(self, year: int, low: int, high: int) -> np.ndarray:
        """Residents aged ``low..high`` (inclusive) per base commune."""
        return self.cells(year)[..., low : high + 1].sum(axis=(1, 2, 3, 4))


def build_model(seed: int, first_year: int, last_year: int) -> SampleModel:
    """The latent world from two years before ``first_year`` (the movement workbook's first sheet)
    to ``last_year``, plus the population on 1 January of ``last_year + 1``."""
    if last_year < first_year:
        raise ValueError(f"last_year {last_year} is before first_year {first_year}")
    start = first_year - 2
    communes = _communes(seed, start)
    population = {start: communes.initial_population.astype(np.int64)}
    flows: dict[int, dict[str, np.ndarray]] = {}
    for year in range(start, last_year + 1):
        flows[year] = _flows(communes, population[year], year, seed)
        following = population[year] + total_change(flows[year])
        # A commune cannot fall below zero residents: the adjustment absorbs the difference.
        flows[year]["adjustment"] -= np.minimum(following, 0)
        population[year + 1] = np.maximum(following, 0)
    return SampleModel(
        seed=seed,
        first_year=first_year,
        last_year=last_year,
        start_year=start,
        communes=communes,
        population=population,
        flows=flows,
    )
