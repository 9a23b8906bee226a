"""The cohesion index per commune and year (../shared/METHOD.md, section 3), as pandas frames.

Called from the index stage (``kernels.stages``)::

    from kernels.index import compute_index
    from kernels.methodology import load_methodology

    result = compute_index(indicators_df, communes_df, load_methodology(path), population=pop_df)
    return result.index      # or .domains, .contributions, .treatments, ...

Each year is computed on its own (screening, imputation, smoothing, outliers, normalisation,
aggregation: see ``pipeline``); the fixed-goalpost score places every year against the
methodology's base year (``goalposts``); it is NULL when the base year is not among the years.

Output frames (one row per ...):
- ``index`` (commune x year, every commune of the map): ``score`` 0-100 (NULL when unscored),
  ``rank`` (1 = most need, among scored communes; ties share the best rank),
  ``score_fixed_goalposts``, ``indicators_used`` (indicators of that year observed for the
  commune, imputed ones excluded), ``indicators_imputed``, ``reason`` (why there is no score),
  ``methodology_version``.
- ``domains`` (scored commune x year x domain): ``domain_score`` (weighted mean of the normalised
  indicators; higher = more need), ``domain_rank``, ``domain_transformed`` (0-100, the
  exponential X by default), ``weight`` (renormalised to 100 over the year's domains),
  ``contribution`` (points of the score).
- ``contributions`` (scored commune x year x indicator): points of the score; they sum to it.
- ``treatments`` (changed value): ``treatment`` is imputed_arrondissement_median,
  imputed_national_median, smoothed_empirical_bayes, winsorised_high, winsorised_low or
  log_transformed; ``value_before`` and ``value_after`` in the indicator's unit (log units after
  a log transform); ``shrinkage_weight`` the prior's weight of a smoothed value (NaN otherwise).
- ``indicator_values`` (commune x year x indicator): ``value_raw`` as passed in, ``value_smoothed``
  (after imputation and smoothing: what the rank-normal transform ranks), ``value_treated``
  (after outlier treatment), ``normalised``, and flags.
- ``coverage`` (year x indicator): share of the map's communes observed, and whether it was kept.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kernels import aggregate, goalposts, imputation, outliers, pipeline, smoothing
from kernels.contributions import domain_contributions, indicator_contributions
from kernels.methodology import Methodology
from kernels.prepare import prepare_years

INDEX_COLUMNS = (
    "nis_code", "year", "score", "rank", "score_fixed_goalposts", "indicators_used", "indicators_imputed",
    "reason", "methodology_version",
)
DOMAIN_COLUMNS = (
    "nis_code", "year", "domain", "domain_score", "domain_rank", "domain_transformed", "weight", "contribution",
)
CONTRIBUTION_COLUMNS = ("nis_code", "year", "domain", "indicator", "contribution")
TREATMENT_COLUMNS = ("nis_code", "year", "indicator", "treatment", "value_before", "value_after", "shrinkage_weight")
VALUE_COLUMNS = (
    "nis_code", "year", "indicator", "domain", "direction", "used", "value_raw", "numerator", "denominator",
    "value_smoothed", "value_treated", "normalised", "imputed", "smoothed", "prior_weight", "winsorised",
    "log_transformed",
)
COVERAGE_COLUMNS = ("year", "indicator", "domain", "coverage", "kept")


@dataclass(frozen=True)
class IndexResult:
    """Every layer of the index (METHOD.md 1, English IMD: intermediate layers are published too)."""

    index: pd.DataFrame  # commune x year: score 0-100, rank (1 = most need), reason when unscored
    domains: pd.DataFrame  # commune x year x domain
    contributions: pd.DataFrame  # commune x year x indicator; sums to the score per commune-year
    treatments: pd.DataFrame  # one row per value changed by imputation, smoothing or outlier treatment
    indicator_values: pd.DataFrame  # commune x year x indicator: raw, smoothed, treated, normalised, flags
    coverage: pd.DataFrame  # year x indicator: share of communes observed, kept or dropped
    methodology_version: str


@dataclass(frozen=True)
class _Year:
    prep: pipeline.PreparedYear
    smoothed: pipeline.Smoothed
    treated: pipeline.Treated
    nominal: pipeline.Aggregated | None  # None when no commune is scored


def compute_index(
    indicators: pd.DataFrame,
    communes: pd.DataFrame,
    methodology: Methodology,
    population: pd.DataFrame | None = None,
) -> IndexResult:
    """Compute the index for every year in ``indicators`` (input frames: see ``prepare``)."""
    m = methodology
    years = prepare_years(indicators, communes, m, population)
    computed = {year: _compute_year(data, m) for year, data in years.items()}
    # Without an edition for the base year there are no goalposts: every fixed-goalpost score is
    # NULL (index_editions says why), never a score against another year's distributions.
    base = computed.get(m.base_year)
    posts = (
        goalposts.freeze(base.prep, base.treated.values, base.nominal, m, m.exponential_constant)
        if base is not None and base.nominal is not None
        else None
    )
    parts: dict[str, list[pd.DataFrame]] = {k: [] for k in ("index", "domains", "contrib", "treat", "values", "cov")}
    for year, y in computed.items():
        fixed = (
            goalposts.fixed_score(posts, y.prep, y.treated.values, m)
            if posts is not None and y.nominal is not None
            else np.full(len(y.prep.rows), np.nan)
        )
        parts["index"].append(_index_frame(y, fixed, m))
        parts["domains"].append(_domain_frame(y, m))
        parts["contrib"].append(_contribution_frame(y, m))
        parts["treat"].append(_treatment_frame(y))
        parts["values"].append(_value_frame(y, m))
        parts["cov"].append(_coverage_frame(y, m))
    return IndexResult(
        index=_concat(parts["index"], INDEX_COLUMNS),
        domains=_concat(parts["domains"], DOMAIN_COLUMNS),
        contributions=_concat(parts["contrib"], CONTRIBUTION_COLUMNS),
        treatments=_concat(parts["treat"], TREATMENT_COLUMNS),
        indicator_values=_concat(parts["values"], VALUE_COLUMNS),
        coverage=_concat(parts["cov"], COVERAGE_COLUMNS),
        methodology_version=m.version,
    )


def _compute_year(data, m: Methodology) -> _Year:
    prep = pipeline.prepare_year(data, m)
    sm = pipeline.smooth(prep, m, m.smoothing.enabled)
    tr = pipeline.treat(sm.values, m, pipeline.treats_before(m, m.normalisation))
    nominal = None
    if len(prep.rows) and len(prep.cols):
        norm = pipeline.normalised(prep, tr.values, m.normalisation)
        nominal = pipeline.aggregate_year(prep, norm, m.aggregation, m.exponential_constant)
    return _Year(prep, sm, tr, nominal)


def _index_frame(y: _Year, fixed: np.ndarray, m: Methodology) -> pd.DataFrame:
    data, prep, sc = y.prep.data, y.prep, y.prep.screening
    n = len(data.nis_codes)
    score = np.full(n, np.nan)
    fixed_all = np.full(n, np.nan)
    imputed = np.zeros(n, dtype=int)
    if y.nominal is not None:
        score[prep.rows] = y.nominal.score
        fixed_all[prep.rows] = fixed
        imputed[prep.rows] = (prep.imputed != imputation.NOT_IMPUTED).sum(axis=1)
    rank = aggregate.need_rank(score)
    return pd.DataFrame(
        {
            "nis_code": data.nis_codes,
            "year": data.year,
            "score": score,
            "rank": pd.array(np.where(np.isnan(rank), pd.NA, rank), dtype="Int64"),
            "score_fixed_goalposts": fixed_all,
            "indicators_used": sc.observed.astype(int),
            "indicators_imputed": imputed,
            "reason": pd.array(sc.reasons, dtype="string"),
            "methodology_version": m.version,
        }
    )


def _domain_frame(y: _Year, m: Methodology) -> pd.DataFrame:
    if y.nominal is None:
        return pd.DataFrame(columns=DOMAIN_COLUMNS)
    prep, nom = y.prep, y.nominal
    contrib = domain_contributions(nom.transformed, prep.domain_weights, nom.score, m.aggregation)
    weights = 100.0 * prep.domain_weights / prep.domain_weights.sum()
    frames = []
    for d, dom in enumerate(prep.domains):
        frames.append(
            pd.DataFrame(
                {
                    "nis_code": prep.nis_codes,
                    "year": prep.year,
                    "domain": dom,
                    "domain_score": nom.domain_scores[:, d],
                    "domain_rank": aggregate.need_rank(nom.domain_scores[:, d]).astype(int),
                    "domain_transformed": nom.transformed[:, d],
                    "weight": weights[d],
                    "contribution": contrib[:, d],
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _contribution_frame(y: _Year, m: Methodology) -> pd.DataFrame:
    if y.nominal is None:
        return pd.DataFrame(columns=CONTRIBUTION_COLUMNS)
    prep, nom = y.prep, y.nominal
    dom = domain_contributions(nom.transformed, prep.domain_weights, nom.score, m.aggregation)
    ind = indicator_contributions(dom, nom.normalised, prep.domain_index, prep.indicator_weights, m.normalisation)
    n, j = ind.shape
    return pd.DataFrame(
        {
            "nis_code": np.repeat(prep.nis_codes, j),
            "year": prep.year,
            "domain": np.tile(np.array([prep.domains[d] for d in prep.domain_index], dtype=object), n),
            "indicator": np.tile(np.array(prep.indicators, dtype=object), n),
            "contribution": ind.reshape(-1),
        }
    )


def _treatment_frame(y: _Year) -> pd.DataFrame:
    prep, sm, tr = y.prep, y.smoothed, y.treated
    codes, inds = prep.nis_codes, prep.indicators
    cols: dict[str, list[np.ndarray]] = {
        c: [] for c in ("nis_code", "indicator", "treatment", "value_before", "value_after", "shrinkage_weight")
    }

    def add(
        mask: np.ndarray, k: int, treatment: str | np.ndarray, before: np.ndarray, after: np.ndarray, weight=None
    ) -> None:
        if not mask.any():
            return
        # The prior's weight B of an empirically-Bayes-smoothed value (raw and smoothed beside it).
        cols["shrinkage_weight"].append(np.full(int(mask.sum()), np.nan) if weight is None else weight[mask])
        cols["nis_code"].append(codes[mask])
        cols["indicator"].append(np.full(int(mask.sum()), inds[k], dtype=object))
        labels = np.full(int(mask.sum()), treatment, dtype=object) if isinstance(treatment, str) else treatment[mask]
        cols["treatment"].append(labels)
        cols["value_before"].append(before[mask])
        cols["value_after"].append(after[mask])

    raw = prep.data.values[np.ix_(prep.rows, prep.cols)]
    for k in range(len(inds)):
        how = prep.imputed[:, k]
        for code, name in imputation.TREATMENT_NAMES.items():
            add(how == code, k, name, raw[:, k], prep.values[:, k])
        add(sm.smoothed[:, k], k, smoothing.TREATMENT_NAME, prep.values[:, k], sm.values[:, k], sm.prior_weight[:, k])
        if tr.results is not None:
            labels = tr.results[k].value_labels
            add(labels != "", k, labels, sm.values[:, k], tr.values[:, k])
    if not cols["nis_code"]:
        return pd.DataFrame(columns=TREATMENT_COLUMNS)
    frame = pd.DataFrame({c: np.concatenate(v) for c, v in cols.items()})
    frame.insert(1, "year", prep.year)
    return frame


def _value_frame(y: _Year, m: Methodology) -> pd.DataFrame:
    data, prep = y.prep.data, y.prep
    n, j = data.values.shape
    used = np.zeros((n, j), dtype=bool)
    used[np.ix_(prep.rows, prep.cols)] = True
    smoothed_v, treated_v, norm_v = (np.full((n, j), np.nan) for _ in range(3))
    imputed_f, smoothed_f, wins_f, log_f = (np.zeros((n, j), dtype=bool) for _ in range(4))
    weight = np.full((n, j), np.nan)
    block = np.ix_(prep.rows, prep.cols)
    smoothed_v[block] = y.smoothed.values
    treated_v[block] = y.treated.values
    imputed_f[block] = prep.imputed != imputation.NOT_IMPUTED
    smoothed_f[block] = y.smoothed.smoothed
    weight[block] = y.smoothed.prior_weight
    if y.nominal is not None:
        norm_v[block] = y.nominal.normalised
    if y.treated.results is not None:
        labels = np.column_stack([r.value_labels for r in y.treated.results]) if prep.cols.size else None
        if labels is not None:
            wins_f[block] = np.isin(labels, [outliers.WINSORISED_HIGH, outliers.WINSORISED_LOW])
            log_f[block] = labels == outliers.LOG_TRANSFORMED
    frame = pd.DataFrame(
        {
            "nis_code": np.repeat(data.nis_codes, j),
            "year": data.year,
            "indicator": np.tile(np.array(data.indicators, dtype=object), n),
            "domain": np.tile(np.array([m.domain_of(i) for i in data.indicators], dtype=object), n),
            "direction": np.tile(np.array([m.indicator(i).direction for i in data.indicators]), n),
            "used": used.reshape(-1),
            "value_raw": data.values.reshape(-1),
            "numerator": data.numerators.reshape(-1),
            "denominator": data.denominators.reshape(-1),
            "value_smoothed": smoothed_v.reshape(-1),
            "value_treated": treated_v.reshape(-1),
            "normalised": norm_v.reshape(-1),
            "imputed": imputed_f.reshape(-1),
            "smoothed": smoothed_f.reshape(-1),
            "prior_weight": weight.reshape(-1),
            "winsorised": wins_f.reshape(-1),
            "log_transformed": log_f.reshape(-1),
        }
    )
    # Keep a row wherever there is something to say: a raw value, or a value the index used.
    return frame[frame["used"] | frame["value_raw"].notna()].reset_index(drop=True)


def _coverage_frame(y: _Year, m: Methodology) -> pd.DataFrame:
    data, sc = y.prep.data, y.prep.screening
    return pd.DataFrame(
        {
            "year": data.year,
            "indicator": list(data.indicators),
            "domain": [m.domain_of(i) for i in data.indicators],
            "coverage": sc.coverage,
            "kept": sc.kept,
        }
    )


def _concat(frames: list[pd.DataFrame], columns: tuple[str, ...]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=list(columns))
    out = pd.concat(frames, ignore_index=True)[list(columns)]
    return out.sort_values([c for c in ("year", "nis_code") if c in out.columns], kind="stable").reset_index(drop=True)
