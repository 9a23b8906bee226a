"""Index editions: reference periods within the lag, national vs regional coverage, the minimum
an edition needs, and the reasons published for everything left out (METHOD.md 3.1)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kernels.editions import plan_editions, population_for_editions
from kernels.methodology import load_methodology

CONFIG = Path(__file__).resolve().parents[2] / "config" / "methodology.yml"
# 10 Flemish, 6 Walloon and 4 Brussels communes.
REGIONS = ["02000"] * 10 + ["03000"] * 6 + ["04000"] * 4
CODES = [f"{11001 + i}" for i in range(20)]


@pytest.fixture(scope="module")
def methodology():
    return load_methodology(CONFIG)


@pytest.fixture(scope="module")
def communes() -> pd.DataFrame:
    return pd.DataFrame({"nis_code": CODES, "region_code": REGIONS, "arrondissement_code": ["11000"] * 20})


def _rows(indicator: str, years, codes=CODES, value: float = 1.0) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"nis_code": c, "year": y, "indicator": indicator, "value": value + i, "numerator": np.nan, "denominator": np.nan}
            for y in years
            for i, c in enumerate(codes)
        ]
    )


FLEMISH = CODES[:10]
# 2016: the national 2016 edition (4 domains) plus employment; 2017-2018: 3 domains, 41.5% + 22.5%;
# 2019-2021: housing, employment, newcomers (50%); 2022-2024: income too.
PUBLISHED_VLG = [2016, 2017, 2018, 2019, 2020, 2021, 2022, 2023, 2024]


@pytest.fixture(scope="module")
def indicators() -> pd.DataFrame:
    # income up to 2013 then 2022 (lagged, gappy); housing 2015..2024; demography and the
    # non-Belgian share 2015 only; newcomers in Flanders only (2019..2024).
    return pd.concat(
        [
            _rows("mean_income_per_declaration", [2012, 2013, 2022]),
            _rows("share_zero_income_declarations", [2012, 2013, 2022]),
            _rows("price_to_income_houses", range(2015, 2025)),
            _rows("share_non_belgian", [2015]),
            _rows("share_age_0_2", [2015]),
            _rows("newcomers_per_1000_3y", range(2019, 2025), codes=FLEMISH),
            _rows("unemployment_rate", range(2016, 2025), codes=FLEMISH),
        ],
        ignore_index=True,
    )


def _edition(plan, year: int, scope: str = "BE") -> pd.DataFrame:
    rows = plan.plan
    return rows[(rows["year"] == year) & (rows["scope"] == scope)].set_index("indicator")


def test_each_indicator_enters_with_its_latest_period_within_the_lag(indicators, communes, methodology):
    plan = plan_editions(indicators, communes, methodology)
    e2015 = _edition(plan, 2015)
    assert bool(e2015["edition_published"].iloc[0])
    # Income 2013 is 2 years old in 2015 (max_lag_years 3): it enters, with its period published.
    assert e2015.loc["mean_income_per_declaration", "reference_period"] == 2013
    assert e2015.loc["mean_income_per_declaration", "lag_years"] == 2
    assert e2015.loc["price_to_income_houses", "reference_period"] == 2015
    assert e2015.loc["share_non_belgian", "reference_period"] == 2015
    assert e2015.loc["share_non_belgian", "domain"] == "arrivals_diversity"
    assert e2015["domains_used"].iloc[0] == "income, housing, arrivals_diversity, demography_needs"
    assert e2015["weight_share"].iloc[0] == pytest.approx(0.64)
    # The values of the edition are those of the chosen periods, under the edition's year.
    inputs = plan.scope_inputs("BE")
    income = inputs[(inputs["year"] == 2015) & (inputs["indicator"] == "mean_income_per_declaration")]
    assert len(income) == 20 and set(income["reference_period"]) == {2013}


def test_an_indicator_beyond_the_lag_is_left_out_with_the_reason(indicators, communes, methodology):
    plan = plan_editions(indicators, communes, methodology)
    e2017 = _edition(plan, 2017)
    row = e2017.loc["mean_income_per_declaration"]
    assert not row["used"]
    assert row["reason"] == "latest reference period 2013 is 4 years before 2017 (max_lag_years 3)"
    # 2017 keeps housing, arrivals/diversity and demography (2015 within 2 years): 3 domains, 41.5%.
    assert not bool(e2017["edition_published"].iloc[0])
    assert e2017["edition_reason"].iloc[0] == (
        "3 domain(s) carrying 41.5% of the weight; an edition needs at least 3 domains and 50% of the weight"
    )
    assert 2017 not in plan.published_years("BE")
    assert plan.published_years("BE") == [2015, 2016]
    # Candidate years run from the earliest reference period of any indicator (2012).
    assert plan.plan["year"].min() == 2012
    assert _edition(plan, 2012).loc["price_to_income_houses", "reason"] == "first reference period 2015, after 2012"


def test_a_flemish_indicator_never_enters_the_national_index(indicators, communes, methodology):
    plan = plan_editions(indicators, communes, methodology)
    row = _edition(plan, 2016).loc["unemployment_rate"]
    assert not row["used"]
    assert row["reason"] == (
        "covers BE-VLG only (communes with a value in 2016: BE-BRU 0%, BE-VLG 100%, BE-WAL 0%; "
        "needed: 65% of every region)"
    )
    national = plan.scope_inputs("BE")
    assert not national["indicator"].isin(["unemployment_rate", "newcomers_per_1000_3y"]).any()
    assert _edition(plan, 2016).loc["mean_income_per_declaration", "reason"] == ""


def test_the_flemish_supplement_adds_the_flemish_indicators(indicators, communes, methodology):
    plan = plan_editions(indicators, communes, methodology)
    vlg = _edition(plan, 2023, "BE-VLG")
    # National income 2022 and housing 2023, plus Flemish employment and newcomers: 4 domains.
    assert bool(vlg["edition_published"].iloc[0])
    assert vlg.loc["unemployment_rate", "used"] and vlg.loc["unemployment_rate", "regional"]
    assert vlg.loc["newcomers_per_1000_3y", "reference_period"] == 2023
    assert vlg.loc["mean_income_per_declaration", "reference_period"] == 2022
    assert not vlg.loc["mean_income_per_declaration", "regional"]
    assert vlg["domains_used"].iloc[0] == "income, employment, housing, arrivals_diversity"
    inputs = plan.scope_inputs("BE-VLG")
    assert set(inputs["nis_code"]) == set(FLEMISH)
    # The national edition of 2023 does not exist (income and housing only): the supplement stands alone.
    assert 2023 not in plan.published_years("BE")
    assert plan.published_years("BE-VLG") == PUBLISHED_VLG


def test_a_supplement_without_regional_indicator_does_not_exist(indicators, communes, methodology):
    plan = plan_editions(indicators, communes, methodology)
    vlg = _edition(plan, 2015, "BE-VLG")
    assert not bool(vlg["edition_published"].iloc[0])
    assert vlg["edition_reason"].iloc[0] == "no indicator of BE-VLG alone within 3 years of 2015"


def test_settings_change_the_editions(indicators, communes, methodology):
    lenient = methodology.model_copy(
        update={"editions": methodology.editions.model_copy(update={"max_lag_years": 5, "min_weight_share": 0.3})}
    )
    plan = plan_editions(indicators, communes, lenient)
    assert _edition(plan, 2017).loc["mean_income_per_declaration", "reference_period"] == 2013
    assert 2017 in plan.published_years("BE")


def test_population_of_an_edition_is_the_nearest_within_the_lag_earlier_first():
    population = pd.DataFrame(
        {"nis_code": ["11001", "11001"], "year": [2015, 2019], "population": [1000.0, 1100.0]}
    )
    aligned = population_for_editions(population, [2013, 2015, 2016, 2019, 2023, 2030], max_lag=3)
    # 2013 has no earlier year: the next one within the lag tells its size; 2023 (2019 is four
    # years back) and 2030 have none.
    assert aligned.set_index("year")["population"].to_dict() == {
        2013: 1000.0, 2015: 1000.0, 2016: 1000.0, 2019: 1100.0
    }
