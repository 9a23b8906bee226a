"""The fund under uncertainty: eligibility over both gates and the spread of each amount across
draws (METHOD.md 4, "Eligibility probability" and "Allocation"; section 5).

Each draw perturbs what the two gates read:
- gate A: the commune's 3-year count gets Poisson noise (``eligibility_probability.arrival_noise``;
  the count is a sum of rare independent events, so its sampling variance is the count itself).
  The national and regional references move with the perturbed counts (the commune's own
  arrivals are part of them). A proxy's net change, which can be negative, gets the noise on its
  size with its sign kept. Rules without noise (method 1) keep gate A as observed;
- gate B: the rank is the index's own uncertainty draw (METHOD.md 3.10), and the cut-off is
  found again among the draw's gate-A communes;
- need: the commune's fixed-goalpost score moves by the change in the index score its draw rank
  implies (the year's score at the draw rank minus the score at its own rank), so a draw at the
  commune's own rank keeps its score exactly.

The year's transitions are those of the nominal run: the exit guarantees are what it paid (the
formula shares out the same pool in every draw), and a commune already in the fund that fails a
draw's gates is paid in a grace year with the band factor of its last year inside them, exactly as
the nominal rules would treat it; one that would leave gets nothing from the formula.

Everything is arrays of draws x communes (numpy, no loop over draws): the amounts solve each
draw's "same euros per unit of weight between the floor and the cap" by bisection on that
amount per unit of weight, all draws at once. Amounts across draws are real (unrounded) cents:
the 5th, 50th and 95th percentiles are published rounded to the cent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kernels.fund_gates import PER, _TIE, band_factor, gate_a_position, gate_b_position
from kernels.fund_rules import FundRules

# Bisection steps on the euros per unit of weight: each halves the interval, so 60 steps take
# the amounts far below a cent of any budget under 2**53 cents.
_BISECTION_STEPS = 60
PERCENTILES: tuple[int, ...] = (5, 50, 95)


@dataclass(frozen=True)
class YearInputs:
    """One year of the fund, one entry per commune of its scope (arrays in the same order)."""

    numerator: np.ndarray  # gate A's 3-year count as used (NaN when gate A cannot be assessed)
    denominator: np.ndarray  # its denominator
    indicator_group: np.ndarray  # int: which indicator the commune's gate A uses (its reference)
    region_group: np.ndarray  # int: region x indicator, for the regional reference
    national_numerator: np.ndarray  # the observed sums behind the commune's references
    national_denominator: np.ndarray
    regional_numerator: np.ndarray
    regional_denominator: np.ndarray
    gate_a_pass: np.ndarray  # bool, observed
    draw_ranks: np.ndarray  # (K, N) index rank per draw, NaN without a rank
    rank: np.ndarray  # observed index rank (NaN without)
    score: np.ndarray  # observed index score
    need_score: np.ndarray  # observed fixed-goalpost score (NaN without)
    population: np.ndarray
    grace_possible: np.ndarray  # bool: in the fund before, and a year outside would be a grace year
    held_factor: np.ndarray  # band factor of its last year inside the gates (for a grace year)
    pool_cents: int  # what the formula shares out this year
    budget_cents: int  # the year's budget


@dataclass(frozen=True)
class YearDrawsResult:
    gate_a_probability: np.ndarray
    gate_b_probability: np.ndarray
    eligibility_probability: np.ndarray
    amount_percentiles: np.ndarray  # (3, N) real cents: p5, p50, p95
    draws: int


def year_draws(inputs: YearInputs, rules: FundRules, rng: np.random.Generator) -> YearDrawsResult:
    """Probabilities and the spread of the formula amount for one year (see the module)."""
    ranks = np.asarray(inputs.draw_ranks, dtype="float64")
    k, n = ranks.shape
    if k == 0 or n == 0:
        empty = np.zeros(n)
        return YearDrawsResult(empty, empty, empty, np.zeros((len(PERCENTILES), n)), k)
    pass_a, position_a = _gate_a(inputs, rules, rng, k)
    pass_b, position_b = _gate_b(ranks, pass_a, rules)
    eligible = pass_a & pass_b
    if rules.bands is None:
        factor = eligible.astype("float64")
    else:
        factor = band_factor(position_a, pass_a) * band_factor(position_b, pass_b)
    grace = inputs.grace_possible[None, :] & ~eligible
    factor = np.where(grace, inputs.held_factor[None, :], factor)
    paid = eligible | grace
    amounts = _amounts(inputs, rules, ranks, paid, factor)
    return YearDrawsResult(
        gate_a_probability=pass_a.mean(axis=0),
        gate_b_probability=pass_b.mean(axis=0),
        eligibility_probability=eligible.mean(axis=0),
        amount_percentiles=np.percentile(amounts, PERCENTILES, axis=0),
        draws=k,
    )


def _gate_a(inputs: YearInputs, rules: FundRules, rng: np.random.Generator, k: int) -> tuple[np.ndarray, np.ndarray]:
    g = rules.gate_a
    x = np.asarray(inputs.numerator, dtype="float64")
    known = np.isfinite(x)
    observed = np.where(known, x, 0.0)
    if rules.probability.arrival_noise == "none":
        drawn = np.broadcast_to(observed, (k, len(x)))
    else:
        size = rng.poisson(np.abs(observed), size=(k, len(x))).astype("float64")
        drawn = np.sign(observed)[None, :] * size
    delta = np.where(known[None, :], drawn - observed[None, :], 0.0)
    # The references move with the draw: observed sums plus the draw's change within each group.
    national = inputs.national_numerator[None, :] + _group_sums(delta, inputs.indicator_group)
    regional = inputs.regional_numerator[None, :] + _group_sums(delta, inputs.region_group)
    wn, wr = float(g.national_weight), float(g.regional_weight)
    with np.errstate(divide="ignore", invalid="ignore"):
        threshold = PER * (wn * national / inputs.national_denominator + wr * regional / inputs.regional_denominator)
        value = PER * drawn / inputs.denominator[None, :]
    if rules.probability.arrival_noise == "none":
        pass_a = np.broadcast_to(inputs.gate_a_pass.astype(bool), (k, len(x)))
    else:
        rate_pass = value >= threshold - _TIE * np.maximum(np.abs(threshold), 1.0)
        pass_a = known[None, :] & rate_pass & (drawn >= g.min_arrivals)
    position = np.full((k, len(x)), np.nan)
    if rules.bands is not None:
        position = gate_a_position(value, threshold, drawn, float(g.min_arrivals), float(rules.bands.gate_a_share))
    return np.asarray(pass_a, dtype=bool), np.where(known[None, :], position, np.nan)


def _group_sums(values: np.ndarray, group: np.ndarray) -> np.ndarray:
    """(K, N): for each draw and commune, the sum of ``values`` over the commune's group."""
    groups = int(group.max()) + 1 if len(group) else 0
    onehot = np.zeros((len(group), groups))
    onehot[np.arange(len(group)), group] = 1.0
    return (values @ onehot)[:, group]


def _gate_b(ranks: np.ndarray, pass_a: np.ndarray, rules: FundRules) -> tuple[np.ndarray, np.ndarray]:
    k, n = ranks.shape
    pool = pass_a & np.isfinite(ranks)
    places = np.array([rules.gate_b.places(c) for c in range(n + 1)])[pool.sum(axis=1)]
    ordered = np.sort(np.where(pool, ranks, np.inf), axis=1)
    cutoff = np.where(places > 0, ordered[np.arange(k), np.maximum(places - 1, 0)], np.nan)
    with np.errstate(invalid="ignore"):
        pass_b = np.isfinite(ranks) & (ranks <= cutoff[:, None])
    position = np.full((k, n), np.nan)
    if rules.bands is not None:
        position = gate_b_position(ranks, cutoff[:, None], rules.bands.gate_b_ranks)
    return pass_b, position


def _amounts(
    inputs: YearInputs, rules: FundRules, ranks: np.ndarray, paid: np.ndarray, factor: np.ndarray
) -> np.ndarray:
    """(K, N) real cents of the formula in each draw; 0 for a commune it does not pay."""
    a = rules.allocation
    k, n = ranks.shape
    # The year's index scores in rank order: the score a draw rank stands for.
    scored = np.isfinite(inputs.rank) & np.isfinite(inputs.score)
    by_rank = np.sort(inputs.score[scored])[::-1]
    at_rank = np.full((k, n), np.nan)
    ok = np.isfinite(ranks) & (ranks >= 1)
    if len(by_rank):
        index = np.clip(np.where(ok, ranks, 1).astype(int) - 1, 0, len(by_rank) - 1)
        at_rank = np.where(ok, by_rank[index], np.nan)
    # Without a draw rank (a grace-year commune the draw did not rank), the observed score stands.
    score = np.where(np.isfinite(at_rank), at_rank, inputs.score[None, :])
    if a.uses_need_intensity:
        moved = inputs.need_score[None, :] + (score - inputs.score[None, :])
        weight = inputs.population[None, :] * np.maximum(np.nan_to_num(moved, nan=0.0), 0.0) / a.need_intensity_divisor
    else:
        weight = inputs.population[None, :] * np.nan_to_num(score, nan=0.0)
    if a.uses_rank_coefficient:
        weight = weight * _rank_coefficient(np.where(np.isfinite(ranks), ranks, inputs.rank[None, :]), paid, a)
    weight = np.where(paid, weight * factor, 0.0)
    cap_base = inputs.budget_cents if a.cap_of == "whole_budget" else inputs.pool_cents
    cap = float(a.cap_cents(cap_base))
    lower = np.where(paid, np.floor(a.floor_cents * factor), 0.0)
    upper = np.where(paid, cap, 0.0)
    return bounded_proportional_draws(weight, float(inputs.pool_cents), lower, upper)


def _rank_coefficient(ranks: np.ndarray, paid: np.ndarray, a) -> np.ndarray:
    """The DSU coefficient by each paid commune's position among the draw's paid communes."""
    order = np.argsort(np.where(paid, ranks, np.inf), axis=1, kind="stable")
    position = np.empty_like(order)
    rows = np.arange(ranks.shape[0])[:, None]
    position[rows, order] = np.arange(ranks.shape[1])[None, :]
    members = paid.sum(axis=1, keepdims=True)
    step = np.where(members > 1, (a.coefficient_first - a.coefficient_last) / np.maximum(members - 1, 1), 0.0)
    return a.coefficient_first - step * position


def bounded_proportional_draws(weight: np.ndarray, total: float, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Per row (draw): amounts clip(lam x weight, lower, upper) whose sum is ``total``, lam found by
    bisection. A row that cannot reach the total (its bounds cannot hold it) stops at its bounds."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ceiling = np.where(weight > 0, upper / weight, 0.0).max(axis=1)
    low = np.zeros(weight.shape[0])
    high = np.maximum(ceiling, 0.0)
    lower, upper = np.broadcast_to(lower, weight.shape), np.broadcast_to(upper, weight.shape)
    steps = _BisectionSums(weight, lower, upper, total)
    # Whether low (high) is a point whose sum was found below (not below) the total: a step whose
    # middle rounds to that point would only find the same again.
    low_seen = np.zeros(weight.shape[0], dtype=bool)
    high_seen = np.zeros(weight.shape[0], dtype=bool)
    for _ in range(_BISECTION_STEPS):
        middle = (low + high) / 2
        known = ((middle == low) & low_seen) | ((middle == high) & high_seen)
        below = steps.below(middle, ~known)
        below[known] = middle[known] == low[known]
        low = np.where(below, middle, low)
        high = np.where(below, high, middle)
        low_seen |= below
        high_seen |= ~below
    return np.clip(high[:, None] * weight, lower, upper)


class _BisectionSums:
    """Whether sum(clip(middle x weight, lower, upper)) < total on some rows, as the whole row's
    sum says it, computed cheaply where possible.

    A commune the fund pays in no draw adds exactly 0 to every row: the sum of the other columns
    is computed first. It may differ from the whole row's sum in its last bits (the same terms in
    another order), never by more than the rounding bound 2 gamma_n sum|x|: only a row within
    that bound of the total has its whole row summed, in the whole row's order. Every step thus
    takes the side it took when each step summed every row whole, so the amounts are the same."""

    def __init__(self, weight: np.ndarray, lower: np.ndarray, upper: np.ndarray, total: float) -> None:
        self.weight, self.lower, self.upper, self.total = weight, lower, upper, total
        n = weight.shape[1]
        unit = np.finfo(float).eps / 2
        self.slack = 4.0 * n * unit / (1.0 - n * unit)
        paid = np.flatnonzero((weight != 0).any(axis=0) | (lower != 0).any(axis=0) | (upper != 0).any(axis=0))
        finite = np.isfinite(weight).all() and np.isfinite(lower).all() and np.isfinite(upper).all()
        # A C-ordered row is summed pairwise, as one row of any C-ordered block: the whole-row sums
        # below are then the same numbers whichever rows they are computed with.
        self.compact = finite and weight.flags.c_contiguous and paid.size < n
        if self.compact:
            self.few = [np.ascontiguousarray(a[:, paid]) for a in (weight, lower, upper)]
        self.whole = np.empty_like(weight, dtype=float)

    def below(self, middle: np.ndarray, wanted: np.ndarray) -> np.ndarray:
        """For the ``wanted`` rows, whether the row's sum at ``middle`` is below the total."""
        out = np.zeros(middle.shape, dtype=bool)
        rows = np.flatnonzero(wanted)
        if not rows.size:
            return out
        if self.compact:
            few = np.clip(middle[rows, None] * self.few[0][rows], self.few[1][rows], self.few[2][rows])
            reached = few.sum(axis=1)
            bound = self.slack * np.abs(few).sum(axis=1)
            sure_below = reached + bound < self.total
            sure_not = reached - bound >= self.total
            out[rows[sure_below]] = True
            rows = rows[~(sure_below | sure_not)]
            if not rows.size:
                return out
        out[rows] = self._whole_sums(middle, rows) < self.total
        return out

    def _whole_sums(self, middle: np.ndarray, rows: np.ndarray) -> np.ndarray:
        if rows.size * 4 < middle.size and self.weight.flags.c_contiguous:
            return np.clip(middle[rows, None] * self.weight[rows], self.lower[rows], self.upper[rows]).sum(axis=1)
        # Most rows: every row into one buffer, clip written as max then min (the same numbers,
        # NaN included, without np.clip's overhead); the buffer has the weights' memory layout,
        # as middle x weight had, so each row adds its terms in the same order.
        amounts = self.whole
        np.multiply(middle[:, None], self.weight, out=amounts)
        np.maximum(amounts, self.lower, out=amounts)
        np.minimum(amounts, self.upper, out=amounts)
        return amounts.sum(axis=1)[rows]


def borderline_gate(gate_a: np.ndarray, gate_b: np.ndarray, borderline: np.ndarray, rules: FundRules) -> np.ndarray:
    """Which gate makes a borderline commune's eligibility uncertain: ``gate_a``, ``gate_b`` or
    ``both`` when each gate's own probability lies strictly between the bounds; when neither does
    alone (two fairly sure gates compound), the gate whose probability is further from 0 and 1.
    None for a commune that is not borderline."""
    low, high = rules.probability.borderline_low, rules.probability.borderline_high
    uncertain_a = (gate_a > low) & (gate_a < high)
    uncertain_b = (gate_b > low) & (gate_b < high)
    spread_a = np.minimum(gate_a, 1 - gate_a)
    spread_b = np.minimum(gate_b, 1 - gate_b)
    which = np.where(
        uncertain_a & uncertain_b,
        "both",
        np.where(uncertain_a, "gate_a", np.where(uncertain_b, "gate_b", np.where(spread_b > spread_a, "gate_b", "gate_a"))),
    )
    return np.where(borderline, which, None)


def as_frame(codes: pd.Index | np.ndarray, result: YearDrawsResult) -> pd.DataFrame:
    p05, p50, p95 = (np.rint(p).astype("int64") for p in result.amount_percentiles)
    return pd.DataFrame(
        {
            "nis_code": np.asarray(codes),
            "gate_a_probability": result.gate_a_probability,
            "gate_b_probability": result.gate_b_probability,
            "eligibility_probability": result.eligibility_probability,
            "amount_p05_cents": p05,
            "amount_p50_cents": p50,
            "amount_p95_cents": p95,
            "draws": result.draws,
        }
    )
