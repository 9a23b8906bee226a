"""Sample skewness and excess kurtosis as COINr computes them (Excel SKEW and KURT).

COINr's ``skew`` and ``kurt`` are e1071's type 2 estimators, the bias-corrected ones Excel uses:

    G1 = sqrt(n (n - 1)) / (n - 2) * g1,           g1 = m3 / m2^(3/2)
    G2 = ((n + 1) (g2 - 3) + 6) (n - 1) / ((n - 2) (n - 3)),   g2 = m4 / m2^2

with m_k the k-th central moment (divided by n). Both work column-wise on a 2-D array and ignore
NaN, so a whole indicator matrix is tested in one call.
"""

from __future__ import annotations

import numpy as np


def _centred(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Deviations from the column means (NaN -> 0), the counts, and the floor of a 'constant' column."""
    arr = np.asarray(x, dtype=float)
    if arr.ndim == 1:
        arr = arr[:, None]
    present = ~np.isnan(arr)
    n = np.sum(present, axis=0).astype(float)
    safe_n = np.maximum(n, 1.0)
    mean = np.sum(np.where(present, arr, 0.0), axis=0) / safe_n
    centred = np.where(present, arr - mean, 0.0)
    # Rounding leaves a constant column with a sum of squares of ~1e-30, not 0: call that constant.
    scale = np.max(np.where(present, np.abs(arr), 0.0), axis=0, initial=0.0)
    floor = (scale * 1e-12) ** 2 * safe_n
    return centred, n, floor


def skewness(x: np.ndarray) -> np.ndarray | float:
    """Bias-corrected sample skewness per column (Excel SKEW); NaN for n < 3 or a constant column."""
    c, n, floor = _centred(x)
    s2 = np.sum(c**2, axis=0)
    s3 = np.sum(c**3, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        g = np.sqrt(n) * s3 / s2**1.5 * np.sqrt(n * (n - 1)) / (n - 2)
    g = np.where((n < 3) | (s2 <= floor), np.nan, g)
    return _shape(x, g)


def kurtosis(x: np.ndarray) -> np.ndarray | float:
    """Bias-corrected sample excess kurtosis per column (Excel KURT); NaN for n < 4 or a constant column."""
    c, n, floor = _centred(x)
    s2 = np.sum(c**2, axis=0)
    s4 = np.sum(c**4, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = n * s4 / s2**2
        g = ((n + 1) * (r - 3) + 6) * (n - 1) / ((n - 2) * (n - 3))
    g = np.where((n < 4) | (s2 <= floor), np.nan, g)
    return _shape(x, g)


def fails_skew_kurtosis(
    x: np.ndarray, skewness_threshold: float, kurtosis_threshold: float
) -> np.ndarray | bool:
    """COINr's check_SkewKurt, negated: True where |skewness| >= threshold AND kurtosis >= threshold.

    A column whose moments are undefined (too few values, constant) never fails: there is nothing
    to treat.
    """
    sk = np.asarray(skewness(x), dtype=float)
    ku = np.asarray(kurtosis(x), dtype=float)
    with np.errstate(invalid="ignore"):
        fails = (np.abs(sk) >= skewness_threshold) & (ku >= kurtosis_threshold)
    fails = np.where(np.isnan(sk) | np.isnan(ku), False, fails)
    return bool(fails) if np.ndim(fails) == 0 else fails


def _shape(x: np.ndarray, g: np.ndarray) -> np.ndarray | float:
    return float(g[0]) if np.ndim(x) == 1 else g
