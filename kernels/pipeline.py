"""The index computation of one year, split into the stages the uncertainty analysis varies.

    screening -> imputation -> smoothing -> outlier treatment -> normalisation -> domains -> index

Order and its reasons:
- Smoothing comes before the outlier test (METHOD.md 3.4 before 3.5): the extremes of small
  communes are mostly sampling noise, which smoothing removes at its source; testing afterwards
  winsorises only what remains, and smoothing (which recomputes a rate from its numerator and
  denominator) cannot undo a winsorised value.
- Outlier treatment runs only before the normalisations it protects (``outliers.normalisations``:
  min-max and z-score), and those normalisations read the treated values. Before the rank-based
  normal transform it does not run at all: winsorising and the log are monotone, so they could
  only turn the winsorised points into ties (and let raising a need lower a rank). No step runs
  that cannot change the result (METHOD.md 3.5).

``index.py`` runs the stages with the methodology's nominal choices; ``uncertainty.py`` runs them
once per alternative and recombines the results as arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kernels import aggregate, imputation, normalise, outliers, screening, smoothing
from kernels.methodology import Methodology
from kernels.prepare import IndexInputError, YearData


@dataclass(frozen=True)
class PreparedYear:
    """A year after screening and imputation: rows are the scored communes, columns the kept indicators."""

    data: YearData
    screening: screening.ScreeningResult
    rows: np.ndarray  # (Ns,) row indices into data (scored communes)
    cols: np.ndarray  # (Jk,) column indices into data (kept indicators)
    indicators: tuple[str, ...]  # (Jk,)
    directions: np.ndarray  # (Jk,)
    indicator_weights: np.ndarray  # (Jk,)
    domain_index: np.ndarray  # (Jk,) index into ``domains``
    domains: tuple[str, ...]  # domains with at least one kept indicator
    domain_weights: np.ndarray  # (Dp,) as in the methodology (renormalised when combined)
    imputed: np.ndarray  # (Ns, Jk) int8, imputation.NOT_IMPUTED / ...
    values: np.ndarray  # (Ns, Jk) observed or imputed values

    @property
    def year(self) -> int:
        return self.data.year

    @property
    def nis_codes(self) -> np.ndarray:
        return self.data.nis_codes[self.rows]


@dataclass(frozen=True)
class Smoothed:
    values: np.ndarray  # (Ns, Jk) values after smoothing (== PreparedYear.values where not smoothed)
    smoothed: np.ndarray  # (Ns, Jk) bool
    prior_weight: np.ndarray  # (Ns, Jk) B_i, NaN where not a rate


@dataclass(frozen=True)
class Treated:
    values: np.ndarray  # (Ns, Jk)
    results: tuple[outliers.OutlierResult, ...] | None  # None when treatment is off


@dataclass(frozen=True)
class Aggregated:
    normalised: np.ndarray  # (Ns, Jk)
    domain_scores: np.ndarray  # (Ns, Dp)
    transformed: np.ndarray  # (Ns, Dp), 0-100
    score: np.ndarray  # (Ns,)


def prepare_year(data: YearData, m: Methodology) -> PreparedYear:
    sc = screening.screen(
        data.values,
        data.indicators,
        year=data.year,
        min_coverage=m.screening.min_indicator_coverage,
        min_share=m.screening.min_commune_indicator_share,
    )
    cols = np.flatnonzero(sc.kept)
    rows = np.flatnonzero(sc.scored)
    indicators = tuple(data.indicators[j] for j in cols)
    dom_of = [m.domain_of(i) for i in indicators]
    domains = tuple(d for d in m.domain_ids if d in dom_of)
    weight_of = {i: w for d in m.domains for i, w in zip(d.indicators, d.indicator_weights)}
    imp = imputation.impute_group_median(
        data.values[:, cols],
        data.arrondissements,
        sc.scored,
        national_fallback=m.imputation.fallback == "national_median",
    )
    values = imp.values[rows]
    if np.isnan(values).any():  # only possible with fallback: none
        j = int(np.flatnonzero(np.isnan(values).any(axis=0))[0])
        raise IndexInputError(
            "indicators",
            f"{indicators[j]} in {data.year}: a whole arrondissement lacks it and imputation.fallback is 'none'; "
            "set imputation.fallback: national_median or supply the values",
        )
    return PreparedYear(
        data=data,
        screening=sc,
        rows=rows,
        cols=cols,
        indicators=indicators,
        directions=np.array([m.indicator(i).direction for i in indicators], dtype=float),
        indicator_weights=np.array([weight_of[i] for i in indicators], dtype=float),
        domain_index=np.array([domains.index(d) for d in dom_of], dtype=int),
        domains=domains,
        domain_weights=np.array([m.domain(d).weight for d in domains], dtype=float),
        imputed=imp.how[rows],
        values=values,
    )


def smoothable(m: Methodology, indicator: str) -> bool:
    """A rate with sampling noise: a proportion, not a share counted over the whole register."""
    ind = m.indicator(indicator)
    return ind.rate and not ind.register


def smooth(prep: PreparedYear, m: Methodology, enabled: bool) -> Smoothed:
    """Shrink the rates (rate indicators with a numerator and a denominator, register shares
    excepted) by their precision; with a ``min_population``, only the communes below it."""
    values = prep.values.copy()
    done = np.zeros(values.shape, dtype=bool)
    weight = np.full(values.shape, np.nan)
    if not enabled:
        return Smoothed(values, done, weight)
    data = prep.data
    cut_off = m.smoothing.min_population > 0
    # NaN population: not small (method 1); without a cut-off every commune is eligible.
    small = data.population < m.smoothing.min_population if cut_off else np.ones(len(data.nis_codes), dtype=bool)
    for k, j in enumerate(prep.cols):
        if not smoothable(m, prep.indicators[k]):
            continue
        num, den = data.numerators[:, j], data.denominators[:, j]
        if not np.isfinite(num).any():
            continue
        if cut_off and np.isnan(data.population).all():
            raise IndexInputError(
                "population",
                f"smoothing is enabled in {m.source} but no population was passed for {data.year}; "
                "pass population=... (nis_code, year, population) or set smoothing.enabled: false",
            )
        eligible = small & np.isfinite(data.values[:, j]) & np.isin(np.arange(len(small)), prep.rows)
        res = smoothing.shrink_rates(num, den, data.arrondissements, eligible, m.smoothing.prior)
        scale = smoothing.value_scale(data.values[:, j], res.raw_rate)
        hit = res.smoothed[prep.rows] & (prep.imputed[:, k] == imputation.NOT_IMPUTED)
        values[hit, k] = res.rate[prep.rows][hit] * scale
        done[:, k] = hit
        weight[:, k] = res.prior_weight[prep.rows]
    return Smoothed(values, done, weight)


def treat(values: np.ndarray, m: Methodology, enabled: bool, limit: int | None = None) -> Treated:
    if not enabled:
        return Treated(values, None)
    treated, results = outliers.treat_matrix(
        values,
        skewness_threshold=m.outliers.skewness_threshold,
        kurtosis_threshold=m.outliers.kurtosis_threshold,
        max_points=m.outliers.max_winsorised_points if limit is None else limit,
        log_fallback=m.outliers.fallback == "log_transform",
        log_offset_share=m.outliers.log_offset_share,
    )
    return Treated(treated, tuple(results))


def treat_limits(values: np.ndarray, m: Methodology, limits: list[int]) -> dict[int, Treated]:
    """``treat(values, m, True, limit)`` for each limit, each indicator's steps taken once."""
    treated = outliers.treat_matrix_limits(
        values,
        limits,
        skewness_threshold=m.outliers.skewness_threshold,
        kurtosis_threshold=m.outliers.kurtosis_threshold,
        log_fallback=m.outliers.fallback == "log_transform",
        log_offset_share=m.outliers.log_offset_share,
    )
    return {limit: Treated(matrix, tuple(results)) for limit, (matrix, results) in treated.items()}


def treats_before(m: Methodology, method: str) -> bool:
    """Whether outlier treatment runs before the normalisation ``method`` (module docstring)."""
    return m.outliers.enabled and method in m.outliers.normalisations


def normalised(prep: PreparedYear, values: np.ndarray, method: str) -> np.ndarray:
    """The normalised values (direction applied) of the smoothed, or treated, values."""
    return normalise.normalise(values, method, prep.directions)


def aggregate_year(
    prep: PreparedYear,
    norm: np.ndarray,
    aggregation: str,
    constant: float,
    domain_weights: np.ndarray | None = None,
) -> Aggregated:
    dom = aggregate.domain_scores(norm, prep.domain_index, prep.indicator_weights, len(prep.domains))
    transformed = aggregate.domain_transform(dom, aggregation, constant)
    weights = prep.domain_weights if domain_weights is None else domain_weights
    score = aggregate.combine(transformed, weights, aggregation)
    return Aggregated(norm, dom, transformed, score)
