"""Imputation by the within-arrondissement median (../shared/METHOD.md 3.2).

A commune's missing value is replaced by the median of the observed values of the communes of its
arrondissement. When the whole arrondissement lacks the indicator, the national median is used
instead (and flagged differently) unless the methodology says ``fallback: none``. Every imputed
value is flagged; the fund's gates never use these values (they read the raw indicators).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

NOT_IMPUTED = 0
ARRONDISSEMENT_MEDIAN = 1
NATIONAL_MEDIAN = 2
TREATMENT_NAMES = {ARRONDISSEMENT_MEDIAN: "imputed_arrondissement_median", NATIONAL_MEDIAN: "imputed_national_median"}


@dataclass(frozen=True)
class ImputationResult:
    values: np.ndarray  # (N, J) with the targeted gaps filled
    how: np.ndarray  # (N, J) int8: NOT_IMPUTED, ARRONDISSEMENT_MEDIAN or NATIONAL_MEDIAN


def impute_group_median(
    values: np.ndarray,
    groups: np.ndarray,
    targets: np.ndarray,
    *,
    national_fallback: bool = True,
) -> ImputationResult:
    """Fill NaN cells of the rows in ``targets`` (bool, (N,)) from the medians of all observed rows.

    Medians come from every observed commune of the group, scored or not: an observation is an
    observation, whatever happens to the commune's own score.
    """
    frame = pd.DataFrame(values)
    group_median = frame.groupby(np.asarray(groups)).median().reindex(np.asarray(groups)).to_numpy()
    national = np.nanmedian(values, axis=0) if values.shape[0] else np.full(values.shape[1], np.nan)
    gap = np.isnan(values) & np.asarray(targets, dtype=bool)[:, None]
    filled = values.copy()
    how = np.zeros(values.shape, dtype=np.int8)
    from_group = gap & ~np.isnan(group_median)
    filled[from_group] = group_median[from_group]
    how[from_group] = ARRONDISSEMENT_MEDIAN
    if national_fallback:
        from_nation = gap & np.isnan(group_median)
        filled[from_nation] = np.broadcast_to(national, values.shape)[from_nation]
        how[from_nation] = NATIONAL_MEDIAN
    return ImputationResult(filled, how)
