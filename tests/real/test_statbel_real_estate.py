"""Real-estate sales, quarterly (FR) and annual (NL) workbooks, restated on the 565 map
(SOURCES.md section 6). Expected counts were taken from the raw sheets with openpyxl."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ingestion.errors import ParseError
from ingestion.parsers.statbel_real_estate import parse_statbel_immo_annual, parse_statbel_immo_quarterly

pytestmark = pytest.mark.real
DATASET = "statbel_real_estate"
GROUPS = ("houses", "houses_2_3_facades", "houses_4_facades", "apartments")


@pytest.fixture(scope="module")
def annual_path(data_real: Path) -> Path:
    return data_real / "statbel-immo" / "NL_immo_statbel_jaar.xlsx"


@pytest.fixture(scope="module")
def quarterly(data_real: Path) -> pd.DataFrame:
    path = data_real / "statbel-immo" / "FR_immo_statbel_trimestre_par_commune.xlsx"
    return parse_statbel_immo_quarterly(path, dataset=DATASET)


@pytest.fixture(scope="module")
def annual(annual_path: Path) -> pd.DataFrame:
    return parse_statbel_immo_annual(annual_path, dataset=DATASET)


def _wide(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.pivot(index=["nis_code", "period"], columns="measure", values="value")


def test_quarterly_is_565_communes_times_61_quarters(quarterly):
    commune_quarters = quarterly[["nis_code", "period"]].drop_duplicates()
    assert len(commune_quarters) == 34_465 == 565 * 61
    assert len(quarterly) == 34_465 * 16
    assert quarterly["period"].min() == "2010Q1" and quarterly["period"].max() == "2025Q1"
    assert set(quarterly["map_vintage"]) == {565}
    assert quarterly.attrs["dropped"] == {"totals_rows": 0, "pseudo_codes": 0}


def test_quarterly_is_restated_on_the_2025_map(quarterly):
    codes = set(quarterly["nis_code"].unique())
    assert codes.isdisjoint({"11007", "46003", "23023", "82003"})
    first = set(quarterly.loc[quarterly["period"] == "2010Q1", "nis_code"].unique())
    assert {"46030", "23106", "82039"} <= first


def test_quarterly_blank_prices_are_suppressed_nulls(quarterly):
    medians = quarterly[quarterly["measure"].str.startswith("price_median_")]
    suppressed = medians[medians["status"] == "suppressed"]
    assert suppressed["value"].isna().all()
    counts = suppressed.groupby("measure").size().to_dict()
    assert counts == {
        "price_median_houses": 10_994,
        "price_median_houses_2_3_facades": 19_560,
        "price_median_houses_4_facades": 26_043,
        "price_median_apartments": 28_893,
    }


def test_quarterly_blank_sales_are_zero_not_suppressed(quarterly):
    sales = quarterly[quarterly["measure"].str.startswith("sales_")]
    assert set(sales["status"]) == {"published"} and sales["value"].notna().all()
    wide = _wide(quarterly)
    baerle_duc = wide.loc[("13002", "2011Q1")]  # no sale at all that quarter
    assert [baerle_duc[f"sales_{g}"] for g in GROUPS] == [0, 0, 0, 0]
    assert all(np.isnan(baerle_duc[f"price_median_{g}"]) for g in GROUPS)
    # All houses = 2-3 façades + 4 façades, on every row, only if blanks are 0.
    pd.testing.assert_series_equal(
        wide["sales_houses"],
        wide["sales_houses_2_3_facades"] + wide["sales_houses_4_facades"],
        check_names=False,
    )
    assert wide["sales_houses"].sum() == 1_336_181
    assert wide["sales_apartments"].sum() == 554_425


def test_quarterly_values_as_published(quarterly):
    wide = _wide(quarterly)
    aartselaar = wide.loc[("11001", "2010Q1")]
    assert (aartselaar["sales_houses"], aartselaar["price_median_houses"]) == (29, 252_000)
    assert (aartselaar["price_q1_houses"], aartselaar["price_q3_houses"]) == (225_000, 290_000)
    assert aartselaar["sales_houses_4_facades"] == 4 and np.isnan(aartselaar["price_median_houses_4_facades"])
    bruxelles = wide.loc[("21004", "2024Q1")]
    assert (bruxelles["sales_houses"], bruxelles["price_median_houses"]) == (57, 387_500)
    assert (bruxelles["sales_apartments"], bruxelles["price_median_apartments"]) == (275, 282_000)


def test_annual_is_565_communes_times_15_years(annual):
    commune_years = annual[["nis_code", "period"]].drop_duplicates()
    assert len(commune_years) == 8_475 == 565 * 15
    assert sorted(annual["period"].unique()) == [str(y) for y in range(2010, 2025)]
    assert set(annual["map_vintage"]) == {565}
    medians = annual[annual["measure"].str.startswith("price_median_") & (annual["status"] == "suppressed")]
    assert medians.groupby("measure").size().to_dict() == {
        "price_median_houses": 167,
        "price_median_houses_2_3_facades": 1_230,
        "price_median_houses_4_facades": 1_429,
        "price_median_apartments": 4_970,
    }
    assert _wide(annual)["sales_houses"].sum() == 1_311_282


def test_annual_values_as_published_for_liege_2024(annual):
    liege = _wide(annual).loc[("62063", "2024")]
    assert [liege[f"sales_{g}"] for g in GROUPS] == [914, 859, 55, 482]
    assert [liege[f"price_median_{g}"] for g in GROUPS] == [177_500, 175_000, 288_000, 158_000]
    assert [liege[f"price_q1_{g}"] for g in GROUPS] == [135_500, 135_000, 190_000, 125_000]
    assert [liege[f"price_q3_{g}"] for g in GROUPS] == [235_000, 225_500, 360_000, 205_000]


def test_annual_year_argument_outside_the_sheet_is_an_error(annual_path):
    with pytest.raises(ParseError) as caught:
        parse_statbel_immo_annual(annual_path, dataset=DATASET, year=2025)
    assert str(caught.value) == (
        "dataset statbel_real_estate, file NL_immo_statbel_jaar.xlsx: "
        "the year argument says 2025 but the sheet holds only 2010..2024"
    )


def test_annual_commune_sales_add_up_to_the_belgium_sheet_every_year(annual):
    # Statbel's own België sheet: 4 property groups x 15 years, every one equal to the sale.
    outcomes = [o for by_year in annual.attrs["reconciliation"].values() for o in by_year.values()]
    assert len(outcomes) == 60
    assert set(outcomes) == {"reconciled"}
    houses_2024 = _wide(annual).xs("2024", level="period")["sales_houses"].sum()
    assert houses_2024 == 86_262  # the België row for 2024
