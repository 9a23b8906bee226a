"""Sensitivity apart from uncertainty (METHOD.md 3.11): one-at-a-time leave-outs and Sobol indices."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kernels.index import compute_index
from kernels.methodology import Choice, load_methodology
from kernels.sensitivity import run_sensitivity
from kernels.synthetic import make_synthetic

CONFIG = Path(__file__).resolve().parents[2] / "config" / "methodology.yml"


@pytest.fixture(scope="module")
def methodology():
    return load_methodology(CONFIG)


@pytest.fixture(scope="module")
def data():
    return make_synthetic(400, 30, (2022,), seed=8)


@pytest.fixture(scope="module")
def result(data, methodology):
    return run_sensitivity(data.indicators, data.communes, methodology, data.population, samples=128)


def test_every_domain_and_indicator_is_left_out_once(result, methodology, data):
    oat = result.one_at_a_time
    left = oat[oat["analysis"] == "leave_out"]
    idx = compute_index(data.indicators, data.communes, methodology, data.population)
    used = set(idx.contributions["indicator"])
    assert set(left.loc[left["choice"] == "domain", "option"]) == set(methodology.domain_ids)
    assert set(left.loc[left["choice"] == "indicator", "option"]) == used
    assert (left["mean_abs_rank_shift"] > 0).all()
    assert (left["max_abs_rank_shift"] >= left["mean_abs_rank_shift"]).all()
    # Housing has one indicator: leaving it out is leaving the domain out.
    by = left.set_index(["choice", "option"])["mean_abs_rank_shift"]
    assert by[("indicator", "price_to_income_houses")] == pytest.approx(by[("domain", "housing")])


def test_method_choices_are_reported_one_at_a_time(result):
    oat = result.one_at_a_time
    choices = oat[oat["analysis"] == "method_choice"].set_index(["choice", "option"])["mean_abs_rank_shift"]
    assert choices[("normalisation", "min_max")] > 0 and choices[("weights", "noise 0.25")] > 0
    # Under the nominal rank-normal transform no outlier treatment runs: the limit cannot matter.
    assert (choices.xs("winsorising_limit", level="choice") == 0).all()


def test_sobol_indices_are_reproducible_and_apportion_the_variance(result, data, methodology):
    again = run_sensitivity(data.indicators, data.communes, methodology, data.population, samples=128)
    pd.testing.assert_frame_equal(again.sobol, result.sobol)
    s = result.sobol.set_index("choice")
    assert set(s.index) == {"normalisation", "winsorising_limit", "weights"}
    assert (s["evaluations"] == 128 * 5).all()
    assert (s["total"] >= 0).all()
    # The bootstrap percentiles bracket the estimates (COINr's Nboot).
    assert (s["total_p05"] <= s["total"]).all() and (s["total"] <= s["total_p95"]).all()
    assert (s["first_order_p05"] <= s["first_order_p95"]).all()
    # The limit only acts through min-max and z-score draws: it can only interact.
    assert s.loc["weights", "total"] > 0.1 and s.loc["normalisation", "total"] > 0.05


def test_one_input_alone_takes_all_the_variance_and_an_input_without_effect_none(data, methodology):
    m = methodology.model_copy(
        update={
            "outliers": methodology.outliers.model_copy(update={"normalisations": ()}),  # the limit has no effect
            "uncertainty": methodology.uncertainty.model_copy(
                update={
                    "weight_noise": 0.0,
                    "choices": (
                        Choice(name="normalisation", options=("rank_normal", "min_max", "z_score"), probabilities=(1 / 3, 1 / 3, 1 / 3)),
                        Choice(name="winsorising_limit", options=(1, 5), probabilities=(0.5, 0.5)),
                    ),
                }
            ),
        }
    )
    s = run_sensitivity(data.indicators, data.communes, m, data.population, samples=256).sobol.set_index("choice")
    assert s.loc["winsorising_limit", "total"] == 0.0
    assert s.loc["normalisation", "total"] == pytest.approx(1.0, abs=0.15)
    assert s.loc["normalisation", "first_order"] == pytest.approx(1.0, abs=0.15)
