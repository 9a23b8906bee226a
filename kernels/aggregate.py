"""From normalised indicators to domain scores, transformed domain scores and the index.

Arrays may carry leading batch axes (the uncertainty analysis stacks variants); the communes axis
is always the one before the last (``-2``) for matrices and the last for vectors of scores.

Exponential transform (METHOD.md 3.6, English IMD 2019): with R the domain rank scaled to (0, 1],

    X = -c * ln(1 - R * (1 - exp(-100 / c))),   c = 23,

and R = 1 for the commune with the MOST need (R = ascending rank of the domain score / n), so the
neediest commune gets X = 100 and X falls toward 0 for the least needy; 10% of communes score
above 50. The transform limits compensation: a high need on one domain is not cancelled by a low
need on another.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata


def domain_scores(normalised: np.ndarray, domain_index: np.ndarray, weights: np.ndarray, n_domains: int) -> np.ndarray:
    """Weighted mean of the normalised indicators of each domain: (..., N, J) -> (..., N, D).

    Within-domain weights are renormalised over the columns present; a domain without a column
    is NaN.
    """
    w = np.zeros((len(domain_index), n_domains))
    w[np.arange(len(domain_index)), domain_index] = weights
    totals = w.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        w = w / totals
    out = np.asarray(normalised, dtype=float) @ np.where(totals > 0, w, 0.0)
    return np.where(totals > 0, out, np.nan)


def rank_fraction(scores: np.ndarray, axis: int = -1) -> np.ndarray:
    """R in (0, 1]: the ascending rank (ties averaged) divided by n; 1 for the highest score."""
    ranks = rankdata(scores, method="average", axis=axis)
    return ranks / np.asarray(scores).shape[axis]


def exponential_transform(r: np.ndarray, constant: float = 23.0) -> np.ndarray:
    return -constant * np.log(1.0 - np.asarray(r, dtype=float) * (1.0 - np.exp(-100.0 / constant)))


def domain_transform(domain: np.ndarray, aggregation: str, constant: float) -> np.ndarray:
    """Transformed domain scores, on a 0-100 scale so that weights summing to 100 give a 0-100 index.

    exponential: X(R) above; arithmetic: 100 * min-max; geometric: 1 + 99 * min-max (a geometric
    mean needs positive values). Works along the communes axis (-2) of (..., N, D).
    """
    d = np.asarray(domain, dtype=float)
    if aggregation == "exponential":
        return exponential_transform(rank_fraction(d, axis=-2), constant)
    lo = d.min(axis=-2, keepdims=True)
    span = d.max(axis=-2, keepdims=True) - lo
    with np.errstate(invalid="ignore", divide="ignore"):
        scaled = np.where(span > 0, (d - lo) / span, 0.5)
    if aggregation == "arithmetic":
        return 100.0 * scaled
    if aggregation == "geometric":
        return 1.0 + 99.0 * scaled
    raise ValueError(f"unknown aggregation {aggregation!r}")


def combine(transformed: np.ndarray, weights: np.ndarray, aggregation: str) -> np.ndarray:
    """The index from transformed domain scores (..., N, D) and domain weights (..., D).

    Weights are renormalised to sum to 100 (a domain left out has weight 0). Arithmetic and
    exponential: sum(w * T) / 100; geometric: prod(T ** (w / 100)).
    """
    w = np.asarray(weights, dtype=float)
    w = (w / w.sum(axis=-1, keepdims=True))[..., None, :]
    # Contiguous inputs and an explicit sum: the same numbers always add up to the same bits,
    # whatever the memory layout (the fixed-goalpost score must equal the score in the base year).
    t = np.ascontiguousarray(transformed, dtype=float)
    if aggregation == "geometric":
        return np.exp(np.sum(np.log(t) * w, axis=-1))
    return np.sum(t * w, axis=-1)


def need_rank(scores: np.ndarray) -> np.ndarray:
    """Rank 1 = the highest score (most need); ties share the best rank; NaN stays NaN."""
    s = np.asarray(scores, dtype=float)
    ranks = rankdata(-s, method="min", nan_policy="omit")
    return np.where(np.isnan(s), np.nan, ranks)


def need_ranks(scores: np.ndarray) -> np.ndarray:
    """``need_rank`` of each row of a 2-D array of scores (draws x communes), as scipy's
    ``rankdata(-scores, method="min", axis=1)`` gives them (int64), by one sort per row: the
    Monte Carlo and the sensitivity analysis rank millions of scores. A row holding NaN goes to
    scipy, which makes the whole row NaN."""
    x = -np.asarray(scores, dtype=float)
    if x.ndim != 2 or np.isnan(x).any():
        return rankdata(x, method="min", axis=-1)
    rows, n = x.shape
    order = np.argsort(x, axis=-1)
    # Flat positions: a gather and a scatter through them cost far less than take/put_along_axis.
    flat = order + (np.arange(rows, dtype=order.dtype) * n)[:, None]
    ordered = x.ravel()[flat]
    new = ordered[:, 1:] != ordered[:, :-1]
    ranked = np.broadcast_to(np.arange(1, n + 1, dtype=np.int64), x.shape)
    tied = np.flatnonzero(~new.all(axis=1))
    if tied.size:
        # A tie shares the rank of its first position.
        starts = np.ones((tied.size, n), dtype=bool)
        starts[:, 1:] = new[tied]
        ranked = ranked.copy()
        ranked[tied] = np.maximum.accumulate(np.where(starts, ranked[tied], 0), axis=1)
    out = np.empty(x.shape, dtype=np.int64)
    out.ravel()[flat] = ranked
    return out
