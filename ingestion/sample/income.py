"""Synthetic `TF_PSNL_INC_TAX_MUNTY.zip`: Statbel's fiscal-income panel (SOURCES.md 5.1, 5.2).

The 41 columns of the real file, one row per commune (581 map for every year, as the current
release restates them) and income year ``first_year..last_year - 2`` (income is published about
two years late: the current release ends in 2023), `|`-separated UTF-8 with BOM and CRLF.
Amounts in euros with at most two decimals written as Python floats (`260615502.8`, `0.0`), as
in the real text. The published identities
hold to the cent: net income = real estate + movable + various + professional income; taxable =
net income - deductible spending = separately + jointly taxed; total taxes = state + municipal +
agglomeration. A detail count of 1 to 4 and its amount are `*` (suppressed), as in the current
release; so is a count of 1 to 4 declarations with zero income.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ingestion.sample.files import write_zip
from ingestion.sample.geo import map_geography
from ingestion.sample.model import SampleModel, stream
from ingestion.sample.population import commune_place_fields
from ingestion.sample.years import INCOME_LAG, lagged_years

FILE_NAME = "TF_PSNL_INC_TAX_MUNTY.zip"
MEMBER_NAME = "TF_PSNL_INC_TAX_MUNTY.txt"
INCOME_MAP = 581
COLUMNS: tuple[str, ...] = (
    "CD_YEAR", "CD_MUNTY_REFNIS", "MS_NBR_NON_ZERO_INC", "MS_NBR_ZERO_INC", "MS_TOT_NET_TAXABLE_INC",
    "MS_TOT_NET_INC", "MS_NBR_TOT_NET_INC", "MS_REAL_ESTATE_NET_INC", "MS_NBR_REAL_ESTATE_NET_INC",
    "MS_TOT_NET_MOV_ASS_INC", "MS_NBR_NET_MOV_ASS_INC", "MS_TOT_NET_VARIOUS_INC", "MS_NBR_NET_VARIOUS_INC",
    "MS_TOT_NET_PROF_INC", "MS_NBR_NET_PROF_INC", "MS_SEP_TAXABLE_INC", "MS_NBR_SEP_TAXABLE_INC",
    "MS_JOINT_TAXABLE_INC", "MS_NBR_JOINT_TAXABLE_INC", "MS_TOT_DEDUCT_SPEND", "MS_NBR_DEDUCT_SPEND",
    "MS_TOT_STATE_TAXES", "MS_NBR_STATE_TAXES", "MS_TOT_MUNICIP_TAXES", "MS_NBR_MUNICIP_TAXES",
    "MS_TOT_SUBURBS_TAXES", "MS_NBR_SUBURBS_TAXES", "MS_TOT_TAXES", "MS_NBR_TOT_TAXES", "MS_TOT_RESIDENTS",
    "TX_MUNTY_DESCR_NL", "TX_MUNTY_DESCR_FR", "CD_DSTR_REFNIS", "TX_ADM_DSTR_DESCR_NL", "TX_ADM_DSTR_DESCR_FR",
    "CD_PROV_REFNIS", "TX_PROV_DESCR_NL", "TX_PROV_DESCR_FR", "CD_RGN_REFNIS", "TX_RGN_DESCR_NL",
    "TX_RGN_DESCR_FR",
)
# (amount, count) pairs hidden when the count is small, and the count-only cells.
SUPPRESSIBLE_PAIRS: tuple[tuple[str, str], ...] = (
    ("MS_REAL_ESTATE_NET_INC", "MS_NBR_REAL_ESTATE_NET_INC"),
    ("MS_TOT_NET_MOV_ASS_INC", "MS_NBR_NET_MOV_ASS_INC"),
    ("MS_TOT_NET_VARIOUS_INC", "MS_NBR_NET_VARIOUS_INC"),
    ("MS_SEP_TAXABLE_INC", "MS_NBR_SEP_TAXABLE_INC"),
    ("MS_TOT_DEDUCT_SPEND", "MS_NBR_DEDUCT_SPEND"),
)
SUPPRESSIBLE_COUNTS: tuple[str, ...] = ("MS_NBR_ZERO_INC",)
SMALL_COUNT = range(1, 5)
SUPPRESSED = "*"
# Mean net taxable income per declaration with income in 2019 (Statbel: about 35,000 EUR).
MEAN_INCOME_2019 = 36_000.0
_REGION_INCOME = {"02000": 1.04, "03000": 0.95, "04000": 0.92}


def _cents(values: np.ndarray) -> np.ndarray:
    return np.round(values * 100).astype(np.int64)


def income_year(model: SampleModel, year: int) -> dict[str, np.ndarray]:
    """Every measure column for income ``year`` on the base map: counts as int, amounts in cents."""
    c = model.communes
    rng = stream(model.seed, "income", year)
    n = len(c.codes)
    noise = stream(model.seed, "income-level").normal(size=n)  # a commune's own level, every year
    mean = (
        MEAN_INCOME_2019
        * np.array([_REGION_INCOME[r] for r in c.region])
        * np.exp(-0.13 * c.need + 0.06 * noise)
        * 1.03 ** (year - 2019)
    )
    # Residents are counted on 1 January of the assessment year, the year after the income.
    residents = rng.binomial(model.population[year + 1], 0.998)
    filers = rng.binomial(residents, np.clip(0.575 * np.exp(-0.04 * c.need), 0, 0.9))
    out: dict[str, np.ndarray] = {
        "MS_TOT_RESIDENTS": residents,
        "MS_NBR_NON_ZERO_INC": filers,
        "MS_NBR_TOT_NET_INC": filers,
        "MS_NBR_ZERO_INC": rng.binomial(filers, np.clip(0.055 * np.exp(0.45 * c.need), 0, 0.5)),
    }

    def detail(share: np.ndarray | float, per_filer: float) -> tuple[np.ndarray, np.ndarray]:
        count = rng.binomial(filers, share)
        amount = _cents(count * per_filer * np.exp(rng.normal(0, 0.1, n)) * (mean / MEAN_INCOME_2019))
        return count, amount

    out["MS_NBR_REAL_ESTATE_NET_INC"], out["MS_REAL_ESTATE_NET_INC"] = detail(0.10, 3_500.0)
    out["MS_NBR_NET_MOV_ASS_INC"], out["MS_TOT_NET_MOV_ASS_INC"] = detail(0.013 * np.exp(-0.3 * c.need), 6_000.0)
    out["MS_NBR_NET_VARIOUS_INC"], out["MS_TOT_NET_VARIOUS_INC"] = detail(0.02, 2_800.0)
    out["MS_NBR_DEDUCT_SPEND"], out["MS_TOT_DEDUCT_SPEND"] = detail(0.31, 950.0)
    out["MS_NBR_SEP_TAXABLE_INC"], out["MS_SEP_TAXABLE_INC"] = detail(0.21, 7_000.0)
    target = _cents(filers * mean) + out["MS_TOT_DEDUCT_SPEND"]  # net income before deductions
    others = out["MS_REAL_ESTATE_NET_INC"] + out["MS_TOT_NET_MOV_ASS_INC"] + out["MS_TOT_NET_VARIOUS_INC"]
    out["MS_TOT_NET_PROF_INC"] = np.maximum(target - others, 0)
    out["MS_NBR_NET_PROF_INC"] = rng.binomial(filers, 0.993)
    out["MS_NBR_JOINT_TAXABLE_INC"] = rng.binomial(filers, 0.9995)
    state_count = rng.binomial(filers, np.clip(0.8 * np.exp(-0.08 * c.need), 0, 1))
    taxable = out["MS_REAL_ESTATE_NET_INC"] + out["MS_TOT_NET_MOV_ASS_INC"] + out["MS_TOT_NET_VARIOUS_INC"]
    taxable = taxable + out["MS_TOT_NET_PROF_INC"] - out["MS_TOT_DEDUCT_SPEND"]
    out["MS_TOT_STATE_TAXES"] = _cents(taxable / 100 * 0.265 * (mean / MEAN_INCOME_2019) ** 0.3)
    out["MS_NBR_STATE_TAXES"] = state_count
    municipal_rate = 0.07 + 0.01 * stream(model.seed, "municipal-rate").normal(size=n)
    out["MS_TOT_MUNICIP_TAXES"] = _cents(out["MS_TOT_STATE_TAXES"] / 100 * np.clip(municipal_rate, 0.0, 0.09))
    out["MS_NBR_MUNICIP_TAXES"] = rng.binomial(state_count, 0.985)
    # Only the Brussels agglomeration levies a tax on top of the municipal one.
    out["MS_TOT_SUBURBS_TAXES"] = np.where(c.brussels, _cents(out["MS_TOT_STATE_TAXES"] / 100 * 0.01), 0)
    out["MS_NBR_SUBURBS_TAXES"] = np.where(c.brussels, rng.binomial(state_count, 0.99), 0)
    out["MS_NBR_TOT_TAXES"] = state_count + rng.binomial(filers - state_count, 0.005)
    return out


def _derived_cents(v: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The published identities, computed after aggregation so they hold to the cent."""
    net = v["MS_REAL_ESTATE_NET_INC"] + v["MS_TOT_NET_MOV_ASS_INC"] + v["MS_TOT_NET_VARIOUS_INC"]
    net = net + v["MS_TOT_NET_PROF_INC"]
    taxable = net - v["MS_TOT_DEDUCT_SPEND"]
    return {
        "MS_TOT_NET_INC": net,
        "MS_TOT_NET_TAXABLE_INC": taxable,
        "MS_JOINT_TAXABLE_INC": taxable - v["MS_SEP_TAXABLE_INC"],
        "MS_TOT_TAXES": v["MS_TOT_STATE_TAXES"] + v["MS_TOT_MUNICIP_TAXES"] + v["MS_TOT_SUBURBS_TAXES"],
    }


def income_years(model: SampleModel) -> range:
    return lagged_years(model.first_year, model.last_year, lag=INCOME_LAG)


def _euros(cents: int) -> str:
    return repr(cents / 100)


def income_text(model: SampleModel) -> bytes:
    geo = map_geography(INCOME_MAP)
    places = commune_place_fields(INCOME_MAP)
    amount_columns = {
        "MS_TOT_NET_TAXABLE_INC", "MS_TOT_NET_INC", "MS_REAL_ESTATE_NET_INC", "MS_TOT_NET_MOV_ASS_INC",
        "MS_TOT_NET_VARIOUS_INC", "MS_TOT_NET_PROF_INC", "MS_SEP_TAXABLE_INC", "MS_JOINT_TAXABLE_INC",
        "MS_TOT_DEDUCT_SPEND", "MS_TOT_STATE_TAXES", "MS_TOT_MUNICIP_TAXES", "MS_TOT_SUBURBS_TAXES",
        "MS_TOT_TAXES",
    }
    measures = list(COLUMNS[2:30])  # MS_NBR_NON_ZERO_INC .. MS_TOT_RESIDENTS
    years = list(income_years(model))
    per_year = []
    for year in years:
        values = {k: geo.aggregate(v) for k, v in income_year(model, year).items()}
        values.update(_derived_cents(values))
        text = {k: [_euros(x) if k in amount_columns else str(x) for x in values[k].tolist()] for k in measures}
        for amount, count in SUPPRESSIBLE_PAIRS:
            for i, number in enumerate(values[count].tolist()):
                if number in SMALL_COUNT:
                    text[amount][i] = text[count][i] = SUPPRESSED
        for count in SUPPRESSIBLE_COUNTS:
            for i, number in enumerate(values[count].tolist()):
                if number in SMALL_COUNT:
                    text[count][i] = SUPPRESSED
        per_year.append(text)
    lines = ["|".join(COLUMNS)]
    for i, place in enumerate(places):  # commune by commune, years in order, as the real file
        code, names = place.split("|", 1)
        for year, text in zip(years, per_year, strict=True):
            lines.append("|".join((str(year), code, *(text[m][i] for m in measures), names)))
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


def write_income(model: SampleModel, out_dir: Path) -> list[Path]:
    path = out_dir / FILE_NAME
    write_zip(path, [(MEMBER_NAME, income_text(model))])
    return [path]
