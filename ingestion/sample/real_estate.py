"""Synthetic Statbel real-estate workbooks (SOURCES.md 6.1, 6.2), on the 565 map.

`FR_immo_statbel_trimestre_par_commune.xlsx`: sheet `Par commune`, one row per commune and quarter
(first_year - 1)Q1..last_year Q1. `NL_immo_statbel_jaar.xlsx`: five sheets (Belgium, regions,
provinces, arrondissements, communes), one row per unit and complete year
(first_year - 1)..(last_year - 1). Statbel publishes them so (SOURCES.md 0: quarters to 2025Q1,
years to 2024): the current year's first quarter is out before its annual figure.
Both: three header rows with merged cells, four property groups of four columns (count, median,
first and third quartile) separated by blank columns, three blank columns and a trailing
formula column; codes, years and periods are text, counts and prices integers formatted `#,##0`;
a zero count is an empty cell. Prices are empty when the count is 15 or less, and in a few more
cells (secondary suppression), as Statbel publishes them.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from ingestion.sample.files import Formula, Sheet, XlsxBook
from ingestion.sample.geo import MapGeography, map_geography
from ingestion.sample.model import SampleModel, stream
from ingestion.sample.years import ANNUAL_REAL_ESTATE_LAG, LAST_QUARTER, REAL_ESTATE_LEAD, lagged_years

QUARTERLY_FILE = "FR_immo_statbel_trimestre_par_commune.xlsx"
ANNUAL_FILE = "NL_immo_statbel_jaar.xlsx"
REAL_ESTATE_MAP = 565
PRICE_THRESHOLD = 15  # prices are published only above this many sales
TYPES: tuple[str, ...] = ("houses", "houses_2_3_facades", "houses_4_facades", "apartments")
_FIRST_COLUMN = {"houses": 5, "houses_2_3_facades": 10, "houses_4_facades": 15, "apartments": 20}
_FORMULA_COLUMN = 27  # AB
_WIDTH = 28
_MERGES = ("A1:D2", "F1:I1", "F2:I2", "K1:N1", "K2:N2", "P1:S1", "P2:S2", "U1:X1", "U2:X2")
_WIDTHS = {0: 6.140625, 1: 23.5703125, 2: 6.5703125, 3: 8.0, 27: 0.0} | {
    first + k: w
    for first in _FIRST_COLUMN.values()
    for k, w in enumerate((19.42578125, 14.140625, 22.28515625, 23.7109375))
}
_NUMBER_COLUMNS = frozenset(first + k for first in _FIRST_COLUMN.values() for k in range(4))
_HEADERS = {
    "fr": (
        "Catégories immobilières basées sur la nature spécifiée dans l'acte de vente",
        "ventes de biens immobiliers",
        (
            "Toutes les maisons avec 2, 3, 4 ou plus de façades (excl. appartements)",
            "Maisons avec 2 ou 3 façades (type fermé + type demi-fermé)",
            "Maisons avec 4 ou plus de façades (type ouvert)",
            "Appartements",
        ),
        ("refnis", "localité", "année", "période"),
        ("nombre transactions", "prix médian(€)", "prix premier quartile(€)", "prix troisième quartile(€)"),
    ),
    "nl": (
        "Vastgoedcategorieën op basis van aard gespecifieerd in de verkoopsakte",
        "verkopen van onroerende goederen",
        (
            "Alle huizen met 2, 3, 4 of meer gevels (excl. appartementen)",
            "Huizen met 2 of 3 gevels (gesloten + halfopen bebouwing)",
            "Huizen met 4 of meer gevels (open bebouwing)",
            "Appartementen",
        ),
        ("refnis", "lokaliteit", "jaar", "periode"),
        ("aantal transacties", "mediaan prijs(€)", "eerste kwartiel prijs(€)", "derde kwartiel prijs(€)"),
    ),
}
# Price level of a Flemish house of typical need in 2024, set so that Belgium's median comes out
# near Statbel's 290,000 EUR; prices rise 4 % a year.
HOUSE_PRICE_2024 = 320_000.0
_TYPE_PRICE = {"houses": 1.0, "houses_2_3_facades": 0.88, "houses_4_facades": 1.3, "apartments": 0.82}
_REGION_PRICE = {"02000": 0.0, "03000": -0.33, "04000": 0.75}
_SEASON = (0.95, 1.0, 0.98, 1.07)
_YEAR_VOLUME = {2020: 0.93, 2021: 1.1, 2023: 0.93}
CREATED = datetime(2025, 6, 18, 7, 59, 21)
_TITLE = "SYNTHETIC SAMPLE - not official statistics"


def _upper(text: str) -> str:
    """Statbel's locality names: upper case, no accents, straight apostrophe (`LIEGE`)."""
    text = unicodedata.normalize("NFKD", text.replace("\u2019", "'"))
    return "".join(ch for ch in text if not unicodedata.combining(ch)).upper()


@dataclass(frozen=True)
class Sales:
    """Sales per 565 commune: ``counts[type]`` of shape (commune, period) and the latent log price
    level per commune (``log_level[type]``, EUR, without the time trend)."""

    periods: list[tuple[int, int]]  # (year, quarter)
    counts: dict[str, np.ndarray]
    log_level: dict[str, np.ndarray]


def simulate_sales(model: SampleModel, geo: MapGeography) -> Sales:
    c = model.communes
    rng = stream(model.seed, "real-estate")
    n = len(c.codes)
    size = model.population[model.first_year].astype(float)
    urban = 1 / (1 + np.exp(-2 * (np.log(np.maximum(size, 1)) - np.log(30_000))))
    apartment_share = np.clip(0.12 + 0.25 * urban + 0.55 * c.brussels, 0.03, 0.85)
    wallonia = c.region == "03000"
    four_facade_share = np.clip(0.5 - 0.25 * urban - 0.45 * c.brussels + 0.1 * wallonia, 0.02, 0.8)
    rate = 0.0108 * np.exp(-0.1 * c.need)  # sales per resident and year

    periods = [
        (y, q)
        for y in lagged_years(model.first_year, model.last_year, lead=REAL_ESTATE_LEAD)
        for q in range(1, 5)
        if y < model.last_year or q <= LAST_QUARTER
    ]
    drawn = ("houses_2_3_facades", "houses_4_facades", "apartments")
    base = {t: np.zeros((n, len(periods)), dtype=np.int64) for t in drawn}
    for j, (year, quarter) in enumerate(periods):
        population = model.population[max(year, model.start_year)]
        expected = population * rate / 4 * _SEASON[quarter - 1] * _YEAR_VOLUME.get(year, 1.0)
        base["apartments"][:, j] = rng.poisson(expected * apartment_share)
        houses = expected * (1 - apartment_share)
        base["houses_4_facades"][:, j] = rng.poisson(houses * four_facade_share)
        base["houses_2_3_facades"][:, j] = rng.poisson(houses * (1 - four_facade_share))
    counts = {t: geo.aggregate(v) for t, v in base.items()}
    counts["houses"] = counts["houses_2_3_facades"] + counts["houses_4_facades"]

    own = np.array([_REGION_PRICE[r] for r in c.region]) - np.where(c.brussels, 0.15, 0.12) * c.need
    own = own + 0.12 * rng.normal(size=n)
    weights = geo.aggregate(size)
    level = geo.aggregate(own * size) / weights  # population-weighted mean of log prices
    in_brussels = (geo.communes["region_code"] == "04000").to_numpy()
    log_level = {}
    for t in TYPES:
        # Brussels flats cost about half its houses; elsewhere about 80 %.
        factor = _TYPE_PRICE[t] - (0.3 * in_brussels if t == "apartments" else 0.0)
        log_level[t] = np.log(HOUSE_PRICE_2024 * factor) + level
    return Sales(periods=periods, counts={t: counts[t] for t in TYPES}, log_level=log_level)


@dataclass(frozen=True)
class PriceTable:
    """Published cells of one property group: counts and prices, same shape; a price of 0 means
    the cell is empty (no sale, or hidden)."""

    count: np.ndarray
    median: np.ndarray
    q1: np.ndarray
    q3: np.ndarray

    def cells(self, index: tuple[int, int]) -> list[object]:
        count = int(self.count[index])
        if count == 0:
            return [None, None, None, None]
        if self.median[index] == 0:
            return [count, None, None, None]
        return [count, int(self.median[index]), int(self.q1[index]), int(self.q3[index])]


def price_table(rng: np.random.Generator, count: np.ndarray, log_level: np.ndarray, when: np.ndarray) -> PriceTable:
    """Median and quartiles for ``count`` sales at price level ``log_level`` (broadcast to the
    shape of ``count``) at fractional year ``when``: noisier when sales are few, empty when they
    are 15 or fewer, and in about 6 % of the cells with 16 to 60 sales (secondary suppression)."""
    shape = count.shape
    level = np.broadcast_to(log_level, shape)
    spread = 0.25 / np.sqrt(np.maximum(count, 1))
    median = np.exp(level + rng.normal(0, 1, shape) * spread) * 1.04 ** (when - 2024)
    low = median * np.exp(-0.33 + rng.normal(0, 0.05, shape))
    high = median * np.exp(0.30 + rng.normal(0, 0.05, shape))
    median = np.round(median / 250) * 250
    low = np.minimum(np.round(low / 500) * 500, median - 250)
    high = np.maximum(np.round(high / 500) * 500, median + 500)
    hidden = (count <= PRICE_THRESHOLD) | ((count <= 60) & (rng.random(shape) < 0.06))
    return PriceTable(
        count=count,
        median=np.where(hidden, 0, median).astype(np.int64),
        q1=np.where(hidden, 0, low).astype(np.int64),
        q3=np.where(hidden, 0, high).astype(np.int64),
    )


def _header(book: XlsxBook, name: str, language: str) -> Sheet:
    title, group, types, keys, fields = _HEADERS[language]
    sheet = book.add_sheet(name, widths=_WIDTHS, merges=_MERGES)
    rows: list[list[object]] = [[None] * _WIDTH for _ in range(3)]
    rows[0][0] = title
    rows[2][:4] = list(keys)
    for t, label in zip(TYPES, types, strict=True):
        first = _FIRST_COLUMN[t]
        rows[0][first], rows[1][first] = group, label
        rows[2][first : first + 4] = list(fields)
    rows[2][_FORMULA_COLUMN] = 0  # the running counter's seed, a number as in the real file
    for row in rows:
        sheet.append(row)
    return sheet


def _data_row(
    code: str, name: str, year: int, period: str, groups: list[list[object]], row: int, counter: int
) -> list[object]:
    values: list[object] = [code, name, str(year), period] + [None] * (_WIDTH - 4)
    for t, cells in zip(TYPES, groups, strict=True):
        values[_FIRST_COLUMN[t] : _FIRST_COLUMN[t] + 4] = cells
    # A running commune counter (SOURCES.md 6.1); Excel would cache its value.
    values[_FORMULA_COLUMN] = Formula(f"IF(A{row}=A{row - 1},AB{row - 1},AB{row - 1}+1)", counter)
    return values


def write_quarterly(model: SampleModel, sales: Sales, geo: MapGeography, path: Path) -> None:
    rng = stream(model.seed, "real-estate-quarterly-prices")
    when = np.array([year + (quarter - 0.5) / 4 for year, quarter in sales.periods])[None, :]
    tables = [price_table(rng, sales.counts[t], sales.log_level[t][:, None], when) for t in TYPES]
    book = XlsxBook(created=CREATED, creator="cohesion-warehouse", title=_TITLE)
    sheet = _header(book, "Par commune", "fr")
    row = 4
    for i, commune in enumerate(geo.communes.itertuples()):
        name = _upper(commune.name_fr)
        for j, (year, quarter) in enumerate(sales.periods):
            groups = [table.cells((i, j)) for table in tables]
            sheet.append(
                _data_row(commune.nis_code, name, year, f"Q{quarter}", groups, row, i + 1), formatted=_NUMBER_COLUMNS
            )
            row += 1
    book.save(path)


def annual_years(model: SampleModel) -> range:
    """The complete years: the annual workbook lags a year behind the quarterly one."""
    return lagged_years(model.first_year, model.last_year, lag=ANNUAL_REAL_ESTATE_LAG, lead=REAL_ESTATE_LEAD)


def write_annual(model: SampleModel, sales: Sales, geo: MapGeography, path: Path) -> None:
    rng = stream(model.seed, "real-estate-annual-prices")
    years = list(annual_years(model))
    when = np.array(years, dtype=float)[None, :] + 0.5
    annual = {
        t: np.stack([v[:, [j for j, p in enumerate(sales.periods) if p[0] == y]].sum(axis=1) for y in years], axis=1)
        for t, v in sales.counts.items()
    }
    units = geo.units
    sheets: list[tuple[str, list[tuple[str, str]], dict[str, PriceTable]]] = []
    for sheet_name, level in (
        ("België", "country"), ("Per gewest", "region"), ("Per provincie", "province"),
        ("Per arrondissement", "arrondissement"),
    ):
        chosen = sorted((u for u in units if u.level == level), key=lambda u: u.code)
        tables = {}
        for t in TYPES:
            counts = np.stack([annual[t][u.members].sum(axis=0) for u in chosen])
            # An aggregate's price level: the sales-weighted mean of its communes' levels.
            weighted = np.stack(
                [(annual[t][u.members] * sales.log_level[t][u.members, None]).sum(axis=0) for u in chosen]
            )
            tables[t] = price_table(rng, counts, weighted / np.maximum(counts, 1), when)
        sheets.append((sheet_name, [(u.code, _upper(u.name_nl)) for u in chosen], tables))
    communes = geo.communes
    sheets.append((
        "Per gemeente",
        [(c, _upper(n)) for c, n in zip(communes["nis_code"], communes["name_nl"], strict=True)],
        {t: price_table(rng, annual[t], sales.log_level[t][:, None], when) for t in TYPES},
    ))
    book = XlsxBook(created=CREATED, creator="cohesion-warehouse", title=_TITLE)
    for sheet_name, rows, tables in sheets:
        sheet = _header(book, sheet_name, "nl")
        row = 4
        for i, (code, name) in enumerate(rows):
            for j, year in enumerate(years):
                groups = [tables[t].cells((i, j)) for t in TYPES]
                sheet.append(_data_row(code, name, year, "Y", groups, row, i + 1), formatted=_NUMBER_COLUMNS)
                row += 1
    book.save(path)


def write_real_estate(model: SampleModel, out_dir: Path) -> list[Path]:
    geo = map_geography(REAL_ESTATE_MAP)
    sales = simulate_sales(model, geo)
    quarterly, annual = out_dir / QUARTERLY_FILE, out_dir / ANNUAL_FILE
    write_quarterly(model, sales, geo, quarterly)
    write_annual(model, sales, geo, annual)
    return [quarterly, annual]
