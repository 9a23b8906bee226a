"""Within-domain normalisations (METHOD.md 3.5 and 3.8), column-wise on a communes x indicators matrix.

Each takes values with the direction already applied (higher = more need) and returns values where
higher still means more need.

- ``rank_normal`` (the default, English IMD): z = Phi^-1(r / (n + 1)), r the rank with ties
  averaged. Only the order of the values matters, so a change of unit or any monotone treatment
  (winsorising, the log) cannot change it.
- ``min_max``: (x - min) / (max - min), in [0, 1]; 0.5 for a constant column.
- ``z_score``: (x - mean) / sd (sample sd); 0 for a constant column.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr, ndtri
from scipy.stats import rankdata


def rank_normal(matrix: np.ndarray) -> np.ndarray:
    x = np.asarray(matrix, dtype=float)
    ranks = rankdata(x, method="average", axis=0, nan_policy="omit")
    n = np.sum(~np.isnan(x), axis=0)
    return ndtri(ranks / (n + 1.0))


def min_max(matrix: np.ndarray) -> np.ndarray:
    x = np.asarray(matrix, dtype=float)
    lo = np.nanmin(x, axis=0)
    span = np.nanmax(x, axis=0) - lo
    with np.errstate(invalid="ignore", divide="ignore"):
        out = (x - lo) / span
    return np.where(span > 0, out, np.where(np.isnan(x), np.nan, 0.5))


def z_score(matrix: np.ndarray) -> np.ndarray:
    x = np.asarray(matrix, dtype=float)
    mean = np.nanmean(x, axis=0)
    sd = np.nanstd(x, axis=0, ddof=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = (x - mean) / sd
    return np.where(sd > 0, out, np.where(np.isnan(x), np.nan, 0.0))


NORMALISERS = {"rank_normal": rank_normal, "min_max": min_max, "z_score": z_score}


def normalise(matrix: np.ndarray, method: str, directions: np.ndarray) -> np.ndarray:
    """Apply the directions (+1 / -1 per column), then the named normalisation."""
    return NORMALISERS[method](np.asarray(matrix, dtype=float) * np.asarray(directions, dtype=float))


def need_share_basis(normalised: np.ndarray, method: str) -> np.ndarray:
    """A positive 'amount of need' per value, used to split a domain's contribution among indicators.

    For rank-normal and z-score values, Phi(z): the value's position in (0, 1), which is always
    positive whatever the sign of z; for min-max values, the value itself (already in [0, 1]).
    """
    if method == "min_max":
        return np.clip(normalised, 0.0, 1.0)
    return ndtr(normalised)
