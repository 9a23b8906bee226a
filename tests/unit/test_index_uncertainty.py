"""Monte Carlo uncertainty of the ranks: reproducible, consistent with the index, fast enough."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kernels.index import compute_index
from kernels.methodology import load_methodology
from kernels.sensitivity import run_sensitivity
from kernels.synthetic import make_synthetic
from kernels.uncertainty import benchmark, run_uncertainty

CONFIG = Path(__file__).resolve().parents[2] / "config" / "methodology.yml"
METHOD_1 = Path(__file__).resolve().parents[2] / "config" / "archive" / "methodology_2026.2.yml"


@pytest.fixture(scope="module")
def methodology():
    return load_methodology(CONFIG)


@pytest.fixture(scope="module")
def method_1():
    return load_methodology(METHOD_1)


@pytest.fixture(scope="module")
def data():
    return make_synthetic(565, 43, (2022,), seed=21)


@pytest.fixture(scope="module")
def mc(data, methodology):
    return run_uncertainty(data.indicators, data.communes, methodology, data.population)


def test_one_row_per_scored_commune_with_1000_draws(mc):
    r = mc.ranks
    assert list(r.columns) == ["nis_code", "year", "rank_nominal", "rank_median", "rank_p05", "rank_p95", "draws"]
    assert len(r) == 565
    assert (r["draws"] == 1000).all()
    assert (r["rank_p05"] <= r["rank_median"]).all() and (r["rank_median"] <= r["rank_p95"]).all()
    assert r["rank_p05"].min() >= 1 and r["rank_p95"].max() <= 565
    assert mc.draws[2022].ranks.shape == (1000, 565)


def test_nominal_rank_is_the_index_rank(mc, data, methodology):
    idx = compute_index(data.indicators, data.communes, methodology, data.population).index
    merged = mc.ranks.merge(idx, on=["nis_code", "year"])
    np.testing.assert_array_equal(merged["rank_nominal"], merged["rank"].astype(int))


def test_intervals_contain_the_nominal_rank_in_most_cases(mc):
    r = mc.ranks
    inside = (r["rank_p05"] <= r["rank_nominal"]) & (r["rank_nominal"] <= r["rank_p95"])
    assert inside.mean() >= 0.9
    assert (r["rank_p95"] - r["rank_p05"]).median() > 0  # the choices do move ranks


def test_same_seed_same_result_other_seed_other_draws(mc, data, methodology):
    again = run_uncertainty(data.indicators, data.communes, methodology, data.population)
    pd.testing.assert_frame_equal(again.ranks, mc.ranks)
    pd.testing.assert_frame_equal(again.draws[2022].choices, mc.draws[2022].choices)
    other = run_uncertainty(data.indicators, data.communes, methodology, data.population, seed=1)
    assert not other.draws[2022].choices.equals(mc.draws[2022].choices)
    assert not np.array_equal(other.draws[2022].ranks, mc.draws[2022].ranks)


@pytest.fixture(scope="module")
def mc_1(data, method_1):
    return run_uncertainty(data.indicators, data.communes, method_1, data.population)


def test_draws_follow_the_configured_options_and_probabilities(mc_1):
    choices = mc_1.draws[2022].choices
    assert set(choices["normalisation"]) == {"rank_normal", "min_max", "z_score"}
    assert set(choices["winsorising_limit"]) == {1, 2, 3, 4, 5}
    assert (choices["leave_domain_out"] == "none").mean() == pytest.approx(0.4, abs=0.05)
    left_out = choices[choices["leave_domain_out"] == "income"]
    assert (left_out["weight_income"] == 0).all()
    weights = choices.filter(like="weight_")
    np.testing.assert_allclose(weights.sum(axis=1), 100.0)
    kept = choices[choices["leave_domain_out"] == "none"]
    assert kept["weight_income"].between(22.5 * 0.75 * 0.8, 22.5 * 1.25 * 1.2).all()


def test_method_1_sensitivity_per_choice(data, method_1):
    s = run_sensitivity(data.indicators, data.communes, method_1, data.population, sobol=False).one_at_a_time
    s = s[s["analysis"] == "method_choice"].set_index(["choice", "option"])["mean_abs_rank_shift"]
    assert set(s.index.get_level_values("choice")) == {
        "outlier_treatment", "winsorising_limit", "smoothing", "normalisation", "aggregation", "leave_domain_out", "weights",
    }
    # Rank-normal (nominal) runs no outlier treatment: switching it off cannot move a rank.
    assert s[("outlier_treatment", "False")] == 0
    # Leaving a heavily weighted domain out moves ranks; every domain left out moves some.
    assert s[("leave_domain_out", "income")] > 1
    assert (s.xs("leave_domain_out", level="choice") > 0).all()
    assert s[("aggregation", "arithmetic")] > 0 and s[("weights", "noise 0.25")] > 0


def test_outlier_treatment_matters_under_min_max(data, method_1):
    minmax = method_1.model_copy(update={"normalisation": "min_max"})
    s = run_sensitivity(data.indicators, data.communes, minmax, data.population, sobol=False).one_at_a_time
    s = s.set_index(["choice", "option"])["mean_abs_rank_shift"]
    assert s[("outlier_treatment", "False")] > 0


def test_draw_ranks_frame_is_long(mc):
    long = mc.draw_ranks_frame()
    assert list(long.columns) == ["nis_code", "year", "draw", "rank"]
    assert len(long) == 565 * 1000
    first = long[long["draw"] == 0].set_index("nis_code")["rank"]
    np.testing.assert_array_equal(first.to_numpy(), mc.draws[2022].ranks[0])
    assert mc.draws[2022].ranks_by_commune.shape == (565, 1000)  # the fund's layout


def test_benchmark_1000_draws_of_565_communes_over_7_years_under_10_seconds():
    # Data, imputation and method draws (method 2), processor time.
    seconds = benchmark(n_communes=565, draws=1000, years=7)
    assert 0 < seconds < 10


def _only(m, *, data=False, imputation=False, choices=False, noise=0.0):
    """The methodology with only the named sources of uncertainty switched on."""
    return m.model_copy(
        update={
            "uncertainty": m.uncertainty.model_copy(
                update={
                    "data": data,
                    "imputation": imputation,
                    "weight_noise": noise,
                    "choices": m.uncertainty.choices if choices else (),
                }
            )
        }
    )


def _widths(res) -> pd.Series:
    r = res.ranks
    return (r["rank_p95"] - r["rank_p05"]).set_axis(r["nis_code"])


@pytest.fixture(scope="module")
def sources(data, methodology):
    """Intervals (200 draws) with no source, each source alone, all, and all but each one."""
    run = lambda m: run_uncertainty(data.indicators, data.communes, m, data.population, draws=200)  # noqa: E731
    on = {"data": True, "imputation": True, "choices": True, "noise": 0.25}
    off = {"data": False, "imputation": False, "choices": False, "noise": 0.0}
    out = {"none": run(_only(methodology)), "all": run(_only(methodology, **on))}
    for name in on:
        out[f"only {name}"] = run(_only(methodology, **{name: on[name]}))
        out[f"all but {name}"] = run(_only(methodology, **{**on, name: off[name]}))
    return out


def test_without_any_source_every_interval_is_the_nominal_rank(sources):
    r = sources["none"].ranks
    assert (r["rank_p05"] == r["rank_nominal"]).all() and (r["rank_p95"] == r["rank_nominal"]).all()


@pytest.mark.parametrize("source", ["data", "imputation", "choices", "noise"])
def test_each_source_widens_the_intervals_when_switched_on(sources, source):
    alone = _widths(sources[f"only {source}"])
    assert alone.sum() > 0
    if source == "imputation":
        # Only communes with an imputed value move (and the communes they pass).
        assert (alone > 0).mean() < (_widths(sources["only data"]) > 0).mean()
    assert _widths(sources["all"]).mean() > _widths(sources[f"all but {source}"]).mean()


def test_switching_a_source_off_leaves_the_other_sources_draws_unchanged(sources):
    # Each source draws from a stream of its own: the method choices drawn are the same whether
    # the data are re-drawn or not.
    pd.testing.assert_frame_equal(sources["all"].draws[2022].choices, sources["all but data"].draws[2022].choices)
    pd.testing.assert_frame_equal(sources["all"].draws[2022].choices, sources["all but imputation"].draws[2022].choices)


def test_a_source_with_nothing_to_draw_changes_nothing(methodology):
    # Without a missing value nothing is imputed: imputation draws on or off, the same intervals.
    full = make_synthetic(300, 25, (2022,), seed=4, missing_share=0.0)
    run = lambda m: run_uncertainty(full.indicators, full.communes, m, full.population, draws=100)  # noqa: E731
    with_imputation = run(_only(methodology, data=True, imputation=True, choices=True, noise=0.25))
    without = run(_only(methodology, data=True, imputation=False, choices=True, noise=0.25))
    pd.testing.assert_frame_equal(with_imputation.ranks, without.ranks)


def test_data_draws_widen_small_communes_more_than_large_ones(sources, data):
    widths = _widths(sources["only data"])
    pop = data.population[data.population["year"] == 2022].set_index("nis_code")["population"].reindex(widths.index)
    decile = pd.qcut(pop, 10, labels=False)
    by_decile = widths.groupby(decile.to_numpy()).median()
    assert by_decile.iloc[0] > by_decile.iloc[-1]
    assert widths.corr(pop, method="spearman") < -0.2
