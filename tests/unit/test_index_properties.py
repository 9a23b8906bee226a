"""Properties of the whole index on synthetic communes (565 fake communes in 43 arrondissements)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kernels.index import compute_index
from kernels.methodology import load_methodology
from kernels.prepare import IndexInputError
from kernels.synthetic import make_synthetic

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
    return make_synthetic(565, 43, (2022, 2023), seed=11)


@pytest.fixture(scope="module")
def small():
    return make_synthetic(150, 12, (2022, 2023), seed=5)


@pytest.fixture(scope="module")
def result(data, methodology):
    return compute_index(data.indicators, data.communes, methodology, data.population)


def _one_year(frame: pd.DataFrame, year: int = 2022) -> pd.DataFrame:
    return frame[frame["year"] == year].reset_index(drop=True)


def test_output_frames_have_the_published_columns(result):
    assert list(result.index.columns)[:6] == ["nis_code", "year", "score", "rank", "score_fixed_goalposts", "indicators_used"]
    assert "reason" in result.index.columns
    assert list(result.domains.columns)[:5] == ["nis_code", "year", "domain", "domain_score", "domain_rank"]
    assert list(result.contributions.columns) == ["nis_code", "year", "domain", "indicator", "contribution"]
    assert list(result.treatments.columns) == [
        "nis_code", "year", "indicator", "treatment", "value_before", "value_after", "shrinkage_weight",
    ]
    assert len(result.index) == 2 * 565
    assert len(result.domains) == 2 * 565 * 6
    assert len(result.contributions) == 2 * 565 * 15  # method 2: one income mean, housing by affordability


def test_scores_are_0_to_100_and_rank_1_is_the_highest_score(result):
    idx = _one_year(result.index)
    assert idx["score"].between(0, 100).all()
    top = idx.loc[idx["score"].idxmax()]
    assert top["rank"] == 1
    assert sorted(idx["rank"].astype(int)) == list(range(1, 566))


def test_score_follows_the_latent_need_it_was_drawn_from(result, data):
    idx = _one_year(result.index, 2023).set_index("nis_code")
    corr = np.corrcoef(idx["score"], data.latent_need.reindex(idx.index))[0, 1]
    assert corr > 0.8


def test_contributions_add_up_to_the_score(result):
    total = result.contributions.groupby(["nis_code", "year"])["contribution"].sum()
    score = result.index.set_index(["nis_code", "year"])["score"].reindex(total.index)
    np.testing.assert_allclose(total.to_numpy(), score.to_numpy(), rtol=0, atol=1e-9)
    domain_total = result.domains.groupby(["nis_code", "year"])["contribution"].sum()
    np.testing.assert_allclose(domain_total.to_numpy(), score.to_numpy(), rtol=0, atol=1e-9)
    assert (result.contributions["contribution"] >= 0).all()


def test_domain_contribution_is_weight_times_transformed_score(result):
    d = result.domains
    np.testing.assert_allclose(d["contribution"], d["weight"] * d["domain_transformed"] / 100, rtol=1e-13)
    neediest = d[d["domain_rank"] == 1]
    np.testing.assert_allclose(neediest["domain_transformed"], 100.0, rtol=1e-12)


def _fixed_set_only(m):
    """The methodology with its domains reduced to the fixed-goalpost indicator set."""
    keep = set(m.goalposts.indicators)
    domains = tuple(
        d.model_copy(
            update={
                "indicators": tuple(i for i in d.indicators if i in keep),
                "indicator_weights": tuple(w for i, w in zip(d.indicators, d.indicator_weights) if i in keep),
            }
        )
        for d in m.domains
    )
    return m.model_copy(update={"domains": domains})


def test_fixed_goalposts_in_the_base_year_are_the_score_of_the_fixed_indicator_set(result, data, methodology):
    # Method 2: one indicator set for every year; in the base year the fixed-goalpost score is the
    # score the index would have on that set alone (money scaling cannot change a base-year order).
    on_the_set = compute_index(data.indicators, data.communes, _fixed_set_only(methodology), data.population)
    base = _one_year(result.index, 2022)
    np.testing.assert_allclose(base["score_fixed_goalposts"], _one_year(on_the_set.index, 2022)["score"], atol=1e-9)
    # The 5-year change of the share of non-Belgians counts in the score, not in the fixed set.
    assert "share_non_belgian_change_5y" in set(result.contributions.loc[result.contributions["year"] == 2022, "indicator"])
    assert not np.allclose(base["score_fixed_goalposts"], base["score"])
    later = _one_year(result.index, 2023)
    assert not np.allclose(later["score_fixed_goalposts"], later["score"])


def test_method_1_fixed_goalposts_equal_the_score_in_the_base_year(data, method_1):
    res = compute_index(data.indicators, data.communes, method_1, data.population)
    base = _one_year(res.index, 2022)
    np.testing.assert_array_equal(base["score_fixed_goalposts"], base["score"])


def test_an_edition_lacking_an_indicator_of_the_fixed_set_has_no_fixed_goalpost_score(data, methodology):
    # Never a fixed-goalpost score on another indicator set than the methodology's.
    frame = data.indicators[~((data.indicators["year"] == 2023) & (data.indicators["indicator"] == "share_age_0_2"))]
    res = compute_index(frame, data.communes, methodology, data.population)
    assert _one_year(res.index, 2023)["score"].notna().all()
    assert _one_year(res.index, 2023)["score_fixed_goalposts"].isna().all()
    assert _one_year(res.index, 2022)["score_fixed_goalposts"].notna().all()


def test_nominal_income_growth_does_not_read_as_falling_need(data, methodology, method_1):
    # Every income 20% higher in 2023, nothing else changed: relative to the national median of its
    # year (method 2) the fixed-goalpost score does not move; in nominal euros (method 1) it falls.
    base = data.indicators[data.indicators["year"] == 2022]
    later = base.assign(year=2023)
    money = later["indicator"] == "mean_income_per_declaration"
    later.loc[money, "value"] = later.loc[money, "value"] * 1.2
    pop = pd.concat([data.population[data.population["year"] == 2022], data.population[data.population["year"] == 2022].assign(year=2023)])
    frame = pd.concat([base, later])
    m2 = compute_index(frame, data.communes, methodology, pop).index
    np.testing.assert_allclose(_one_year(m2, 2023)["score_fixed_goalposts"], _one_year(m2, 2022)["score_fixed_goalposts"], atol=1e-9)
    m1 = compute_index(frame, data.communes, method_1, pop).index
    assert _one_year(m1, 2023)["score_fixed_goalposts"].mean() < _one_year(m1, 2022)["score_fixed_goalposts"].mean() - 1


def _worsen(frame: pd.DataFrame, methodology, factor: float) -> pd.DataFrame:
    """Every indicator moves toward more need by ``factor`` (rates through their numerators)."""
    out = frame[frame["indicator"].isin(methodology.indicator_ids)].copy()
    direction = out["indicator"].map(lambda i: methodology.indicator(i).direction)
    is_rate = out["indicator"].map(lambda i: methodology.indicator(i).rate)
    up = np.where(direction > 0, factor, 1 / factor)
    rate_rows = is_rate & out["numerator"].notna()
    scale = out["value"] / (out["numerator"] / out["denominator"])
    new_num = np.minimum(np.round(out["numerator"] * up), out["denominator"])
    out.loc[rate_rows, "numerator"] = new_num[rate_rows]
    out.loc[rate_rows, "value"] = (new_num / out["denominator"] * scale.fillna(1.0))[rate_rows]
    other = ~rate_rows
    # A change (a difference) moves up by a fixed step; a level is multiplied.
    out.loc[other, "value"] = np.where(
        out.loc[other, "indicator"] == "share_non_belgian_change_5y",
        out.loc[other, "value"] + 0.01,
        out.loc[other, "value"] * up[other.to_numpy()],
    )
    return out


def test_uniform_worsening_raises_the_fixed_goalpost_score_not_the_nominal_one(data, methodology):
    base = data.indicators[data.indicators["year"] == 2022]
    later = _worsen(base, methodology, 1.15).assign(year=2023)
    pop = pd.concat([data.population[data.population["year"] == 2022], data.population[data.population["year"] == 2022].assign(year=2023)])
    res = compute_index(pd.concat([base, later]), data.communes, methodology, pop)
    y22, y23 = _one_year(res.index, 2022), _one_year(res.index, 2023)
    # Relative to its own year nothing changed much: the nominal mean is fixed by construction.
    assert y23["score"].mean() == pytest.approx(y22["score"].mean(), abs=1e-6)
    # Against 2022's goalposts, almost every commune's need went up.
    diff = y23["score_fixed_goalposts"] - y22["score_fixed_goalposts"]
    assert (diff > 0).mean() > 0.95
    assert diff.median() > 5


def test_raising_one_need_never_lowers_that_communes_score(methodology):
    small = make_synthetic(200, 15, (2022,), seed=3)
    base = compute_index(small.indicators, small.communes, methodology, small.population).index.set_index("nis_code")
    rng = np.random.default_rng(5)
    frame = small.indicators
    scored = base.index[base["score"].notna()]
    for _ in range(12):
        code = rng.choice(scored)
        ind = rng.choice(methodology.indicator_ids)
        row = (frame["nis_code"] == code) & (frame["indicator"] == ind)
        if frame.loc[row, "value"].isna().all():
            continue
        changed = _worsen(frame[row], methodology, 1.3)
        bumped = frame.copy()
        bumped.loc[row, ["value", "numerator"]] = changed[["value", "numerator"]].to_numpy()
        after = compute_index(bumped, small.communes, methodology, small.population).index.set_index("nis_code")
        assert after.loc[code, "score"] >= base.loc[code, "score"] - 1e-9, (code, ind)
        assert after.loc[code, "rank"] <= base.loc[code, "rank"], (code, ind)


def test_rescaling_an_indicators_unit_changes_no_rank_based_result(data, methodology, result):
    rescaled = data.indicators.copy()
    income = rescaled["indicator"] == "mean_income_per_declaration"
    rescaled.loc[income, "value"] = rescaled.loc[income, "value"] / 1000.0  # euros -> thousands
    unemployment = rescaled["indicator"] == "unemployment_rate"
    rescaled.loc[unemployment, "value"] = rescaled.loc[unemployment, "value"] / 100.0  # percent -> share
    res = compute_index(rescaled, data.communes, methodology, data.population)
    pd.testing.assert_series_equal(res.index["rank"], result.index["rank"])
    np.testing.assert_allclose(res.index["score"], result.index["score"], rtol=0, atol=1e-9)
    np.testing.assert_allclose(res.index["score_fixed_goalposts"], result.index["score_fixed_goalposts"], atol=1e-9)
    np.testing.assert_allclose(res.contributions["contribution"], result.contributions["contribution"], atol=1e-9)


def test_commune_below_the_coverage_threshold_gets_no_score_and_a_reason(methodology):
    data = make_synthetic(565, 43, (2022,), seed=11, missing_share=0.0)
    frame = data.indicators
    gone = ["share_age_0_2", "share_age_3_17", "dependency_ratio", "school_delay_rate", "early_leavers_rate", "language_support_share"]
    thin = (frame["nis_code"] == "90010") & frame["indicator"].isin(gone)  # 9 of 15 left, 10 needed
    frame = frame[~thin]
    five = (frame["nis_code"] == "90011") & frame["indicator"].isin(gone[:5])  # 10 of 15: scored, 5 imputed
    frame = frame[~five]
    res = compute_index(frame, data.communes, methodology, data.population)
    row = res.index.set_index("nis_code").loc["90010"]
    assert pd.isna(row["score"]) and pd.isna(row["rank"])
    assert row["indicators_used"] == 9
    assert row["reason"].startswith("only 9 of the 15 indicators used in 2022 are available (at least 10 needed")
    assert "school_delay_rate" in row["reason"] and "dependency_ratio" in row["reason"]
    assert "90010" not in set(res.contributions["nis_code"])
    other = res.index.set_index("nis_code").loc["90011"]
    assert other["score"] > 0 and other["indicators_imputed"] == 5
    imputed = res.treatments[(res.treatments["nis_code"] == "90011") & res.treatments["treatment"].str.startswith("imputed")]
    assert sorted(imputed["indicator"]) == sorted(gone[:5])
    assert res.index["rank"].max() == 564  # ranks run over the scored communes only


def test_thin_indicator_is_dropped_for_the_year_and_its_domain_reweighted(data, methodology):
    frame = data.indicators[data.indicators["year"] == 2022].copy()
    lang = frame["indicator"] == "language_support_share"
    drop = lang & (frame["nis_code"].str[-3:].astype(int) % 5 < 2)  # 40% missing: coverage 60% < 65%
    frame.loc[drop, ["value", "numerator", "denominator"]] = np.nan
    res = compute_index(frame, data.communes, methodology, data.population)
    cov = res.coverage.set_index("indicator")
    assert not cov.loc["language_support_share", "kept"]
    assert cov.loc["language_support_share", "coverage"] < 0.65
    assert "language_support_share" not in set(res.contributions["indicator"])
    assert res.index["score"].notna().all()
    np.testing.assert_allclose(
        res.contributions.groupby("nis_code")["contribution"].sum().to_numpy(),
        res.index.set_index("nis_code")["score"].to_numpy(),
        atol=1e-9,
    )


def test_every_changed_value_is_logged_with_before_and_after(result, data, methodology):
    t = result.treatments
    # Rank-normal (the default) needs no outlier treatment, so none runs and none is logged.
    assert "smoothed_empirical_bayes" in set(t["treatment"])
    assert not t["treatment"].isin(["log_transformed", "winsorised_high", "winsorised_low"]).any()
    assert (t["value_before"] != t["value_after"]).mean() > 0.99
    values = result.indicator_values.set_index(["nis_code", "year", "indicator"])
    np.testing.assert_array_equal(values["value_treated"].dropna(), values["value_smoothed"].dropna())
    # Under min-max the treatment runs, the normalisation reads its values, and they are logged.
    minmax = compute_index(data.indicators, data.communes, methodology.model_copy(update={"normalisation": "min_max"}), data.population)
    mt = minmax.treatments
    assert "log_transformed" in set(mt["treatment"])
    mvalues = minmax.indicator_values.set_index(["nis_code", "year", "indicator"])
    logged = mt[mt["treatment"] == "log_transformed"].set_index(["nis_code", "year", "indicator"])
    np.testing.assert_allclose(mvalues.loc[logged.index, "value_treated"], logged["value_after"])
    smoothed = t[t["treatment"] == "smoothed_empirical_bayes"].set_index(["nis_code", "year", "indicator"])
    np.testing.assert_allclose(values.loc[smoothed.index, "value_smoothed"], smoothed["value_after"])
    # Raw values are kept beside smoothed ones, with the prior's weight that moved them.
    np.testing.assert_allclose(values.loc[smoothed.index, "value_raw"], smoothed["value_before"])
    np.testing.assert_allclose(values.loc[smoothed.index, "prior_weight"], smoothed["shrinkage_weight"])
    assert smoothed["shrinkage_weight"].between(0, 1).all()
    assert t.loc[t["treatment"] != "smoothed_empirical_bayes", "shrinkage_weight"].isna().all()


def test_every_sampled_rate_is_smoothed_by_its_precision_and_register_shares_never(result, methodology):
    # No population cut-off: a rate is shrunk by its own variance, so the prior's weight falls as
    # the denominator grows; shares counted over the whole register are left as they are.
    v = result.indicator_values
    smoothed = v[v["smoothed"]]
    assert set(smoothed["indicator"]) == {
        i.id for i in methodology.indicators if i.rate and not i.register and i.id in set(v["indicator"])
    }
    assert not v.loc[v["indicator"].isin(["share_non_belgian", "share_age_0_2", "share_age_3_17"]), "smoothed"].any()
    for _, rows in smoothed.groupby(["year", "indicator"]):
        assert rows["prior_weight"].corr(rows["denominator"], method="spearman") < -0.5
    assert smoothed["prior_weight"].between(0, 1).all()


def test_method_1_smoothed_only_small_communes(data, method_1):
    res = compute_index(data.indicators, data.communes, method_1, data.population)
    smoothed = res.treatments[res.treatments["treatment"] == "smoothed_empirical_bayes"]
    pop = data.population.set_index(["nis_code", "year"])["population"]
    assert (pop.reindex(list(zip(smoothed["nis_code"], smoothed["year"]))).to_numpy() < 5000).all()
    assert len(smoothed) > 100


def test_methodology_switches_are_honoured(small, methodology):
    data = small
    plain = methodology.model_copy(
        update={
            "smoothing": methodology.smoothing.model_copy(update={"enabled": False}),
            "outliers": methodology.outliers.model_copy(update={"enabled": False}),
        }
    )
    res = compute_index(data.indicators, data.communes, plain, data.population)
    assert not res.treatments["treatment"].isin(["smoothed_empirical_bayes", "log_transformed"]).any()
    for aggregation in ("arithmetic", "geometric"):
        alt = compute_index(data.indicators, data.communes, methodology.model_copy(update={"aggregation": aggregation}), data.population)
        total = alt.contributions.groupby(["nis_code", "year"])["contribution"].sum()
        np.testing.assert_allclose(total.to_numpy(), alt.index.set_index(["nis_code", "year"])["score"].reindex(total.index), atol=1e-9)
        base = _one_year(alt.index, 2022)
        on_the_set = compute_index(
            data.indicators, data.communes, _fixed_set_only(methodology.model_copy(update={"aggregation": aggregation})), data.population
        )
        np.testing.assert_allclose(base["score_fixed_goalposts"], _one_year(on_the_set.index, 2022)["score"], atol=1e-9)


def test_without_the_base_year_no_commune_gets_a_fixed_goalpost_score(small, methodology):
    # Editions may lack the base year (real files): a NULL score, never one against another year.
    only_2023 = small.indicators[small.indicators["year"] == 2023]
    res = compute_index(only_2023, small.communes, methodology, small.population)
    assert res.index["score"].notna().sum() > 140
    assert res.index["score_fixed_goalposts"].isna().all()


def test_an_indicator_without_any_row_is_left_out_not_an_error(small, methodology):
    # The editions decide what enters; an absent indicator is dropped by screening, its domain
    # keeps its other indicators.
    missing = small.indicators[small.indicators["indicator"] != "dependency_ratio"]
    res = compute_index(missing, small.communes, methodology, small.population)
    assert "dependency_ratio" not in set(res.contributions["indicator"])
    assert {"share_age_0_2", "share_age_3_17"} <= set(res.contributions["indicator"])
    coverage = res.coverage.set_index(["year", "indicator"])
    assert coverage.loc[(2023, "dependency_ratio"), "coverage"] == 0.0
    assert not coverage.loc[(2023, "dependency_ratio"), "kept"]


def test_input_errors_say_what_to_fix(small, methodology):
    data = small
    stray = pd.concat([data.indicators, data.indicators.head(1).assign(nis_code="99999")])
    with pytest.raises(IndexInputError, match=r"1 nis_code\(s\) not on the communes map, e.g. \['99999'\]"):
        compute_index(stray, data.communes, methodology, data.population)
    twice = pd.concat([data.indicators, data.indicators.head(1)])
    with pytest.raises(IndexInputError, match="1 duplicate row"):
        compute_index(twice, data.communes, methodology, data.population)
    # Method 1 needs the population for its cut-off; method 2 smooths by precision alone.
    with pytest.raises(IndexInputError, match="smoothing is enabled .* but no population was passed"):
        compute_index(data.indicators, data.communes, load_methodology(METHOD_1))
    assert compute_index(data.indicators, data.communes, methodology).index["score"].notna().any()
    with pytest.raises(IndexInputError, match=r"missing column\(s\) \['arrondissement_code'\]"):
        compute_index(data.indicators, data.communes[["nis_code"]], methodology, data.population)
