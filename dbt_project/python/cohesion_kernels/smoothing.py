"""Empirical-Bayes shrinkage of small communes' rates toward their arrondissement (METHOD.md 3.4).

On the logit scale, as the English IMD does for small areas:

    p_i     = (y_i + 0.5) / (n_i + 1)                      (so that 0 and n_i have a logit)
    theta_i = logit(p_i),   v_i = 1 / ((n_i + 1) p_i (1 - p_i))   (sampling variance, delta method)
    mu_a    = logit((sum_a y + 0.5) / (sum_a n + 1))        (pooled rate of the arrondissement)
    tau2    = max(0, mean_i[(theta_i - mu_a(i))^2 - v_i])   (between-commune variance, moments,
                                                              pooled over the country: ~13 communes
                                                              per arrondissement are too few)
    B_i     = v_i / (v_i + tau2)                            (weight of the prior: 1 when imprecise)
    smoothed = expit(theta_i + B_i (mu_a - theta_i))

The prior and tau2 use every commune with a numerator and a denominator; only the ``eligible``
ones (the small communes) are replaced. The raw rate is kept beside the smoothed one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TREATMENT_NAME = "smoothed_empirical_bayes"


@dataclass(frozen=True)
class ShrinkageResult:
    raw_rate: np.ndarray  # (N,) y / n; NaN without a usable numerator and denominator
    rate: np.ndarray  # (N,) smoothed where ``smoothed``, else the raw rate
    smoothed: np.ndarray  # (N,) bool
    prior_weight: np.ndarray  # (N,) B_i; NaN where not computable
    prior_rate: np.ndarray  # (N,) expit(mu_a)
    between_variance: float  # tau2


def logit(p: np.ndarray) -> np.ndarray:
    return np.log(p) - np.log1p(-p)


def expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def shrink_rates(
    numerator: np.ndarray,
    denominator: np.ndarray,
    groups: np.ndarray,
    eligible: np.ndarray,
) -> ShrinkageResult:
    y = np.asarray(numerator, dtype=float)
    n = np.asarray(denominator, dtype=float)
    with np.errstate(invalid="ignore"):
        valid = np.isfinite(y) & np.isfinite(n) & (n > 0) & (y >= 0) & (y <= n)
    raw_rate = np.full(y.shape, np.nan)
    raw_rate[valid] = y[valid] / n[valid]
    nan = np.full(y.shape, np.nan)
    if not valid.any():
        return ShrinkageResult(raw_rate, raw_rate.copy(), np.zeros(y.shape, bool), nan, nan.copy(), float("nan"))

    p = np.where(valid, (y + 0.5) / (n + 1.0), 0.5)
    theta = logit(p)
    v = 1.0 / ((n + 1.0) * p * (1.0 - p))
    _, group = np.unique(np.asarray(groups), return_inverse=True)
    pooled_y = np.bincount(group, weights=np.where(valid, y, 0.0))[group]
    pooled_n = np.bincount(group, weights=np.where(valid, n, 0.0))[group]
    has_prior = valid & (pooled_n > 0)
    prior_p = (pooled_y + 0.5) / (pooled_n + 1.0)
    mu = logit(prior_p)
    tau2 = float(max(0.0, np.mean((theta[has_prior] - mu[has_prior]) ** 2 - v[has_prior])))
    weight = np.where(has_prior, v / (v + tau2), np.nan)
    shrunk = expit(theta + weight * (mu - theta))
    smoothed = has_prior & np.asarray(eligible, dtype=bool)
    rate = np.where(smoothed, shrunk, raw_rate)
    return ShrinkageResult(
        raw_rate=raw_rate,
        rate=rate,
        smoothed=smoothed,
        prior_weight=weight,
        prior_rate=np.where(has_prior, prior_p, np.nan),
        between_variance=tau2,
    )


def value_scale(values: np.ndarray, raw_rate: np.ndarray) -> float:
    """The factor between an indicator's published value and numerator / denominator.

    1 for a share, 100 for a percentage: read from the data (the median of value / rate over the
    communes where both are positive), so the smoothed value is reported in the value's unit.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = values / raw_rate
    ok = np.isfinite(ratio) & (raw_rate > 0)
    return float(np.median(ratio[ok])) if ok.any() else 1.0
