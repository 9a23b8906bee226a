"""The index and fund models read warehouse tables, which come back in whatever order DuckDB's
threads produced them. Two runs on the same data must publish the same bits, so the glue between
tables and kernels must not let row order reach a sum or the Monte Carlo draws."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kernels import warehouse
from kernels.synthetic import make_synthetic


@pytest.fixture(scope="module")
def tables():
    data = make_synthetic(150, 12, (2022, 2023), seed=7)
    communes = data.communes.assign(region_code=np.where(data.communes.index % 3 == 0, "04000", "02000"))
    population = data.population.rename(columns={"population": "value"})
    # Gate A recomputes arrivals from numerator and denominator, which the synthetic rates lack.
    indicators = data.indicators.merge(data.population, on=["nis_code", "year"])
    arrivals = indicators["indicator"] == "arrivals_per_1000_3y"
    indicators.loc[arrivals, "denominator"] = indicators.loc[arrivals, "population"]
    indicators.loc[arrivals, "numerator"] = indicators.loc[arrivals, "value"] * indicators.loc[arrivals, "population"] / 1000
    return indicators.drop(columns="population"), communes, population


def _shuffled(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    return frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def _run(indicators, communes, population):
    index = warehouse.index_result(indicators, communes, population)
    draws = warehouse.draws_result(indicators, communes, population)
    return index, draws


def test_shuffled_tables_give_the_same_index_and_draws_to_the_bit(tables):
    indicators, communes, population = tables
    index, draws = _run(indicators, communes, population)
    index_s, draws_s = _run(_shuffled(indicators, 1), _shuffled(communes, 2), _shuffled(population, 3))

    pd.testing.assert_frame_equal(index_s.index, index.index, check_exact=True)
    pd.testing.assert_frame_equal(index_s.contributions, index.contributions, check_exact=True)
    pd.testing.assert_frame_equal(draws_s.ranks, draws.ranks, check_exact=True)
    for year in draws.draws:
        assert (draws_s.draws[year].nis_codes == draws.draws[year].nis_codes).all()
        assert np.array_equal(draws_s.draws[year].ranks, draws.draws[year].ranks)
    # The draws really vary per commune: the test would see a draw assigned to another commune.
    assert draws.ranks["rank_p05"].ne(draws.ranks["rank_p95"]).sum() > 100


def test_shuffled_tables_give_the_same_eligibility(tables):
    indicators, communes, population = tables
    rules = warehouse.fund_rules()
    index, draws = _run(indicators, communes, population)
    expected = warehouse.fund_eligibility(indicators, communes, index.index, draws, rules)
    index_s, draws_s = _run(_shuffled(indicators, 4), _shuffled(communes, 5), _shuffled(population, 6))
    found = warehouse.fund_eligibility(
        _shuffled(indicators, 7), _shuffled(communes, 8), _shuffled(index_s.index, 9), draws_s, rules
    )
    keys = ["year", "nis_code"]
    pd.testing.assert_frame_equal(
        found.sort_values(keys, ignore_index=True), expected.sort_values(keys, ignore_index=True), check_exact=True
    )
    # Some communes are borderline, so the comparison covers probabilities, not only 0 and 1.
    assert expected["eligibility_probability"].between(0.0, 1.0, inclusive="neither").sum() >= 10
