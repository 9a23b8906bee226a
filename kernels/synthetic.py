"""Synthetic inputs for the index kernels: fake communes with plausible, seeded indicators.

For tests and the benchmark only; never presented as data. Each commune has a latent need shared by
its indicators (plus an arrondissement effect and noise), a log-normal population with a tail of
small communes (so smoothing has work to do), rate indicators with binomial numerators and their
denominators, and heavy-tailed indicators (arrivals, non-Belgian share) that trip the COINr
outlier rule. ``unemployment_rate`` is in percent, as the employment dataset publishes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kernels.smoothing import expit


@dataclass(frozen=True)
class SyntheticInputs:
    indicators: pd.DataFrame  # nis_code, year, indicator, value, numerator, denominator
    communes: pd.DataFrame  # nis_code, arrondissement_code
    population: pd.DataFrame  # nis_code, year, population
    latent_need: pd.Series  # by nis_code: the last year's latent need the indicators were drawn from


# indicator: (denominator as a share of the population, intercept, slope on need, noise sd, scale)
_RATES = {
    "share_zero_income_declarations": (0.55, -2.6, 0.35, 0.25, 1.0),
    "unemployment_rate": (0.45, -2.4, 0.55, 0.20, 100.0),
    "youth_unemployment_rate": (0.05, -1.7, 0.50, 0.25, 1.0),
    "employment_rate_20_64": (0.58, 0.75, -0.35, 0.15, 1.0),
    "school_delay_rate": (0.15, -1.3, 0.40, 0.20, 1.0),
    "early_leavers_rate": (0.08, -2.2, 0.45, 0.25, 1.0),
    "language_support_share": (0.15, -2.5, 0.70, 0.50, 1.0),
    "share_non_belgian": (1.00, -2.5, 0.60, 0.70, 1.0),
    "share_age_0_2": (1.00, -3.5, 0.10, 0.10, 1.0),
    "share_age_3_17": (1.00, -1.8, 0.08, 0.08, 1.0),
}
# indicator: (median, slope on need of the log, noise sd of the log)
_LOGNORMAL = {
    "mean_income_per_declaration": (36000.0, -0.15, 0.08),
    "mean_income_per_inhabitant": (21000.0, -0.18, 0.10),
    "price_to_income_houses": (7.5, 0.08, 0.20),
    "sales_per_1000_inhabitants": (12.0, -0.10, 0.25),
    "arrivals_per_1000_3y": (15.0, 0.45, 0.80),
}
# indicator: (mean, slope on need, noise sd)
_NORMAL = {
    "share_non_belgian_change_5y": (0.01, 0.006, 0.008),
    "dependency_ratio": (0.55, 0.01, 0.04),
}


def make_synthetic(
    n_communes: int = 565,
    n_arrondissements: int = 43,
    years: Sequence[int] = (2022,),
    *,
    seed: int = 0,
    missing_share: float = 0.01,
    drift: float = 0.15,
) -> SyntheticInputs:
    """``n_communes`` fake communes in ``n_arrondissements``, one set of indicators per year.

    ``drift`` is the sd of each commune's yearly change in latent need; ``missing_share`` of the
    values are NaN (as suppressed values are).
    """
    rng = np.random.default_rng(seed)
    codes = np.array([f"{90001 + i:05d}" for i in range(n_communes)])
    arr = rng.integers(0, n_arrondissements, n_communes)
    arr[:n_arrondissements] = np.arange(n_arrondissements)[: min(n_arrondissements, n_communes)]
    arr_codes = np.array([f"A{a:02d}" for a in arr])
    need = rng.normal(0.0, 0.6, n_arrondissements)[arr] + rng.normal(0.0, 0.8, n_communes)
    base_pop = np.clip(np.exp(rng.normal(np.log(11000.0), 0.95, n_communes)), 80, 550_000)

    rows = []
    pop_rows = []
    for t, year in enumerate(years):
        need_t = need + rng.normal(0.0, drift, n_communes) * (t > 0)
        need = need_t
        pop = np.round(base_pop * (1.0 + 0.005 * t))
        pop_rows.append(pd.DataFrame({"nis_code": codes, "year": year, "population": pop}))
        for ind, (share, a, b, sd, scale) in _RATES.items():
            den = np.maximum(1.0, np.round(pop * share))
            p = expit(a + b * need_t + rng.normal(0.0, sd, n_communes))
            num = rng.binomial(den.astype(np.int64), p).astype(float)
            rows.append(_frame(codes, year, ind, scale * num / den, num, den))
        for ind, (median, b, sd) in _LOGNORMAL.items():
            value = median * np.exp(b * need_t + rng.normal(0.0, sd, n_communes))
            rows.append(_frame(codes, year, ind, value))
        for ind, (mean, b, sd) in _NORMAL.items():
            value = mean + b * need_t + rng.normal(0.0, sd, n_communes)
            rows.append(_frame(codes, year, ind, value))
    frame = pd.concat(rows, ignore_index=True)
    gone = rng.random(len(frame)) < missing_share
    frame.loc[gone, ["value", "numerator", "denominator"]] = np.nan
    return SyntheticInputs(
        indicators=frame,
        communes=pd.DataFrame({"nis_code": codes, "arrondissement_code": arr_codes}),
        population=pd.concat(pop_rows, ignore_index=True),
        latent_need=pd.Series(need, index=codes, name="latent_need"),
    )


def _frame(codes, year, indicator, value, numerator=None, denominator=None) -> pd.DataFrame:
    nan = np.full(len(codes), np.nan)
    return pd.DataFrame(
        {
            "nis_code": codes,
            "year": year,
            "indicator": indicator,
            "value": value,
            "numerator": nan if numerator is None else numerator,
            "denominator": nan if denominator is None else denominator,
        }
    )
