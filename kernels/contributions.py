"""Contributions of each domain and indicator to the score; they add up to the score (METHOD.md 3.9).

Attribution rule, written down because the exponential step is not linear:
- Domain: with weights w renormalised to sum to 100, the score is sum_d w_d * T_d / 100 (T the
  transformed domain score), so domain d contributes exactly w_d * T_d / 100. For a geometric
  aggregation, score = prod T_d^(w_d/100); its logarithm is additive, so domain d gets the share
  (w_d/100) ln T_d / ln(score) of the score (weights alone when every T_d is 1).
- Indicator: a domain's contribution is split among its indicators in proportion to
  a_j * p_j, a_j the within-domain weight and p_j the indicator's need position: Phi(z) for a
  rank-normal or z-score value (its percentile, in (0, 1)), the value itself for min-max. p_j is
  never negative, so no share is negative and a commune's shares always sum to 1, whatever the
  signs of its normalised values (a proportional split of z itself breaks down when z values of
  both signs nearly cancel). When every p_j of a domain is 0, the split follows a_j alone.
"""

from __future__ import annotations

import numpy as np

from kernels.normalise import need_share_basis


def domain_contributions(transformed: np.ndarray, weights: np.ndarray, score: np.ndarray, aggregation: str) -> np.ndarray:
    """(N, D) contributions whose rows sum to ``score``."""
    w = np.asarray(weights, dtype=float)
    w = w / w.sum()
    if aggregation != "geometric":
        return transformed * w
    logs = np.log(transformed) * w
    total = logs.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(total > 0, logs / total, w)
    return share * score[:, None]


def indicator_contributions(
    domain_contrib: np.ndarray,
    normalised: np.ndarray,
    domain_index: np.ndarray,
    indicator_weights: np.ndarray,
    method: str,
) -> np.ndarray:
    """(N, J) contributions; the columns of domain d sum to ``domain_contrib[:, d]``."""
    basis = need_share_basis(normalised, method) * indicator_weights
    n_domains = domain_contrib.shape[1]
    member = np.zeros((len(domain_index), n_domains))
    member[np.arange(len(domain_index)), domain_index] = 1.0
    totals = basis @ member  # (N, D)
    weight_totals = indicator_weights @ member  # (D,)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(
            totals[:, domain_index] > 0,
            basis / totals[:, domain_index],
            indicator_weights / weight_totals[domain_index],
        )
    return share * domain_contrib[:, domain_index]
