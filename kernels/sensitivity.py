"""Sensitivity of the ranks, kept apart from their uncertainty (METHOD.md 3.11).

Uncertainty (``uncertainty``) asks how far a rank could be, given what is genuinely uncertain.
Sensitivity asks how much each choice matters, on the data as they are:

- one at a time (``leave_out``): each domain left out (the others' weights renormalised) and each
  indicator left out (its domain's weights renormalised; a domain left with no indicator is left
  out), and each method choice set to each of its other options, everything else nominal; per
  choice the mean and the largest absolute rank shift against the nominal ranks;
- variance-based (``sobol``), as COINr's ``get_sensitivity(SA_type = "SA")`` reports it: the
  output is the mean absolute rank shift against the nominal ranks, the inputs are the method
  choices of ``uncertainty.choices`` with more than one option and the weights (their noise, one
  group), drawn as the uncertainty analysis draws them. Saltelli's design with N base samples
  (N x (d + 2) evaluations for d inputs), first-order indices by Saltelli's 2010 estimator
  mean(f(B) (f(A_B^i) - f(A))) / V and total indices by Jansen's mean((f(A) - f(A_B^i))^2) / 2V,
  V the variance of f over A and B. With finite N an estimate can fall a little outside [0, 1];
  the 5th and 95th percentiles over ``sensitivity.sobol_bootstrap`` resamples of the N rows say
  how far (COINr's ``Nboot``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kernels import aggregate, pipeline, uncertainty
from kernels.methodology import Methodology
from kernels.prepare import YearData, prepare_years

LEAVE_OUT_COLUMNS = ("year", "analysis", "choice", "option", "mean_abs_rank_shift", "max_abs_rank_shift")
SOBOL_COLUMNS = (
    "year", "choice", "first_order", "first_order_p05", "first_order_p95", "total", "total_p05", "total_p95",
    "samples", "evaluations",
)


@dataclass(frozen=True)
class SensitivityResult:
    one_at_a_time: pd.DataFrame  # year x analysis x choice x option: mean and largest rank shift
    sobol: pd.DataFrame  # year x choice: first-order and total Sobol indices


def _shifts(scores: np.ndarray, nominal_rank: np.ndarray) -> np.ndarray:
    """(K, N) absolute rank shifts of K score vectors against the nominal ranks."""
    return np.abs(aggregate.need_ranks(scores) - nominal_rank[None, :])


def run_sensitivity(
    indicators: pd.DataFrame,
    communes: pd.DataFrame,
    methodology: Methodology,
    population: pd.DataFrame | None = None,
    *,
    samples: int | None = None,
    seed: int | None = None,
    one_at_a_time: bool = True,
    sobol: bool = True,
) -> SensitivityResult:
    """Both analyses for every year; ``one_at_a_time`` or ``sobol`` False skips one (each dbt
    model computes only the table it writes)."""
    m = methodology
    parts = [
        year_sensitivity(year, data, m, samples=samples, seed=seed, one_at_a_time=one_at_a_time, sobol=sobol)
        for year, data in prepare_years(indicators, communes, m, population).items()
    ]
    return combine(parts)


@dataclass(frozen=True)
class YearSensitivity:
    """One year's share of a ``SensitivityResult``."""

    one_at_a_time: tuple[pd.DataFrame, ...]
    sobol: pd.DataFrame | None


def year_sensitivity(
    year: int,
    data: YearData,
    m: Methodology,
    *,
    samples: int | None = None,
    seed: int | None = None,
    one_at_a_time: bool = True,
    sobol: bool = True,
) -> YearSensitivity | None:
    """Both analyses of one year (``prepare_years``' data of that year); None when nothing is
    scored. A year depends on its own data, the seed and the year alone: years may be computed
    in any order, or at once, and ``combine``d in year order."""
    n_samples = (m.sensitivity.sobol_samples if m.sensitivity else 0) if samples is None else int(samples)
    n_samples = n_samples if sobol else 0
    base_seed = m.uncertainty.seed if seed is None else int(seed)
    prep = pipeline.prepare_year(data, m)
    if len(prep.rows) == 0 or len(prep.cols) == 0:
        return None
    variants = uncertainty._precompute(prep, m)
    a0, v0 = (int(i[0]) for i in uncertainty._nominal_index(variants, m))
    nominal_rank = aggregate.need_rank(
        uncertainty._score(variants, (np.array([a0]), np.array([v0])), prep.domain_weights[None, :])[0]
    )
    oat = ()
    if one_at_a_time:
        oat = (
            _leave_out(prep, m, variants, (a0, v0), nominal_rank, year),
            uncertainty._sensitivity(prep, m, variants, nominal_rank, _noisy_weights(prep, m, base_seed, year), year)
            .assign(analysis="method_choice"),
        )
    sobol_frame = None
    if n_samples > 0:
        rng = np.random.default_rng([base_seed, year, 3])
        sobol_frame = _sobol(prep, m, variants, nominal_rank, n_samples, rng, year, m.sensitivity.sobol_bootstrap)
    return YearSensitivity(oat, sobol_frame)


def combine(parts: list[YearSensitivity | None]) -> SensitivityResult:
    """The years' analyses (in year order) as one result."""
    oat = [frame for part in parts if part is not None for frame in part.one_at_a_time]
    sobol_rows = [part.sobol for part in parts if part is not None and part.sobol is not None]
    frame = pd.concat(oat, ignore_index=True)[list(LEAVE_OUT_COLUMNS)] if oat else pd.DataFrame(columns=list(LEAVE_OUT_COLUMNS))
    return SensitivityResult(
        one_at_a_time=frame,
        sobol=pd.concat(sobol_rows, ignore_index=True) if sobol_rows else pd.DataFrame(columns=list(SOBOL_COLUMNS)),
    )


def _noisy_weights(prep, m: Methodology, base_seed: int, year: int) -> np.ndarray:
    """The weights alone, drawn as the uncertainty analysis draws them (for the 'weights' row)."""
    rng = np.random.default_rng([base_seed, year, 4])
    noise = rng.uniform(-1.0, 1.0, size=(max(m.uncertainty.draws, 1), len(prep.domains)))
    return prep.domain_weights[None, :] * (1.0 + m.uncertainty.weight_noise * noise)


def _leave_out(prep, m: Methodology, variants, nominal: tuple[int, int], nominal_rank: np.ndarray, year: int) -> pd.DataFrame:
    rows = []
    a0, v0 = nominal
    if "domains" in m.sensitivity.leave_out and len(prep.domains) > 1:
        for d, dom in enumerate(prep.domains):
            w = prep.domain_weights.copy()[None, :]
            w[0, d] = 0.0
            shift = _shifts(uncertainty._score(variants, (np.array([a0]), np.array([v0])), w), nominal_rank)
            rows.append((year, "leave_out", "domain", dom, float(shift.mean()), float(shift.max())))
    if "indicators" in m.sensitivity.leave_out and len(prep.indicators) > 1:
        sm = pipeline.smooth(prep, m, m.smoothing.enabled)
        tr = pipeline.treat(sm.values, m, pipeline.treats_before(m, m.normalisation))
        z = pipeline.normalised(prep, tr.values, m.normalisation)
        for k, ind in enumerate(prep.indicators):
            keep = np.arange(len(prep.indicators)) != k
            dom = aggregate.domain_scores(z[:, keep], prep.domain_index[keep], prep.indicator_weights[keep], len(prep.domains))
            present = ~np.isnan(dom).all(axis=0)  # a domain whose only indicator left is left out
            t = aggregate.domain_transform(dom[:, present], m.aggregation, m.exponential_constant)
            score = aggregate.combine(t, prep.domain_weights[present], m.aggregation)
            shift = _shifts(score[None, :], nominal_rank)
            rows.append((year, "leave_out", "indicator", ind, float(shift.mean()), float(shift.max())))
    return pd.DataFrame(rows, columns=list(LEAVE_OUT_COLUMNS))


def _factors(m: Methodology, prep) -> list[tuple[str, int]]:
    """The Sobol inputs and how many uniform columns each takes."""
    out = [(c.name, 1) for c in m.uncertainty.choices if len(c.options) > 1]
    if m.uncertainty.weight_noise > 0:
        out.append(("weights", len(prep.domains)))
    return out


def _evaluate(prep, m: Methodology, variants, u: np.ndarray, factors, nominal_rank: np.ndarray) -> np.ndarray:
    """Mean absolute rank shift for each row of the uniform sample ``u`` (n, columns)."""
    nom = uncertainty._nominal(m)
    n = u.shape[0]
    picked = {name: np.array([nom[name]] * n, dtype=object) for name in nom}
    weights = np.repeat(prep.domain_weights[None, :], n, axis=0).astype(float)
    col = 0
    for name, width in factors:
        block = u[:, col : col + width]
        col += width
        if name == "weights":
            weights = weights * (1.0 + m.uncertainty.weight_noise * (2.0 * block - 1.0))
            continue
        choice = m.uncertainty.choice(name)
        at = np.minimum(np.searchsorted(np.cumsum(choice.probabilities), block[:, 0], side="right"), len(choice.options) - 1)
        picked[name] = np.array(choice.options, dtype=object)[at]
    for d, dom in enumerate(prep.domains):
        if len(prep.domains) > 1:
            weights[picked["leave_domain_out"] == dom, d] = 0.0
    v_idx = np.array(
        [
            uncertainty._variant(variants, s, t, lim, norm)
            for s, t, lim, norm in zip(
                picked["smoothing"], picked["outlier_treatment"], picked["winsorising_limit"], picked["normalisation"]
            )
        ]
    )
    a_idx = np.array([variants.aggregations.index(a) for a in picked["aggregation"]])
    out = np.empty(n)
    for s in uncertainty._batches(n):
        scores = uncertainty._score(variants, (a_idx[s], v_idx[s]), weights[s])
        out[s] = _shifts(scores, nominal_rank).mean(axis=1)
    return out


def sobol_indices(f_a: np.ndarray, f_b: np.ndarray, f_ab: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First-order (Saltelli 2010) and total (Jansen) indices from the outputs on A, B and A_B^i;
    leading axes of the arrays are carried through (bootstrap resamples). NaN without variance."""
    variance = np.var(np.concatenate([f_a, f_b], axis=-1), axis=-1, ddof=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        first = np.mean(f_b * (f_ab - f_a), axis=-1) / variance
        total = 0.5 * np.mean((f_a - f_ab) ** 2, axis=-1) / variance
    nothing = ~(variance > 0)  # no choice moves any rank: nothing to apportion
    return np.where(nothing, np.nan, first), np.where(nothing, np.nan, total)


def _sobol(
    prep, m: Methodology, variants, nominal_rank: np.ndarray, n: int, rng: np.random.Generator, year: int, boot: int
) -> pd.DataFrame:
    factors = _factors(m, prep)
    if not factors:
        return pd.DataFrame(columns=list(SOBOL_COLUMNS))
    width = sum(w for _, w in factors)
    a, b = rng.random((n, width)), rng.random((n, width))
    f_a = _evaluate(prep, m, variants, a, factors, nominal_rank)
    f_b = _evaluate(prep, m, variants, b, factors, nominal_rank)
    resample = rng.integers(n, size=(boot, n)) if boot else None
    rows, col = [], 0
    for name, w in factors:
        ab = a.copy()
        ab[:, col : col + w] = b[:, col : col + w]
        col += w
        f_ab = _evaluate(prep, m, variants, ab, factors, nominal_rank)
        first, total = (float(x) for x in sobol_indices(f_a, f_b, f_ab))
        spread = [float("nan")] * 4
        if resample is not None:
            bf, bt = sobol_indices(f_a[resample], f_b[resample], f_ab[resample])
            with np.errstate(invalid="ignore"):
                spread = [*np.nanpercentile(bf, [5, 95]), *np.nanpercentile(bt, [5, 95])] if np.isfinite(bf).any() else spread
        rows.append((year, name, first, spread[0], spread[1], total, spread[2], spread[3], n, n * (len(factors) + 2)))
    return pd.DataFrame(rows, columns=list(SOBOL_COLUMNS))
