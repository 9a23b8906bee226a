"""Empirical-Bayes shrinkage of rates toward their arrondissement (METHOD.md 3.4).

On the logit scale, as the English IMD does for small areas:

    p_i     = (y_i + 0.5) / (n_i + 1)                      (so that 0 and n_i have a logit)
    theta_i = logit(p_i),   v_i = 1 / ((n_i + 1) p_i (1 - p_i))   (sampling variance, delta method)
    mu_a    = median of theta_j over the arrondissement's communes     (prior "arrondissement_median")
              or logit((sum_a y + 0.5) / (sum_a n + 1)), the pooled rate (prior "arrondissement",
              method 1: the cities hold most of the numerators, so they set it)
    tau2    = max(0, mean_i[(theta_i - mu_a(i))^2 - v_i])   (between-commune variance, moments,
                                                              pooled over the country: ~13 communes
                                                              per arrondissement are too few)
    B_i     = v_i / (v_i + tau2)                            (weight of the prior: 1 when imprecise)
    smoothed = expit(theta_i + B_i (mu_a - theta_i))

The prior and tau2 use every commune with a numerator and a denominator; only the ``eligible``
ones are replaced (method 2: all of them, each by its own precision; method 1: the small
communes). The raw rate is kept beside the smoothed one.

``shrink_draws`` applies the same formula to a batch of data draws at once (the uncertainty
analysis re-smooths every bootstrap draw).
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


POOLED = "arrondissement"
MEDIAN = "arrondissement_median"


def _group_medians(theta: np.ndarray, valid: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Per row, the median of ``theta`` over the valid rows of its group, along the last axis
    (leading axes are draws); NaN for a group without a valid row. ``group``: codes 0..G-1.

    Every group at once: its values are laid side by side, padded with NaN to the largest group,
    and sorted (NaN last); the median is the mean of the middle one or two valid values, the two
    numbers ``np.nanmedian`` averages, so the result is the same to the bit."""
    masked = np.where(valid, theta, np.nan)
    if group.size == 0:
        return np.full(masked.shape, np.nan)
    sizes = np.bincount(group)
    order = np.argsort(group, kind="stable")
    slot = np.arange(group.size) - (np.cumsum(sizes) - sizes)[group[order]]
    padded = np.full((*masked.shape[:-1], sizes.size, int(sizes.max())), np.nan)
    padded[..., group[order], slot] = masked[..., order]
    padded.sort(axis=-1)
    count = np.count_nonzero(~np.isnan(padded), axis=-1)
    low = np.take_along_axis(padded, np.maximum((count - 1) // 2, 0)[..., None], axis=-1)[..., 0]
    high = np.take_along_axis(padded, np.maximum(count // 2, 0)[..., None], axis=-1)[..., 0]
    with np.errstate(invalid="ignore"):
        medians = np.where(count > 0, (low + high) / 2.0, np.nan)
    return medians[..., group]


def shrink_rates(
    numerator: np.ndarray,
    denominator: np.ndarray,
    groups: np.ndarray,
    eligible: np.ndarray,
    prior: str = POOLED,
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
    if prior == MEDIAN:
        mu = _group_medians(theta, valid, group)
        has_prior = valid & np.isfinite(mu)
        prior_p = expit(mu)
    else:
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


def shrink_draws(numerator: np.ndarray, denominator: np.ndarray, groups: np.ndarray, prior: str) -> np.ndarray:
    """Smoothed rates of a batch of draws: ``numerator`` (K, N) drawn counts, ``denominator`` (N,).

    The formula of ``shrink_rates`` with every commune eligible, tau2 estimated per draw; NaN where
    a commune has no usable count. Vectorised over the draws (the uncertainty analysis)."""
    y = np.asarray(numerator, dtype=float)
    den = np.asarray(denominator, dtype=float)
    n = np.broadcast_to(den, y.shape)
    with np.errstate(invalid="ignore"):
        # What depends on the denominator alone is computed once, not once per draw.
        usable = np.isfinite(den) & (den > 0)
        valid = np.isfinite(y) & usable
    above = den + 1.0
    p = np.where(valid, (y + 0.5) / above, 0.5)
    theta = logit(p)
    v = 1.0 / (above * p * (1.0 - p))
    _, group = np.unique(np.asarray(groups), return_inverse=True)
    if prior == MEDIAN and (valid == valid[:1]).all():
        # The same communes have counts in every draw: sort each group's values once, padded to
        # the largest group, and read the middle one or two (all groups and draws at once).
        mu = _padded_group_medians(theta, np.flatnonzero(valid[0]), group)[:, group]
    elif prior == MEDIAN:
        mu = _group_medians(theta, valid, group)
    else:
        k = y.shape[0]
        mu = np.empty(y.shape)
        for d in range(k):
            pooled_y = np.bincount(group, weights=np.where(valid[d], y[d], 0.0))[group]
            pooled_n = np.bincount(group, weights=np.where(valid[d], n[d], 0.0))[group]
            mu[d] = logit((pooled_y + 0.5) / (pooled_n + 1.0))
    ok = valid & np.isfinite(mu)
    with np.errstate(invalid="ignore"):
        dev = np.where(ok, (theta - mu) ** 2 - v, 0.0)
    tau2 = np.maximum(0.0, dev.sum(axis=-1, keepdims=True) / np.maximum(ok.sum(axis=-1, keepdims=True), 1))
    weight = v / (v + tau2)
    out = expit(theta + weight * (mu - theta))
    if np.array_equal(ok, valid):
        # Every usable count has a prior (the usual case): no raw rate stands in for a smoothed one.
        return np.where(ok, out, np.nan)
    return np.where(ok, out, np.where(valid, y / np.where(n > 0, n, 1.0), np.nan))


def _padded_group_medians(theta: np.ndarray, members: np.ndarray, group: np.ndarray) -> np.ndarray:
    """(K, groups): per draw, the median of each group's ``theta`` over the columns ``members``
    (NaN for a group without one). Each group's values sit side by side, padded with +inf to the
    largest group, and are sorted: the median is the mean of the middle one or two, for every
    group and draw at once (a nanmedian per group was a Python loop)."""
    sizes = np.bincount(group[members], minlength=group.max() + 1)
    order = members[np.argsort(group[members], kind="stable")]
    starts = np.cumsum(sizes) - sizes
    # Each padded slot reads a commune's column, or the +inf column appended after the last.
    source = np.full((sizes.size, max(int(sizes.max(initial=0)), 1)), theta.shape[-1])
    source[group[order], np.arange(order.size) - starts[group[order]]] = order
    extended = np.empty((theta.shape[0], theta.shape[-1] + 1))
    extended[:, :-1] = theta
    extended[:, -1] = np.inf
    padded = extended[:, source]
    padded.sort(axis=-1)
    low = np.take_along_axis(padded, np.maximum((sizes - 1) // 2, 0)[None, :, None], axis=-1)[..., 0]
    high = np.take_along_axis(padded, np.maximum(sizes // 2, 0)[None, :, None], axis=-1)[..., 0]
    with np.errstate(invalid="ignore"):
        return np.where(sizes > 0, (low + high) / 2.0, np.nan)


def shrink_counted_draws(
    counts: np.ndarray, denominators: np.ndarray, groups: np.ndarray, at: np.ndarray, width: int
) -> np.ndarray:
    """``shrink_draws`` with the median prior, for draws in which the same communes have counts
    (the uncertainty analysis): ``counts`` (K, M) the drawn counts of those communes, each with a
    usable ``denominators`` (M,), ``groups`` (M,) their arrondissements, ``at`` (M,) their columns
    among the ``width`` communes of the map. Returns (K, M): the smoothed rates shrink_draws gives
    those communes, to the bit, without its work on the communes that have no count."""
    # Row-major, as the draws are: tau2's sum along a row must add the terms in the same order.
    y = np.ascontiguousarray(counts, dtype=float)
    above = np.asarray(denominators, dtype=float) + 1.0
    p = (y + 0.5) / above
    theta = logit(p)
    v = 1.0 / (above * p * (1.0 - p))
    _, group = np.unique(np.asarray(groups), return_inverse=True)
    mu = _padded_group_medians(theta, np.arange(y.shape[-1]), group)[:, group]
    deviation = (theta - mu) ** 2 - v
    if y.shape[-1] < width:
        # tau2 sums over the whole map, with 0 for a commune without a count: the same sum, bit
        # for bit, only if the terms sit where shrink_draws has them.
        placed = np.zeros((y.shape[0], width))
        placed[:, at] = deviation
        deviation = placed
    tau2 = np.maximum(0.0, deviation.sum(axis=-1, keepdims=True) / max(y.shape[-1], 1))
    weight = v / (v + tau2)
    return expit(theta + weight * (mu - theta))
