"""Fixed-goalpost score: a score comparable across years (METHOD.md 3.7, after the GISD's users).

The nominal score is relative to its own year: the same commune can keep its score while every
commune's needs grow. The fixed-goalpost score freezes the base year's two mappings,

    indicator value (direction applied)  ->  normalised value       (one map per indicator)
    domain score                         ->  transformed domain score (one map per domain)

and applies them to every other year by linear interpolation between the base year's points,
clamped at the base year's extremes (a commune beyond the base year's worst value gets the worst
value's normalised score). Everything else (within-domain weights, domain weights, aggregation)
is the methodology's.

Which indicators (``goalposts`` in the methodology file):
- method 2: one fixed set per methodology version (market-cycle volumes left out). The base
  year's domain maps are built on that set alone, and an edition lacking an indicator of the set
  has no fixed-goalpost score (NaN) rather than a score on another set;
- method 1 (``indicators: edition``): whatever each edition shares with the base year; in the
  base year the fixed-goalpost score then equals the score exactly (every value is a node).
Money (``money: true``) is divided by the national median of its year first when
``money_relative_to_national_median`` (METHOD.md 3.3): nominal income growth is not a fall in need.
In another year, a commune whose indicators all worsen gets a higher fixed-goalpost score even
when its nominal score and rank do not move.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kernels import aggregate
from kernels.methodology import Methodology
from kernels.pipeline import Aggregated, PreparedYear


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
    fixed_set: tuple[str, ...] | None  # None: each edition's indicators shared with the base year


def comparable_values(prep: PreparedYear, values: np.ndarray, m: Methodology) -> np.ndarray:
    """``values`` (scored communes x kept indicators) with every money indicator divided by the
    median of its observed values that year (the national median for the national index)."""
    out = np.array(values, dtype=float, copy=True)
    if not m.goalposts.money_relative_to_national_median:
        return out
    for k, ind in enumerate(prep.indicators):
        if m.indicator(ind).money:
            median = np.nanmedian(prep.data.values[:, prep.cols[k]])
            out[:, k] = out[:, k] / median
    return out


def _columns(prep: PreparedYear, fixed_set: tuple[str, ...] | None) -> np.ndarray | None:
    """Positions of the goalpost indicators among the year's; None when the year lacks one."""
    if fixed_set is None:
        return np.arange(len(prep.indicators))
    if not set(fixed_set) <= set(prep.indicators):
        return None
    return np.array([k for k, ind in enumerate(prep.indicators) if ind in fixed_set], dtype=int)


def freeze(
    prep: PreparedYear, values: np.ndarray, nominal: Aggregated, m: Methodology, constant: float
) -> Goalposts | None:
    """The base year's maps, from the values its normalisation read and its nominal results;
    None when the base year lacks an indicator of the fixed set."""
    fixed_set = m.goalposts.indicators
    cols = _columns(prep, fixed_set)
    if cols is None:
        return None
    need = comparable_values(prep, values, m) * prep.directions
    indicators = {prep.indicators[k]: Map.from_points(need[:, k], nominal.normalised[:, k]) for k in cols}
    if fixed_set is None:
        dom, transformed = nominal.domain_scores, nominal.transformed
    else:
        # The domains as the fixed set alone makes them, transformed in the base year.
        dom = aggregate.domain_scores(
            nominal.normalised[:, cols], prep.domain_index[cols], prep.indicator_weights[cols], len(prep.domains)
        )
        transformed = aggregate.domain_transform(dom, m.aggregation, constant)
    domains = {
        name: Map.from_points(dom[:, d], transformed[:, d])
        for d, name in enumerate(prep.domains)
        if not np.isnan(dom[:, d]).all()
    }
    return Goalposts(prep.year, indicators, domains, fixed_set)


def fixed_score(goalposts: Goalposts, prep: PreparedYear, values: np.ndarray, m: Methodology) -> np.ndarray:
    """Score of the year's scored communes against the base year's goalposts; NaN if nothing is
    shared (method 1) or if the year lacks an indicator of the fixed set (method 2)."""
    cols = _columns(prep, goalposts.fixed_set)
    nothing = np.full(len(prep.rows), np.nan)
    if cols is None:
        return nothing
    keep = np.array([k for k in cols if prep.indicators[k] in goalposts.indicators], dtype=int)
    if not keep.size:
        return nothing
    need = comparable_values(prep, values, m) * prep.directions
    norm = np.column_stack([goalposts.indicators[prep.indicators[k]](need[:, k]) for k in keep])
    dom = aggregate.domain_scores(norm, prep.domain_index[keep], prep.indicator_weights[keep], len(prep.domains))
    shared = [d for d, name in enumerate(prep.domains) if name in goalposts.domains and not np.isnan(dom[:, d]).all()]
    if not shared:
        return nothing
    transformed = np.column_stack([goalposts.domains[prep.domains[d]](dom[:, d]) for d in shared])
    return aggregate.combine(transformed, prep.domain_weights[shared], m.aggregation)
