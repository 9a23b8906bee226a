"""Data availability screening (../shared/METHOD.md 3.1; COINr's thresholds).

First the indicators: one observed for less than ``min_coverage`` of the map's communes in a year
is dropped that year. Then the communes: one with fewer than ``min_share`` of the remaining
indicators observed gets no score, with a reason saying what is missing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# Shares are compared with a little slack so that 2/3 written as 0.6667 or "2/3" behave alike.
_SLACK = 1e-9


@dataclass(frozen=True)
class ScreeningResult:
    coverage: np.ndarray  # (J,) share of communes with an observed value
    kept: np.ndarray  # (J,) bool: the indicator is used this year
    observed: np.ndarray  # (N,) int: kept indicators observed for the commune
    needed: int  # kept indicators a commune needs to be scored
    scored: np.ndarray  # (N,) bool
    reasons: np.ndarray  # (N,) object: None for a scored commune, else a sentence


def screen(
    values: np.ndarray,
    indicators: tuple[str, ...],
    *,
    year: int,
    min_coverage: float,
    min_share: float,
) -> ScreeningResult:
    present = ~np.isnan(values)
    n_communes = values.shape[0]
    coverage = present.mean(axis=0) if n_communes else np.zeros(values.shape[1])
    kept = coverage >= min_coverage - _SLACK
    n_kept = int(kept.sum())
    observed = present[:, kept].sum(axis=1)
    needed = math.ceil(min_share * n_kept - _SLACK)
    scored = (observed >= needed) & (n_kept > 0)
    reasons = np.full(n_communes, None, dtype=object)
    if n_kept == 0:
        reasons[:] = (
            f"no indicator reaches {min_coverage:.0%} commune coverage in {year}, so no commune can be scored"
        )
        return ScreeningResult(coverage, kept, observed, needed, scored, reasons)
    kept_ids = [ind for ind, k in zip(indicators, kept) if k]
    for i in np.flatnonzero(~scored):
        missing = [ind for ind, p in zip(kept_ids, present[i, kept]) if not p]
        reasons[i] = (
            f"only {observed[i]} of the {n_kept} indicators used in {year} are available "
            f"(at least {needed} needed, {min_share:.0%}); missing: {', '.join(missing)}"
        )
    return ScreeningResult(coverage, kept, observed, needed, scored, reasons)
