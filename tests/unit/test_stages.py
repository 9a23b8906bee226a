"""The index and fund stages (kernels/stages.py): every table once, the Monte Carlo draws made
once and kept, and the fund computed from the kept draws exactly as from the draws themselves."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from kernels import stages, warehouse
from kernels.synthetic import make_synthetic


@pytest.fixture(scope="module")
def tables():
    data = make_synthetic(120, 12, (2022, 2023), seed=11)
    communes = data.communes.assign(
        region_code=np.where(data.communes.index % 3 == 0, "04000", "02000"),
        name_fr=lambda f: "Commune " + f["nis_code"].astype(str),
        name_nl=lambda f: "Gemeente " + f["nis_code"].astype(str),
    )
    population = data.population.rename(columns={"population": "value"})
    # Gate A recomputes arrivals from numerator and denominator, which the synthetic rates lack.
    indicators = data.indicators.merge(data.population, on=["nis_code", "year"])
    arrivals = indicators["indicator"] == "arrivals_per_1000_3y"
    indicators.loc[arrivals, "denominator"] = indicators.loc[arrivals, "population"]
    indicators.loc[arrivals, "numerator"] = indicators.loc[arrivals, "value"] * indicators.loc[arrivals, "population"] / 1000
    return indicators.drop(columns="population"), communes, population


def _through_duckdb(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame as the fund stage reads it back from the working database."""
    with duckdb.connect() as con:
        con.register("frame", frame)
        con.execute("create table kept as select * from frame")
        return con.execute("select * from kept").df()


def test_kept_draws_give_the_fund_the_same_eligibility_to_the_bit(tables):
    indicators, communes, population = tables
    m = warehouse.methodology()
    rules = warehouse.fund_rules()
    index = warehouse.index_result(indicators, communes, population, m=m)
    draws = warehouse.draws_result(indicators, communes, population, m=m)
    kept = _through_duckdb(stages.draws_frame(draws))
    assert len(kept) == len(draws.ranks) and len(kept["ranks"].iloc[0]) == m.uncertainty.draws
    restored = stages.draws_from_frame(kept)
    assert sorted(restored) == sorted(draws.draws)
    for year, original in draws.draws.items():
        assert (restored[year].nis_codes == np.asarray(original.nis_codes).astype(str)).all()
        assert np.array_equal(restored[year].ranks, original.ranks)
    expected = warehouse.fund_eligibility(indicators, communes, index.index, draws, rules)
    found = warehouse.fund_eligibility(indicators, communes, index.index, restored, rules)
    pd.testing.assert_frame_equal(found, expected, check_exact=True)
    # Some communes are borderline: the comparison covers probabilities, not only 0 and 1.
    assert expected["eligibility_probability"].between(0.0, 1.0, inclusive="neither").sum() >= 5


def test_the_index_stage_writes_every_table_from_one_index_and_one_set_of_draws(tables):
    indicators, communes, population = tables
    m = warehouse.methodology()
    written = stages.index_tables(indicators, communes, population, m)
    assert tuple(written) == stages.INDEX_TABLES
    # The uncertainty table summarises the very draws kept for the fund.
    ranks = written["index_draws"].set_index(["nis_code", "year"])["ranks"]
    summary = written["index_uncertainty"].set_index(["nis_code", "year"])
    median = ranks.map(lambda r: float(np.percentile(r, 50, method="inverted_cdf"))).reindex(summary.index)
    np.testing.assert_allclose(median.to_numpy(), summary["rank_median"].to_numpy(dtype=float))
    # And the index is the one the kernels compute on their own.
    alone = warehouse.index_result(indicators, communes, population, m=m).index
    pd.testing.assert_frame_equal(written["index_cohesion"], alone, check_exact=True)
    assert set(written["index_cohesion"]["methodology_version"]) == {m.version}


def test_two_workers_compute_the_tables_of_one(tables):
    # The pipeline's stages run on one thread by default (COHESION_STAGE_WORKERS): two save about
    # 2 s of a sample run and cost about 100 MB more at the peak. Either way the tables are the same.
    indicators, communes, population = tables
    m, rules = warehouse.methodology(), warehouse.fund_rules()
    one = stages.index_tables(indicators, communes, population, m, workers=1)
    two = stages.index_tables(indicators, communes, population, m, workers=2)
    assert list(two) == list(one)
    for name in one:
        pd.testing.assert_frame_equal(two[name], one[name], check_exact=True, obj=name)
    drivers = sorted({line.needs_driver for line in rules.budget_lines})
    years = sorted(indicators["year"].unique())
    needs = pd.concat([communes[["nis_code"]].assign(year=year) for year in years], ignore_index=True)
    needs = needs.assign(**{d: np.arange(1.0, len(needs) + 1) for d in drivers})
    fund_one = stages.fund_tables(indicators, communes, population, needs, one, rules, m, workers=1)
    fund_two = stages.fund_tables(indicators, communes, population, needs, one, rules, m, workers=2)
    assert list(fund_two) == list(fund_one)
    for name in fund_one:
        pd.testing.assert_frame_equal(fund_two[name], fund_one[name], check_exact=True, obj=name)
    assert fund_one["fund_editions_calc"]["computed"].astype(bool).any()
