"""The yearly allocation of the fund in whole euro cents (METHOD.md section 4).

The weight of a commune in the fund is its population times, by ``allocation.weight``:
- ``need_intensity`` (method 2): its need intensity, the fixed-goalpost score / 50 (1 at the
  middle of the base year), a continuous function of need that counts the rank nowhere;
- ``need_intensity_x_rank_coefficient``: the same times the DSU rank coefficient (an option);
- ``score_x_rank_coefficient`` (method 1): the index score times the rank coefficient, falling
  linearly from ``first`` for the neediest commune in the fund to ``last`` for the least needy;
and times its band factor (method 2: 0 to 1, its position inside the gates' phase-in bands; 1
without bands). Each commune's amount lies between its floor (the rules' floor times its band
factor, so that the floor phases in with the share) and the cap (a share of the whole year's
budget in method 2, of what the formula shares out in method 1); the money that capped communes
cannot take, and the money that floored communes need, is shared among the others in proportion
to their weights, repeated until no commune is out of bounds. Whole cents are then handed out by
largest remainder, so the amounts add up to the budget exactly.

Equivalently, every commune not at a bound receives the same amount per unit of weight
(lambda x weight): the iteration finds that lambda without ever solving for it.
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from kernels.fund_frames import (
    FundAllocationError,
    FundInputError,
    require_columns,
    require_finite,
    require_unique,
)
from kernels.fund_rules import FundRules

ALLOCATION_COLUMNS: tuple[str, ...] = ("nis_code", "population", "rank")
# Floats hold whole cents exactly below 2**53 cents (90 trillion euro): far above any budget.
MAX_BUDGET_CENTS = 2**53


def allocate(
    eligible_frame: pd.DataFrame,
    budget_cents: int,
    rules: FundRules,
    *,
    year_budget_cents: int | None = None,
) -> pd.DataFrame:
    """Share ``budget_cents`` (what the formula shares out) among the communes of ``eligible_frame``.

    The frame holds one row per commune in the fund with ``nis_code``, ``population`` (> 0),
    ``rank`` (index rank, 1 = most need), and what the weight needs: ``score`` (> 0, the index
    score) for method 1's weight, ``score_fixed_goalposts`` (>= 0) for the need intensity; an
    optional ``band_factor`` (0 to 1, default 1) and an optional ``min_cents`` column that raises a
    commune's floor (hold-harmless), never above the cap. ``year_budget_cents`` is the whole year's
    budget, the base of the cap when ``allocation.cap_of`` is ``whole_budget`` (default: the
    budget shared out).
    Returns one row per commune with its need intensity, rank coefficient (NaN when the weight has
    none), band factor, weight, floor, the unrounded quota, which bound applied (``cap``,
    ``floor``, ``minimum`` or ``none``) and ``amount_cents`` (int64); the amounts add up to
    ``budget_cents`` exactly.
    """
    what = "allocate eligible_frame"
    a = rules.allocation
    require_columns(eligible_frame, ALLOCATION_COLUMNS, what)
    require_unique(eligible_frame, ["nis_code"], what)
    require_finite(eligible_frame, "population", what, minimum=0, strictly=True)
    require_finite(eligible_frame, "rank", what)
    if a.uses_need_intensity:
        require_columns(eligible_frame, ("score_fixed_goalposts",), what)
        require_finite(eligible_frame, "score_fixed_goalposts", what, minimum=0)
    else:
        require_columns(eligible_frame, ("score",), what)
        require_finite(eligible_frame, "score", what, minimum=0, strictly=True)
    if "band_factor" in eligible_frame.columns:
        require_finite(eligible_frame, "band_factor", what, minimum=0)
        if (pd.to_numeric(eligible_frame["band_factor"]) > 1).any():
            raise FundInputError(f"{what}: column 'band_factor' must lie between 0 and 1")
    budget = _budget(budget_cents)
    cap_base = budget if year_budget_cents is None or a.cap_of != "whole_budget" else _budget(year_budget_cents)
    n = len(eligible_frame)
    if n == 0:
        if budget == 0:
            return _empty()
        raise FundAllocationError(
            "budget",
            f"no commune is in the fund, so the budget of {_eur(budget)} cannot be allocated; "
            "widen the gates or set this year's budget to 0",
            source=rules.source,
        )

    frame = eligible_frame.sort_values(["rank", "nis_code"], ignore_index=True)
    band = (
        frame["band_factor"].to_numpy(dtype="float64") if "band_factor" in frame.columns else np.ones(n)
    )
    # Tied index ranks share the mean of their positions, hence the same coefficient.
    position = rankdata(frame["rank"].to_numpy(dtype="float64"), method="average")
    coefficient = np.full(n, np.nan)
    if a.uses_rank_coefficient:
        step = (a.coefficient_first - a.coefficient_last) / (n - 1) if n > 1 else 0.0
        coefficient = a.coefficient_first - step * (position - 1)
    need = np.full(n, np.nan)
    if a.uses_need_intensity:
        need = frame["score_fixed_goalposts"].to_numpy(dtype="float64") / a.need_intensity_divisor
        weight = frame["population"].to_numpy(dtype="float64") * need * band
        if a.uses_rank_coefficient:
            weight = weight * coefficient
    else:
        weight = (
            frame["population"].to_numpy(dtype="float64")
            * frame["score"].to_numpy(dtype="float64")
            * coefficient
            * band
        )

    cap = a.cap_cents(cap_base)
    if cap < a.floor_cents:
        raise FundAllocationError(
            "allocation.cap_share_of_budget",
            f"the cap of {_pct(a.cap_share)} of the budget {_eur(cap_base)} is {_eur(cap)}, below "
            f"the floor allocation.floor_euro {_eur(a.floor_cents)}",
            source=rules.source,
        )
    # The floor phases in with the share: a commune at a fifth of the band gets a fifth of it.
    floor = np.array([floor_cents(a.floor_cents, b) for b in band], dtype="int64")
    lower = floor.copy()
    if "min_cents" in frame.columns:
        minimum = pd.to_numeric(frame["min_cents"], errors="coerce").fillna(0).to_numpy()
        lower = np.minimum(np.maximum(lower, np.ceil(minimum).astype("int64")), cap)
    upper = np.full(n, cap, dtype="int64")
    _check_feasible(n, budget, lower, cap, weight, cap_base, rules)

    quota = bounded_proportional(weight, budget, lower.astype("float64"), upper.astype("float64"))
    # Rows are in rank order, so a cent tied between two remainders goes to the needier commune.
    amount = largest_remainder(quota, budget, lower, upper, order=np.arange(n))
    bound = np.where(
        amount >= upper,
        "cap",
        np.where(
            (floor > 0) & (amount <= floor), "floor", np.where((lower > 0) & (amount <= lower), "minimum", "none")
        ),
    )
    return pd.DataFrame(
        {
            "nis_code": frame["nis_code"],
            "rank": frame["rank"],
            "rank_position": position,
            "rank_coefficient": coefficient,
            "population": frame["population"],
            "score": frame["score"] if "score" in frame.columns else np.nan,
            "need_intensity": need,
            "band_factor": band,
            "weight": weight,
            "floor_cents": floor,
            "quota_cents": quota,
            "bound": bound,
            "amount_cents": amount,
        }
    )


def floor_cents(floor: int, band_factor: float) -> int:
    """The floor of a commune at ``band_factor`` of its full share, rounded down to the cent."""
    if band_factor >= 1:
        return int(floor)
    return int((Decimal(int(floor)) * Decimal(repr(float(band_factor)))).to_integral_value(ROUND_FLOOR))


def bounded_proportional(
    weights: np.ndarray, total: float, lower: np.ndarray, upper: np.ndarray
) -> np.ndarray:
    """Real amounts proportional to ``weights``, each within [lower, upper], summing to ``total``.

    Each round shares what is left among the communes not yet fixed. If the excess above the
    caps is at least the shortfall below the floors, the amount per unit of weight must rise, so
    the capped communes stay capped: fix them; otherwise fix the floored ones. Each round fixes
    at least one commune, so at most n rounds. Requires sum(lower) <= total <= sum(upper).
    """
    n = len(weights)
    quota = np.zeros(n)
    fixed = np.zeros(n, dtype=bool)
    while not fixed.all():
        free = np.flatnonzero(~fixed)
        remaining = total - quota[fixed].sum()
        total_weight = weights[free].sum()
        if total_weight <= 0:
            # Only communes without weight (at a gate's threshold) are left: each keeps its floor.
            quota[free] = lower[free]
            break
        share = remaining * weights[free] / total_weight
        over = share - upper[free]
        under = lower[free] - share
        excess = over[over > 0].sum()
        shortfall = under[under > 0].sum()
        if excess <= 0 and shortfall <= 0:
            quota[free] = share
            break
        if excess >= shortfall:
            hit = free[over > 0]
            quota[hit] = upper[hit]
            fixed[hit] = True
        if shortfall >= excess:
            hit = free[under > 0]
            quota[hit] = lower[hit]
            fixed[hit] = True
    return quota


def largest_remainder(
    quota: np.ndarray,
    total: int,
    lower: np.ndarray | None = None,
    upper: np.ndarray | None = None,
    *,
    order: np.ndarray | None = None,
) -> np.ndarray:
    """Whole units from real quotas, adding up to ``total`` exactly.

    Each gets the whole part of its quota; the units left go one each to the largest fractional
    parts (ties to the lower ``order``), never past ``upper``. Float noise can leave the whole
    parts a unit above the total; the unit then comes from the smallest fractional parts, never
    below ``lower``.
    """
    n = len(quota)
    lower = np.zeros(n, dtype="int64") if lower is None else np.asarray(lower, dtype="int64")
    no_cap = np.full(n, np.iinfo("int64").max, dtype="int64")
    upper = no_cap if upper is None else np.asarray(upper, dtype="int64")
    order = np.arange(n) if order is None else np.asarray(order)
    whole = np.floor(quota)
    fraction = quota - whole
    amount = np.clip(whole.astype("int64"), lower, upper)
    left = int(total) - int(amount.sum())
    if abs(left) > n:
        # Whole parts of quotas that add up to the total miss it by fewer than n units.
        raise ValueError(f"quotas add up to {quota.sum()}, too far from the total {total} to round")
    while left != 0:
        if left > 0:
            candidates = np.flatnonzero(amount < upper)
            ranked = candidates[np.lexsort((order[candidates], -fraction[candidates]))]
            step = 1
        else:
            candidates = np.flatnonzero(amount > lower)
            ranked = candidates[np.lexsort((order[candidates], fraction[candidates]))]
            step = -1
        if len(ranked) == 0:
            raise ValueError(f"cannot reach the total {total}: every amount is at its bound")
        take = ranked[: abs(left)]
        amount[take] += step
        fraction[take] = -step  # a unit already moved goes last in the next round
        left -= step * len(take)
    return amount


def largest_remainder_shares(total: int, shares: list[Decimal]) -> list[int]:
    """Split ``total`` by exact shares (summing to 1) into whole units adding up to ``total``."""
    exact = [Decimal(total) * s for s in shares]
    whole = [int(e) for e in exact]  # exact >= 0, so int() floors
    left = total - sum(whole)
    by_remainder = sorted(range(len(shares)), key=lambda i: (-(exact[i] - whole[i]), i))
    for i in by_remainder[:left]:
        whole[i] += 1
    return whole


def _check_feasible(
    n: int, budget: int, lower: np.ndarray, cap: int, weight: np.ndarray, cap_base: int, rules: FundRules
) -> None:
    a = rules.allocation
    weighted = weight > 0
    # Communes without weight (at a gate's threshold) take only their floor.
    capacity = int(weighted.sum()) * cap + int(lower[~weighted].sum())
    if capacity < budget and n * cap >= budget:
        raise FundAllocationError(
            "bands",
            f"the {int(weighted.sum())} communes of the fund with a share above 0 cannot absorb "
            f"{_eur(budget)} under the cap of {_eur(cap)}; the others sit at a gate's threshold. "
            "Raise cap_share_of_budget or widen the gates",
            source=rules.source,
        )
    if int(lower.sum()) > budget:
        floors = n * a.floor_cents
        if floors > budget:
            most = budget // n
            raise FundAllocationError(
                "allocation.floor_euro",
                f"{n} communes in the fund x floor {_eur(a.floor_cents)} = {_eur(floors)} exceeds "
                f"the budget of {_eur(budget)}; lower the floor to at most {_eur(most)}, raise "
                "the budget, or narrow the gates",
                source=rules.source,
            )
        raise FundAllocationError(
            "transitions.hold_harmless",
            f"floors and hold-harmless minimums of the {n} communes add up to "
            f"{_eur(int(lower.sum()))}, more than the budget of {_eur(budget)}; lower "
            "share_of_previous_grant or raise the budget",
            source=rules.source,
        )
    if n * cap < budget:
        # The cap is rounded down to the cent, so the share must cover ceil(budget / n) cents of
        # the cap's base.
        needed = Decimal(_ceil_div(_ceil_div(budget, n) * 10_000, cap_base)) / 100
        raise FundAllocationError(
            "allocation.cap_share_of_budget",
            f"{n} communes in the fund x cap {_eur(cap)} ({_pct(a.cap_share)} of the budget) = "
            f"{_eur(n * cap)} cannot absorb the budget of {_eur(budget)}; raise "
            f"cap_share_of_budget to at least {needed:.2f} %, lower the budget, or widen the gates",
            source=rules.source,
        )


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def _budget(budget_cents: int) -> int:
    if isinstance(budget_cents, bool) or not isinstance(budget_cents, int | np.integer):
        raise FundInputError(f"budget_cents: expected a whole number of cents, found {budget_cents!r}")
    budget = int(budget_cents)
    if not 0 <= budget < MAX_BUDGET_CENTS:
        raise FundInputError(f"budget_cents: expected 0 <= budget < 2**53 cents, found {budget}")
    return budget


def _empty() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "nis_code": pd.Series([], dtype="str"),
            "rank": pd.Series([], dtype="float64"),
            "rank_position": pd.Series([], dtype="float64"),
            "rank_coefficient": pd.Series([], dtype="float64"),
            "population": pd.Series([], dtype="float64"),
            "score": pd.Series([], dtype="float64"),
            "need_intensity": pd.Series([], dtype="float64"),
            "band_factor": pd.Series([], dtype="float64"),
            "weight": pd.Series([], dtype="float64"),
            "floor_cents": pd.Series([], dtype="int64"),
            "quota_cents": pd.Series([], dtype="float64"),
            "bound": pd.Series([], dtype="str"),
            "amount_cents": pd.Series([], dtype="int64"),
        }
    )


def _eur(cents: int) -> str:
    return f"{Decimal(int(cents)) / 100:,.2f} EUR"


def _pct(share: Decimal) -> str:
    return f"{(share * 100).normalize():f} %"
