"""Fixed-goalpost score: a score comparable across years (METHOD.md 3.7, after the GISD's users).

The nominal score is relative to its own year: the same commune can keep its score while every
commune's needs grow. The fixed-goalpost score freezes the base year's two mappings,

    indicator value (direction applied)  ->  normalised value       (one map per indicator)
    domain score                         ->  transformed domain score (one map per domain)

and applies them to every other year by linear interpolation between the base year's points,
clamped at the base year's extremes (a commune beyond the base year's worst value gets the worst
value's normalised score). Everything else (within-domain weights, domain weights, aggregation)
is the methodology's. Consequences:
- in the base year, score_fixed_goalposts equals score exactly (every value is a node of the map);
- in another year, a commune whose indicators all worsen gets a higher fixed-goalpost score even
  when its nominal score and rank do not move;
- an indicator or a domain missing in the base year is left out of the fixed-goalpost score.
Money values are compared in nominal euros: deflate them upstream if the comparison needs it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cohesion_kernels import aggregate
from cohesion_kernels.pipeline import Aggregated, PreparedYear


@dataclass(frozen=True)
class Map:
    x: np.ndarray  # strictly increasing base-year inputs
    y: np.ndarray  # base-year outputs at those inputs

    @classmethod
    def from_points(cls, x: np.ndarray, y: np.ndarray) -> Map:
        # Tied inputs have equal outputs (ranks are averaged), so the first one stands for all:
        # taking it rather than a mean keeps base-year outputs bit-for-bit equal.
        ux, first = np.unique(np.asarray(x, dtype=float), return_index=True)
        return cls(ux, np.asarray(y, dtype=float)[first])

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return np.interp(np.asarray(x, dtype=float), self.x, self.y)


@dataclass(frozen=True)
class Goalposts:
    base_year: int
    indicators: dict[str, Map]
    domains: dict[str, Map]


def freeze(prep: PreparedYear, smoothed_values: np.ndarray, nominal: Aggregated) -> Goalposts:
    """The base year's maps, from its pre-treatment values and its nominal results."""
    need = smoothed_values * prep.directions
    indicators = {
        ind: Map.from_points(need[:, k], nominal.normalised[:, k]) for k, ind in enumerate(prep.indicators)
    }
    domains = {
        dom: Map.from_points(nominal.domain_scores[:, d], nominal.transformed[:, d])
        for d, dom in enumerate(prep.domains)
    }
    return Goalposts(prep.year, indicators, domains)


def fixed_score(
    goalposts: Goalposts,
    prep: PreparedYear,
    smoothed_values: np.ndarray,
    aggregation: str,
) -> np.ndarray:
    """Score of the year's scored communes against the base year's goalposts; NaN if nothing is shared."""
    keep = np.array([ind in goalposts.indicators for ind in prep.indicators], dtype=bool)
    if not keep.any():
        return np.full(len(prep.rows), np.nan)
    need = smoothed_values * prep.directions
    norm = np.column_stack(
        [goalposts.indicators[ind](need[:, k]) for k, ind in enumerate(prep.indicators) if keep[k]]
    )
    dom = aggregate.domain_scores(
        norm, prep.domain_index[keep], prep.indicator_weights[keep], len(prep.domains)
    )
    shared = [d for d, name in enumerate(prep.domains) if name in goalposts.domains and not np.isnan(dom[:, d]).all()]
    if not shared:
        return np.full(len(prep.rows), np.nan)
    transformed = np.column_stack([goalposts.domains[prep.domains[d]](dom[:, d]) for d in shared])
    return aggregate.combine(transformed, prep.domain_weights[shared], aggregation)
