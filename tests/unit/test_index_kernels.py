"""Small hand-computed examples of each numerical step of the index, reproduced exactly."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from kernels.aggregate import domain_transform, exponential_transform, need_rank, need_ranks, rank_fraction
from kernels.contributions import domain_contributions, indicator_contributions
from kernels.imputation import ARRONDISSEMENT_MEDIAN, NATIONAL_MEDIAN, impute_group_median
from kernels.moments import fails_skew_kurtosis, kurtosis, skewness
from kernels.normalise import min_max, rank_normal, z_score
from kernels.outliers import LOG_TRANSFORMED, WINSORISED_HIGH, log_transform, treat_outliers, treat_outliers_limits
from kernels.screening import screen
from kernels.smoothing import shrink_counted_draws, shrink_draws, shrink_rates, value_scale

COINR = {"skewness_threshold": 2.0, "kurtosis_threshold": 3.5}


# --- skewness and kurtosis (Excel SKEW / KURT, COINr skew / kurt) ---------------------------------


def test_skewness_and_kurtosis_of_a_hand_computed_example():
    # x = 1, 2, 3, 4, 10: mean 4, deviations -3 -2 -1 0 6,
    # sum d^2 = 50, sum d^3 = 180, sum d^4 = 1394, n = 5.
    # G1 = sqrt(5) * 180 / 50^1.5 * sqrt(5 * 4) / 3 = 1800 / (750 sqrt 2) = 1.2 sqrt 2
    # g2 = 5 * 1394 / 50^2 = 2.788; G2 = ((6)(2.788 - 3) + 6)(4) / (3 * 2) = 3.152
    x = np.array([1.0, 2.0, 3.0, 4.0, 10.0])
    assert skewness(x) == pytest.approx(1.2 * math.sqrt(2), abs=1e-12)
    assert kurtosis(x) == pytest.approx(3.152, abs=1e-12)


def test_moments_match_scipy_bias_corrected_estimators_column_wise_ignoring_nan():
    rng = np.random.default_rng(7)
    m = rng.lognormal(size=(40, 4))
    m[5, 2] = np.nan
    expected_skew = stats.skew(m, bias=False, nan_policy="omit")
    expected_kurt = stats.kurtosis(m, bias=False, fisher=True, nan_policy="omit")
    np.testing.assert_allclose(skewness(m), expected_skew, rtol=1e-12)
    np.testing.assert_allclose(kurtosis(m), expected_kurt, rtol=1e-12)


def test_constant_or_tiny_columns_have_no_moments_and_never_fail():
    assert math.isnan(skewness(np.full(10, 0.1)))
    assert math.isnan(kurtosis(np.array([1.0, 2.0, 3.0])))  # kurtosis needs 4 values
    assert fails_skew_kurtosis(np.full(10, 0.1), 2, 3.5) is False


def test_outlier_test_needs_both_skewness_and_kurtosis_at_or_above_thresholds():
    x = np.array([1.0, 2.0, 3.0, 4.0, 10.0])  # skewness 1.697, kurtosis 3.152
    sk, ku = skewness(x), kurtosis(x)
    assert fails_skew_kurtosis(x, sk, ku) is True  # ">=" on both: COINr passes on "<" either
    assert fails_skew_kurtosis(x, 1.69, 3.2) is False  # kurtosis below its threshold
    assert fails_skew_kurtosis(x, 1.8, 3.0) is False  # skewness below its threshold
    assert fails_skew_kurtosis(-x, 1.69, 3.0) is True  # the absolute skewness counts


# --- winsorising, ties and the log fallback (COINr Treat) --------------------------------------------

# 1..20, then 150, 150, 400. skewness 3.53, kurtosis 13.37: fails.
# Step 1 (skewness > 0): the single maximum 400 moves to the next distinct value, 150.
#   Now 1..20, 150, 150, 150: skewness 2.29, kurtosis 3.68: still fails.
# Step 2: the three tied 150s move together to 20: skewness -0.16, kurtosis -1.32: passes.
TIES = np.array([*range(1, 21), 150.0, 150.0, 400.0])


def test_winsorising_moves_one_extreme_at_a_time_and_ties_together():
    r = treat_outliers(TIES, **COINR, max_points=5)
    assert r.treatment == "winsorised"
    assert r.points == 4  # 1 + the tie of 3
    np.testing.assert_array_equal(r.values, [*range(1, 21), 20.0, 20.0, 20.0])
    assert list(r.value_labels[-4:]) == ["", WINSORISED_HIGH, WINSORISED_HIGH, WINSORISED_HIGH]


def test_first_step_alone_moves_only_the_maximum():
    r = treat_outliers(TIES, **COINR, max_points=1, log_fallback=False)
    np.testing.assert_array_equal(r.values[-3:], [150.0, 150.0, 150.0])
    assert r.points == 1
    assert skewness(r.values) == pytest.approx(2.289438071647489, abs=1e-12)
    assert kurtosis(r.values) == pytest.approx(3.6822365611329855, abs=1e-12)


def test_a_tie_is_never_split_even_when_it_passes_the_limit():
    # Limit 2: one point after step 1 (< 2), so step 2 runs and moves the tie of three.
    r = treat_outliers(TIES, **COINR, max_points=2)
    assert (r.treatment, r.points) == ("winsorised", 4)


def test_still_failing_at_the_limit_means_log_of_the_original_values():
    r = treat_outliers(TIES, **COINR, max_points=1)
    assert r.treatment == LOG_TRANSFORMED
    # log(x - min + 0.01 (max - min)) = log(x - 1 + 3.99) on the ORIGINAL values (400 is not winsorised).
    np.testing.assert_allclose(r.values, np.log(TIES - 1 + 0.01 * 399), rtol=0, atol=1e-15)
    assert r.values[-1] == pytest.approx(math.log(402.99), abs=1e-15)
    assert set(r.value_labels) == {LOG_TRANSFORMED}


def test_a_passing_indicator_is_left_alone():
    x = np.arange(1.0, 30.0)
    r = treat_outliers(x, **COINR, max_points=5)
    assert r.treatment == "none" and r.points == 0
    np.testing.assert_array_equal(r.values, x)


def test_negative_skew_winsorises_the_low_end_and_mirrors_the_log():
    low = -TIES
    r = treat_outliers(low, **COINR, max_points=5)
    np.testing.assert_array_equal(r.values, -np.array([*range(1, 21), 20.0, 20.0, 20.0]))
    logged = log_transform(low)
    assert np.all(np.diff(logged[np.argsort(low)]) >= 0)  # order kept
    assert abs(skewness(logged)) < abs(skewness(low))


def test_missing_values_are_kept_and_ignored():
    x = np.append(TIES, np.nan)
    r = treat_outliers(x, **COINR, max_points=5)
    assert math.isnan(r.values[-1]) and r.value_labels[-1] == ""
    np.testing.assert_array_equal(r.values[:-1], [*range(1, 21), 20.0, 20.0, 20.0])


# --- exponential transform (English IMD) ------------------------------------------------------------


def test_one_pass_over_the_limits_gives_each_limit_its_own_treatment():
    rng = np.random.default_rng(11)
    for trial in range(60):
        x = rng.lognormal(0.0, rng.uniform(0.3, 2.5), size=int(rng.integers(8, 60)))
        if trial % 4 == 0:
            x[:3] = x.max()  # a tie at the extreme
        if trial % 5 == 0:
            x[1] = np.nan
        by_limit = treat_outliers_limits(x, [0, 1, 2, 3, 5], **COINR)
        for limit, found in by_limit.items():
            expected = treat_outliers(x, max_points=limit, **COINR)
            assert np.array_equal(found.values, expected.values, equal_nan=True)
            assert (found.treatment, found.points) == (expected.treatment, expected.points)
            assert list(found.value_labels) == list(expected.value_labels)


def test_exponential_transform_at_known_ranks():
    c = 23.0
    k = 1 - math.exp(-100 / c)
    x = exponential_transform(np.array([1.0, 0.5, 0.1]), c)
    assert x[0] == pytest.approx(100.0, abs=1e-12)  # the neediest commune
    assert x[1] == pytest.approx(-23 * math.log(1 - 0.5 * k), abs=1e-12)
    assert x[1] == pytest.approx(15.64679007, abs=1e-8)
    assert x[2] == pytest.approx(2.39025973, abs=1e-8)


def test_about_ten_percent_of_communes_score_above_50():
    # X > 50 when R > (1 - e^(-50/23)) / (1 - e^(-100/23)) = 0.8979: the top 10.2%.
    r = rank_fraction(np.arange(1000.0))
    x = exponential_transform(r)
    threshold = (1 - math.exp(-50 / 23)) / (1 - math.exp(-100 / 23))
    assert threshold == pytest.approx(0.89788, abs=1e-5)
    assert int(np.sum(x > 50)) == 103  # R = 0.898 ... 1.000


def test_most_need_gets_rank_fraction_one_and_the_highest_x():
    domain = np.array([[0.3], [-1.0], [2.0], [0.0]])  # higher = more need
    x = domain_transform(domain, "exponential", 23.0)[:, 0]
    assert x[2] == pytest.approx(100.0)
    assert x[1] == pytest.approx(-23 * math.log(1 - 0.25 * (1 - math.exp(-100 / 23))))
    assert list(need_rank(domain[:, 0]).astype(int)) == [2, 4, 1, 3]


# --- empirical-Bayes shrinkage on the logit scale ---------------------------------------------------


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


def test_need_ranks_are_scipys_min_ranks_of_each_row():
    rng = np.random.default_rng(2)
    scores = np.round(rng.normal(size=(30, 80)), 1)  # plenty of ties
    assert np.array_equal(need_ranks(scores), stats.rankdata(-scores, method="min", axis=1))
    assert need_ranks(scores).dtype == stats.rankdata(-scores, method="min", axis=1).dtype


def test_shrinkage_reproduces_a_hand_computed_example():
    y = np.array([2.0, 60.0, 300.0, 1.0, 50.0, 20.0])
    n = np.array([10.0, 100.0, 1000.0, 20.0, 200.0, 400.0])
    g = np.array(["A", "A", "A", "B", "B", "B"])
    eligible = np.array([True, False, False, True, False, False])
    res = shrink_rates(y, n, g, eligible)

    # By hand, scalar by scalar.
    p = [(yi + 0.5) / (ni + 1) for yi, ni in zip(y, n)]
    theta = [_logit(pi) for pi in p]
    v = [1 / ((ni + 1) * pi * (1 - pi)) for ni, pi in zip(n, p)]
    mu_a = _logit((362 + 0.5) / (1110 + 1))
    mu_b = _logit((71 + 0.5) / (620 + 1))
    mu = [mu_a] * 3 + [mu_b] * 3
    tau2 = max(0.0, sum((t - m) ** 2 - vi for t, m, vi in zip(theta, mu, v)) / 6)
    b0 = v[0] / (v[0] + tau2)
    expected0 = 1 / (1 + math.exp(-(theta[0] + b0 * (mu_a - theta[0]))))
    b3 = v[3] / (v[3] + tau2)
    expected3 = 1 / (1 + math.exp(-(theta[3] + b3 * (mu_b - theta[3]))))

    assert res.between_variance == pytest.approx(tau2, rel=1e-12)
    assert res.between_variance == pytest.approx(0.35399, abs=5e-6)
    assert res.rate[0] == pytest.approx(expected0, rel=1e-12)
    assert res.rate[3] == pytest.approx(expected3, rel=1e-12)
    # Raw rate 0.20 shrinks toward A's pooled rate 0.326; 0.05 toward B's 0.115.
    assert 0.20 < res.rate[0] < (362 + 0.5) / 1111
    assert 0.05 < res.rate[3] < (71 + 0.5) / 621
    # Ineligible communes keep their raw rate; the raw rate is kept beside the smoothed one.
    np.testing.assert_array_equal(res.rate[[1, 2, 4, 5]], [0.6, 0.3, 0.25, 0.05])
    np.testing.assert_array_equal(res.raw_rate, y / n)
    assert list(res.smoothed) == list(eligible)


def test_imprecise_rates_are_shrunk_more_than_precise_ones():
    y = np.array([1.0, 100.0, 30.0, 300.0, 200.0])
    n = np.array([10.0, 1000.0, 100.0, 1000.0, 1000.0])
    res = shrink_rates(y, n, np.array(["A"] * 5), np.ones(5, bool))
    assert res.prior_weight[0] > res.prior_weight[1]  # same raw rate 0.1, ten times fewer people


def test_median_prior_is_not_set_by_the_city():
    # One city of 100,000 at 30% and nine villages of 500 at 10% in one arrondissement: the pooled
    # prior (method 1) sits near the city's rate and pulls every village toward more need; the
    # median of the communes (method 2) is the villages' own level.
    y = np.array([30_000.0] + [50.0] * 9)
    n = np.array([100_000.0] + [500.0] * 9)
    g = np.array(["A"] * 10)
    pooled = shrink_rates(y, n, g, np.ones(10, bool), prior="arrondissement")
    median = shrink_rates(y, n, g, np.ones(10, bool), prior="arrondissement_median")
    assert pooled.prior_rate[1] > 0.25
    assert median.prior_rate[1] == pytest.approx(50.5 / 501, rel=1e-12)
    assert pooled.rate[1] > median.rate[1] + 0.001  # villages pushed toward the city
    assert abs(median.rate[1] - 0.1) < 0.001
    # A precise rate barely moves, whatever the prior: its weight is tiny.
    assert median.prior_weight[0] < 0.01 and abs(median.rate[0] - 0.3) < 0.001


def test_shrink_draws_is_shrink_rates_draw_by_draw():
    rng = np.random.default_rng(3)
    n = rng.integers(50, 5000, size=40).astype(float)
    y = rng.binomial(n.astype(int), 0.12, size=(3, 40)).astype(float)
    g = np.repeat(["A", "B", "C", "D"], 10)
    batch = shrink_draws(y, n, g, "arrondissement_median")
    for k in range(3):
        one = shrink_rates(y[k], n, g, np.ones(40, bool), prior="arrondissement_median")
        np.testing.assert_allclose(batch[k], one.rate, rtol=1e-12)


def test_shrink_counted_draws_is_shrink_draws_on_the_communes_with_counts():
    # Bit for bit: the uncertainty analysis calls the one, its published percentiles came from the other.
    rng = np.random.default_rng(5)
    n = rng.integers(50, 5000, size=60).astype(float)
    g = np.repeat(["A", "B", "C", "D", "E"], 12)
    counted = np.ones(60, bool)
    counted[[3, 17, 40]] = False
    y = np.full((4, 60), np.nan)
    y[:, counted] = rng.binomial(n[counted].astype(int), 0.12, size=(4, int(counted.sum())))
    expected = shrink_draws(y, np.where(counted, n, np.nan), g, "arrondissement_median")[:, counted]
    at = np.flatnonzero(counted)
    found = shrink_counted_draws(np.ascontiguousarray(y[:, at]), n[at], g[at], at, 60)
    assert np.array_equal(found, expected)


def test_value_scale_reads_percent_from_the_data():
    rate = np.array([0.1, 0.2, np.nan, 0.0])
    assert value_scale(np.array([10.0, 20.0, 5.0, 0.0]), rate) == pytest.approx(100.0)
    assert value_scale(np.array([0.1, 0.2, 5.0, 0.0]), rate) == pytest.approx(1.0)


# --- normalisation, screening, imputation, contributions --------------------------------------------


def test_rank_normal_uses_r_over_n_plus_one_with_average_ties():
    z = rank_normal(np.array([[3.0], [1.0], [3.0], [2.0]]))[:, 0]
    # ranks 3.5, 1, 3.5, 2 over n + 1 = 5
    np.testing.assert_allclose(z, stats.norm.ppf([0.7, 0.2, 0.7, 0.4]), rtol=1e-12)


def test_min_max_and_z_score_handle_constant_columns():
    m = np.array([[1.0, 5.0], [3.0, 5.0], [2.0, 5.0]])
    np.testing.assert_allclose(min_max(m), [[0, 0.5], [1, 0.5], [0.5, 0.5]])
    np.testing.assert_allclose(z_score(m), [[-1, 0], [1, 0], [0, 0]])


def test_screening_drops_thin_indicators_then_communes_with_too_few():
    nan = np.nan
    values = np.array(
        [
            [1.0, 1.0, 1.0, nan],
            [1.0, 1.0, nan, nan],
            [1.0, nan, nan, 1.0],
            [nan, 1.0, 1.0, nan],
        ]
    )
    sc = screen(values, ("a", "b", "c", "d"), year=2024, min_coverage=0.65, min_share=2 / 3)
    # coverage 0.75, 0.75, 0.5, 0.25: c and d are dropped, 2 remain, 2/3 of 2 -> 2 needed.
    assert list(sc.kept) == [True, True, False, False]
    assert sc.needed == 2
    assert list(sc.scored) == [True, True, False, False]
    assert sc.reasons[2] == (
        "only 1 of the 2 indicators used in 2024 are available (at least 2 needed, 67%); missing: b"
    )
    assert sc.reasons[0] is None


def test_imputation_uses_the_arrondissement_median_then_the_national_one():
    nan = np.nan
    values = np.array([[1.0], [3.0], [nan], [10.0], [nan], [nan]])
    groups = np.array(["A", "A", "A", "B", "B", "C"])
    targets = np.array([True, True, True, True, True, False])
    res = impute_group_median(values, groups, targets)
    assert res.values[2, 0] == 2.0 and res.how[2, 0] == ARRONDISSEMENT_MEDIAN
    assert res.values[4, 0] == 10.0 and res.how[4, 0] == ARRONDISSEMENT_MEDIAN
    assert math.isnan(res.values[5, 0])  # not a target (an unscored commune)
    res = impute_group_median(values, groups, np.ones(6, bool))
    assert res.values[5, 0] == 3.0 and res.how[5, 0] == NATIONAL_MEDIAN  # median of 1, 3, 10


def test_contributions_split_by_need_position_and_add_up():
    transformed = np.array([[100.0, 10.0], [20.0, 50.0]])
    weights = np.array([60.0, 40.0])
    score = transformed @ (weights / 100)
    dom = domain_contributions(transformed, weights, score, "exponential")
    np.testing.assert_allclose(dom, [[60.0, 4.0], [12.0, 20.0]])
    z = np.array([[1.0, -1.0, 0.0], [-2.0, -2.0, 0.5]])
    ind = indicator_contributions(dom, z, np.array([0, 0, 1]), np.ones(3), "rank_normal")
    phi = stats.norm.cdf(z)
    assert ind[0, 0] == pytest.approx(60.0 * phi[0, 0] / (phi[0, 0] + phi[0, 1]))
    assert (ind >= 0).all()  # negative z never gives a negative share
    np.testing.assert_allclose(ind.sum(axis=1), score, rtol=1e-13)
    geo = domain_contributions(transformed, weights, np.exp(np.log(transformed) @ (weights / 100)), "geometric")
    np.testing.assert_allclose(geo.sum(axis=1), np.exp(np.log(transformed) @ (weights / 100)), rtol=1e-13)
