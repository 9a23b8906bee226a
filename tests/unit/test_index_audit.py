"""The coherence audit (METHOD.md 3.9): the estimators against hand computations, and the audit
of a whole index flagging what a reader should see flagged."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kernels.audit import audit, cronbach_alpha, principal_components
from kernels.index import compute_index
from kernels.methodology import load_methodology
from kernels.synthetic import make_synthetic

CONFIG = Path(__file__).resolve().parents[2] / "config" / "methodology.yml"
METHOD_1 = Path(__file__).resolve().parents[2] / "config" / "archive" / "methodology_2026.2.yml"


def test_cronbach_alpha_by_hand():
    x = np.array([[1.0, 2.0, 2.0], [2.0, 2.0, 3.0], [3.0, 4.0, 3.0], [4.0, 5.0, 6.0]])
    k, item_var, total_var = 3, x.var(axis=0, ddof=1).sum(), x.sum(axis=1).var(ddof=1)
    assert cronbach_alpha(x) == pytest.approx(k / (k - 1) * (1 - item_var / total_var), rel=1e-12)
    # Two indicators that contradict each other give a negative alpha; one indicator has none.
    assert cronbach_alpha(np.column_stack([x[:, 0], -x[:, 0] + [0.0, 0.1, 0.0, 0.2]])) < 0
    assert np.isnan(cronbach_alpha(x[:, :1]))


def test_principal_components_of_two_perfectly_correlated_columns():
    a = np.arange(10.0)
    shares, loadings = principal_components(np.column_stack([a, 2 * a + 1, np.sin(a)]))
    assert shares.sum() == pytest.approx(1.0)
    assert shares[0] >= shares[1] >= shares[2]
    # The first component carries the duplicated pair at full loading.
    np.testing.assert_allclose(np.abs(loadings[:2, 0]), 1.0, atol=0.05)
    assert (np.abs(loadings) <= 1.0).all()


@pytest.fixture(scope="module")
def data():
    return make_synthetic(300, 25, (2022, 2023), seed=17)


def _audit(data, m):
    r = compute_index(data.indicators, data.communes, m, data.population)
    return audit(r.indicator_values, r.domains, r.index, m)


def test_two_indicators_measuring_the_same_thing_are_flagged_and_method_2_keeps_one(data):
    # As in the sample release: the mean per inhabitant tracks the mean per declaration.
    frame = data.indicators
    per_declaration = frame[frame["indicator"] == "mean_income_per_declaration"]
    twin = per_declaration.assign(indicator="mean_income_per_inhabitant", value=per_declaration["value"] * 0.6)
    same = dataclasses.replace(data, indicators=pd.concat([frame[frame["indicator"] != "mean_income_per_inhabitant"], twin]))
    a1 = _audit(same, load_methodology(METHOD_1))
    pair = a1[(a1["measure"] == "indicator_correlation") & (a1["item"] == "mean_income_per_declaration")
              & (a1["other"] == "mean_income_per_inhabitant")]
    assert len(pair) == 2 and pair["fails"].all() and (pair["value"] > 0.95).all()
    a2 = _audit(data, load_methodology(CONFIG))
    assert "mean_income_per_inhabitant" not in set(a2["item"]) | set(a2["other"])


def test_every_edition_has_each_measure_and_components_add_up(data):
    m = load_methodology(CONFIG)
    a = _audit(data, m)
    assert set(a["measure"]) == {
        "indicator_correlation", "correlation_with_domain", "correlation_with_index", "cronbach_alpha",
        "pca_variance_share", "pca_loading",
    }
    shares = a[a["measure"] == "pca_variance_share"].groupby(["year", "item"])["value"].sum()
    np.testing.assert_allclose(shares.to_numpy(), 1.0)
    alphas = a[a["measure"] == "cronbach_alpha"]
    # Housing has one indicator in method 2: no alpha, never a made-up one.
    assert set(alphas["item"]) == {d.id for d in m.domains if len(d.indicators) >= 2} - {"housing"}
    assert not a.duplicated(["year", "measure", "item", "other"]).any()
    assert (a.loc[a["measure"] == "cronbach_alpha", "fails"] == (alphas["value"] < 0.6)).all()


def test_an_indicator_turned_against_its_domain_is_flagged(data):
    m = load_methodology(CONFIG)
    flipped = m.model_copy(
        update={
            "indicators": tuple(
                i.model_copy(update={"direction": -i.direction}) if i.id == "youth_unemployment_rate" else i for i in m.indicators
            )
        }
    )
    a = _audit(data, flipped)
    row = a[(a["measure"] == "correlation_with_domain") & (a["item"] == "youth_unemployment_rate")]
    assert row["fails"].all() and (row["value"] < 0).all()
    alpha = a[(a["measure"] == "cronbach_alpha") & (a["item"] == "employment")]
    assert alpha["fails"].all()
