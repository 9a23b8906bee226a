"""The COINr outlier rule (../shared/METHOD.md, sections 1 and 3.3).

An indicator is treated only when |skewness| >= 2 and excess kurtosis >= 3.5 (``moments``). It is
then winsorised one extreme at a time: the side is the sign of the current skewness (>= 0: the
highest values); all values tied at that extreme move together to the next distinct value; the
test is repeated after each step, and winsorising stops once the test passes or the limit of
points is reached. If the indicator still fails, the winsorising is discarded and the *original*
values are log-transformed, ``log(x - min + 0.01 * (max - min))`` (COINr ``Treat`` with
``combine_treat = FALSE`` and ``log_CT``).

Two choices COINr leaves open, written down here:
- The limit counts winsorised points cumulatively (a tie of two counts as two); it is checked
  before each step, so a tie group is never split and may take the count past the limit, as in
  COINr's ``winsorise``.
- For a negatively skewed indicator, ``log_CT`` would stretch the low tail further. We mirror it,
  ``-log(max - x + 0.01 * (max - min))``, which compresses the low tail and keeps the order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kernels.moments import fails_skew_kurtosis, skewness

NO_TREATMENT = "none"
WINSORISED = "winsorised"
LOG_TRANSFORMED = "log_transformed"
# Per-value labels in the treatments log.
WINSORISED_HIGH = "winsorised_high"
WINSORISED_LOW = "winsorised_low"


@dataclass(frozen=True)
class OutlierResult:
    values: np.ndarray  # treated values; NaN where the input was NaN
    treatment: str  # NO_TREATMENT, WINSORISED or LOG_TRANSFORMED
    points: int  # winsorised points kept in the result (0 after a log transform)
    value_labels: np.ndarray  # per value: "", WINSORISED_HIGH, WINSORISED_LOW or LOG_TRANSFORMED


def treat_outliers(
    values: np.ndarray,
    *,
    skewness_threshold: float,
    kurtosis_threshold: float,
    max_points: int,
    log_fallback: bool = True,
    log_offset_share: float = 0.01,
) -> OutlierResult:
    """Apply the COINr rule to one indicator (a 1-D array; NaN values are left out and kept)."""
    original = np.asarray(values, dtype=float)
    labels = np.full(original.shape, "", dtype=object)
    present = ~np.isnan(original)
    if not fails_skew_kurtosis(original, skewness_threshold, kurtosis_threshold):
        return OutlierResult(original.copy(), NO_TREATMENT, 0, labels)

    x = original.copy()
    points = 0
    while points < max_points and fails_skew_kurtosis(x, skewness_threshold, kurtosis_threshold):
        moved = _winsorise_step(x, labels, present)
        if moved == 0:
            break
        points += moved

    if not fails_skew_kurtosis(x, skewness_threshold, kurtosis_threshold) or not log_fallback:
        return OutlierResult(x, WINSORISED if points else NO_TREATMENT, points, labels)

    logged = log_transform(original, log_offset_share)
    labels = np.where(present, LOG_TRANSFORMED, "").astype(object)
    return OutlierResult(logged, LOG_TRANSFORMED, 0, labels)


def _winsorise_step(x: np.ndarray, labels: np.ndarray, present: np.ndarray) -> int:
    """One winsorising step, in place: the values at the extreme on the skewed side take the
    next value's, and are labelled. Returns how many values moved (0: every value is tied, there
    is nothing left to move toward)."""
    high = skewness(x) >= 0
    extreme = np.nanmax(x) if high else np.nanmin(x)
    at_extreme = present & (x == extreme)
    rest = x[present & ~at_extreme]
    if rest.size == 0:
        return 0
    x[at_extreme] = rest.max() if high else rest.min()
    labels[at_extreme] = WINSORISED_HIGH if high else WINSORISED_LOW
    return int(at_extreme.sum())


def treat_outliers_limits(
    values: np.ndarray,
    limits: list[int],
    *,
    skewness_threshold: float,
    kurtosis_threshold: float,
    log_fallback: bool = True,
    log_offset_share: float = 0.01,
) -> dict[int, OutlierResult]:
    """``treat_outliers`` of one indicator under each limit of points in ``limits`` (limit ->
    result), in one pass: the winsorising steps do not depend on the limit, which only says
    after how many points they stop, so each limit's result is a state of the largest limit's
    sequence (the sensitivity analysis treats every indicator under every limit)."""
    original = np.asarray(values, dtype=float)
    present = ~np.isnan(original)
    if not fails_skew_kurtosis(original, skewness_threshold, kurtosis_threshold):
        return {
            limit: OutlierResult(original.copy(), NO_TREATMENT, 0, np.full(original.shape, "", dtype=object))
            for limit in limits
        }
    # The sequence of states: values, labels, points so far, and whether the state fails the test.
    x = original.copy()
    labels = np.full(original.shape, "", dtype=object)
    states = [(x.copy(), labels.copy(), 0, True)]
    points = 0
    while points < max(limits, default=0) and states[-1][3]:
        moved = _winsorise_step(x, labels, present)
        if moved == 0:
            break
        points += moved
        states.append((x.copy(), labels.copy(), points, fails_skew_kurtosis(x, skewness_threshold, kurtosis_threshold)))
    logged = None
    out = {}
    for limit in limits:
        # treat_outliers' loop stops at the first state with enough points or passing the test.
        t = next((t for t, (_, _, p, failing) in enumerate(states) if p >= limit or not failing), len(states) - 1)
        state, state_labels, state_points, failing = states[t]
        if not failing or not log_fallback:
            out[limit] = OutlierResult(
                state.copy(), WINSORISED if state_points else NO_TREATMENT, state_points, state_labels.copy()
            )
            continue
        if logged is None:
            logged = log_transform(original, log_offset_share)
        out[limit] = OutlierResult(logged.copy(), LOG_TRANSFORMED, 0, np.where(present, LOG_TRANSFORMED, "").astype(object))
    return out


def log_transform(values: np.ndarray, offset_share: float = 0.01) -> np.ndarray:
    """COINr's ``log_CT``: log(x - min + s (max - min)); mirrored for a negatively skewed indicator."""
    x = np.asarray(values, dtype=float)
    lo, hi = np.nanmin(x), np.nanmax(x)
    offset = offset_share * (hi - lo)
    if skewness(x) >= 0:
        return np.log(x - lo + offset)
    return -np.log(hi - x + offset)


def treat_matrix(
    matrix: np.ndarray,
    *,
    skewness_threshold: float,
    kurtosis_threshold: float,
    max_points: int,
    log_fallback: bool = True,
    log_offset_share: float = 0.01,
) -> tuple[np.ndarray, list[OutlierResult]]:
    """Treat every column of a communes x indicators matrix; returns the matrix and per-column results."""
    results = [
        treat_outliers(
            matrix[:, j],
            skewness_threshold=skewness_threshold,
            kurtosis_threshold=kurtosis_threshold,
            max_points=max_points,
            log_fallback=log_fallback,
            log_offset_share=log_offset_share,
        )
        for j in range(matrix.shape[1])
    ]
    treated = np.column_stack([r.values for r in results]) if results else matrix.copy()
    return treated, results


def treat_matrix_limits(
    matrix: np.ndarray,
    limits: list[int],
    *,
    skewness_threshold: float,
    kurtosis_threshold: float,
    log_fallback: bool = True,
    log_offset_share: float = 0.01,
) -> dict[int, tuple[np.ndarray, list[OutlierResult]]]:
    """``treat_matrix`` under each limit of points in ``limits``, each column treated once."""
    per_column = [
        treat_outliers_limits(
            matrix[:, j],
            limits,
            skewness_threshold=skewness_threshold,
            kurtosis_threshold=kurtosis_threshold,
            log_fallback=log_fallback,
            log_offset_share=log_offset_share,
        )
        for j in range(matrix.shape[1])
    ]
    out = {}
    for limit in limits:
        results = [column[limit] for column in per_column]
        out[limit] = (np.column_stack([r.values for r in results]) if results else matrix.copy(), results)
    return out


def _row_moments(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bias-corrected skewness and excess kurtosis of each row of a NaN-free 2-D array, as
    ``moments`` computes them (Excel SKEW and KURT), fast along contiguous rows."""
    n = float(x.shape[1])
    c = x - x.mean(axis=1, keepdims=True)
    c2 = c * c
    s2 = c2.sum(axis=1)
    s3 = (c2 * c).sum(axis=1)
    s4 = (c2 * c2).sum(axis=1)
    scale = np.abs(x).max(axis=1)
    constant = s2 <= (scale * 1e-12) ** 2 * n
    with np.errstate(invalid="ignore", divide="ignore"):
        skew = np.sqrt(n) * s3 / s2**1.5 * np.sqrt(n * (n - 1)) / (n - 2)
        r = n * s4 / s2**2
        kurt = ((n + 1) * (r - 3) + 6) * (n - 1) / ((n - 2) * (n - 3))
    return np.where(constant, np.nan, skew), np.where(constant, np.nan, kurt)


def _row_fails(x: np.ndarray, skewness_threshold: float, kurtosis_threshold: float) -> tuple[np.ndarray, np.ndarray]:
    sk, ku = _row_moments(x)
    with np.errstate(invalid="ignore"):
        fails = (np.abs(sk) >= skewness_threshold) & (ku >= kurtosis_threshold)
    return fails & ~np.isnan(sk) & ~np.isnan(ku), sk


def treat_draws(
    values: np.ndarray,
    limits: np.ndarray,
    *,
    skewness_threshold: float,
    kurtosis_threshold: float,
    log_fallback: bool = True,
    log_offset_share: float = 0.01,
) -> np.ndarray:
    """``treat_outliers`` on each row of ``values`` (draws x communes, no NaN) at once, row ``d``
    with its own limit of points ``limits[d]``: the same rule, step by step, vectorised over the
    draws (the uncertainty analysis treats every data draw)."""
    original = np.ascontiguousarray(values, dtype=float)
    out = original.copy()
    first, first_skew = _row_fails(original, skewness_threshold, kurtosis_threshold)
    rows = np.flatnonzero(first)
    if not rows.size:
        return out
    # Only the rows that fail the test are treated; the others come back as they were.
    x = original[rows].copy()
    lim = np.asarray(limits)[rows]
    points = np.zeros(rows.size, dtype=int)
    sk = first_skew[rows]
    still = np.ones(rows.size, dtype=bool)  # whether a row's current values fail the test
    # Each step works on the rows still winsorising only (failing, under their limit, moved at
    # the last step): a row that has stopped keeps its values and its test result.
    active = np.arange(rows.size)
    while True:
        active = active[points[active] < lim[active]]
        if not active.size:
            break
        xa = x[active]
        high = sk[active] >= 0
        extreme = np.where(high, xa.max(axis=1), xa.min(axis=1))
        at = xa == extreme[:, None]
        # The next distinct value toward the middle; none when every value is tied.
        target = np.where(high, np.where(at, -np.inf, xa).max(axis=1), np.where(at, np.inf, xa).min(axis=1))
        move = np.isfinite(target)
        moved = active[move]
        if moved.size:
            at = at[move]
            x[moved] = np.where(at, target[move][:, None], xa[move])
            points[moved] += at.sum(axis=1)
            # A row stops once it passes, or when all its values are tied (nothing to move toward).
            still[moved], sk[moved] = _row_fails(x[moved], skewness_threshold, kurtosis_threshold)
        active = moved[still[moved]]
    if log_fallback and still.any():
        o = original[rows[still]]
        lo, hi = o.min(axis=1, keepdims=True), o.max(axis=1, keepdims=True)
        offset = log_offset_share * (hi - lo)
        positive = (_row_moments(o)[0] >= 0)[:, None]
        with np.errstate(invalid="ignore", divide="ignore"):
            x[still] = np.where(positive, np.log(o - lo + offset), -np.log(hi - o + offset))
    out[rows] = x
    return out
