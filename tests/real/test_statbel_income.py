"""Fiscal income: the TF_PSNL_INC_TAX_MUNTY panel 2005-2013 (589 map) and the 2022 workbook
fisc2022_C_NL.xls (581 map), SOURCES.md section 5."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ingestion.errors import ParseError
from ingestion.parsers.statbel_income import parse_statbel_fisc_workbook, parse_statbel_income_panel

pytestmark = pytest.mark.real
DATASET = "statbel_income"


@pytest.fixture(scope="module")
def panel_path(data_real: Path) -> Path:
    return data_real / "statbel-income" / "TF_PSNL_INC_TAX_MUNTY_2005_2013.zip"


@pytest.fixture(scope="module")
def panel(panel_path: Path) -> pd.DataFrame:
    return parse_statbel_income_panel(panel_path, dataset=DATASET)


@pytest.fixture(scope="module")
def fisc(data_real: Path) -> pd.DataFrame:
    return parse_statbel_fisc_workbook(data_real / "statbel-income" / "fisc2022_C_NL.xls", dataset=DATASET)


def _value(frame: pd.DataFrame, code: str, period: str, measure: str) -> pd.Series:
    hit = frame[(frame["nis_code"] == code) & (frame["period"] == period) & (frame["measure"] == measure)]
    assert len(hit) == 1
    return hit.iloc[0]


def test_panel_is_589_communes_times_2005_to_2013(panel):
    commune_years = panel[["nis_code", "period"]].drop_duplicates()
    assert len(commune_years) == 5_301 == 589 * 9
    assert sorted(panel["period"].unique()) == [str(y) for y in range(2005, 2014)]
    assert set(panel["map_vintage"]) == {589}
    assert set(panel["measure"]) == {
        "declarations_total",
        "declarations_zero_income",
        "net_taxable_income_total",
        "residents",
    }
    assert set(panel["status"]) == {"published"}
    assert panel.attrs["dropped"] == {"totals_rows": 0, "pseudo_codes": 0}


def test_panel_values_as_published_for_aartselaar_2005(panel):
    # 2005|11001|8065|381|260615502.8|...|14375
    assert _value(panel, "11001", "2005", "declarations_total")["value"] == 8_065 + 381
    assert _value(panel, "11001", "2005", "declarations_zero_income")["value"] == 381
    assert _value(panel, "11001", "2005", "net_taxable_income_total")["value"] == pytest.approx(260_615_502.8)
    assert _value(panel, "11001", "2005", "residents")["value"] == 14_375
    assert _value(panel, "11001", "2005", "residents")["unit"] == "persons"


def test_panel_keeps_every_year_when_a_year_is_given(panel_path, panel):
    again = parse_statbel_income_panel(panel_path, dataset=DATASET, year=2010)
    assert len(again) == len(panel)


def test_panel_year_argument_outside_the_panel_is_an_error(panel_path):
    with pytest.raises(ParseError) as caught:
        parse_statbel_income_panel(panel_path, dataset=DATASET, year=2014)
    assert str(caught.value) == (
        "dataset statbel_income, file TF_PSNL_INC_TAX_MUNTY_2005_2013.zip: "
        "the year argument says 2014 but CD_YEAR holds only 2005..2013"
    )


def test_workbook_has_the_581_communes_and_no_totals_row(fisc):
    assert fisc["nis_code"].nunique() == 581
    assert set(fisc["map_vintage"]) == {581}
    assert set(fisc["period"]) == {"2022"}
    assert not fisc["nis_code"].str.endswith("000").any()
    assert not fisc["nis_code"].isin(["20001", "20002", "3001", "03001"]).any()
    # Belgium, 3 regions, 10 provinces and 43 arrondissements; the German-speaking Community.
    assert fisc.attrs["dropped"] == {"totals_rows": 57, "pseudo_codes": 1}
    assert len(fisc) == 581 * 9


def test_workbook_communes_add_up_to_the_dropped_belgium_row(fisc):
    sums = fisc.groupby("measure")["value"].sum()
    assert sums["residents"] == 11_697_557
    # Commune amounts are published rounded to the euro: at most half a euro each off.
    assert abs(sums["net_taxable_income_total"] - 254_676_934_997) <= 581 / 2
    # Herstappe and Voeren hide their zero-income count (110 declarations in all).
    assert sums["declarations_zero_income"] == 501_410 - 110


def test_workbook_herstappe_suppressed_cells_are_null(fisc):
    for measure in ("declarations_zero_income", "declarations_under_10k", "declarations_total"):
        row = _value(fisc, "73028", "2022", measure)
        assert row["status"] == "suppressed" and np.isnan(row["value"])
    residents = _value(fisc, "73028", "2022", "residents")
    assert (residents["value"], residents["status"]) == (77, "published")
    assert _value(fisc, "73028", "2022", "median_income_per_declaration")["value"] == 42_022
    assert (fisc["status"] == "suppressed").sum() == 2 * 3  # Herstappe and Voeren


def test_workbook_values_as_published_for_aartselaar(fisc):
    expected = {
        "declarations_total": 325 + 8_581,
        "declarations_zero_income": 325,
        "declarations_under_10k": 1_076,
        "residents": 14_752,
        "net_taxable_income_total": 398_803_725,
        "mean_income_per_declaration": 46_475,
        "median_income_per_declaration": 34_397,
        "mean_income_per_inhabitant": 27_034,
        "prosperity_index": 124,
    }
    found = {m: _value(fisc, "11001", "2022", m)["value"] for m in expected}
    assert found == expected
    assert _value(fisc, "11001", "2022", "prosperity_index")["unit"] == "index"


def test_fisc_2022_communes_reconcile_with_statbels_belgium_row(data_real):
    from ingestion.summary import reconciliation_summary
    from ingestion.parsers import statbel_income

    frame = statbel_income.parse_statbel_fisc_workbook(
        data_real / "statbel-income" / "fisc2022_C_NL.xls", dataset="statbel_income"
    )
    assert frame.attrs["reconciliation"] == {
        "declarations_zero_income": "not checked: 2 commune(s) suppressed",
        "declarations_non_zero": "reconciled",
        "declarations_under_10k": "not checked: 2 commune(s) suppressed",
        "residents": "reconciled",
        "net_taxable_income_total": "reconciled",
    }
    assert reconciliation_summary(frame.attrs["reconciliation"]) == (
        "3 reconciled, 2 not checked: 2 commune(s) suppressed"
    )
