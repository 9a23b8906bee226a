"""Entering and leaving the fund over the years, and a multi-year simulation of the rules.

A commune enters the year it passes both gates (``entering``) and is ``in_fund`` each following
year it passes them. A commune in the fund that falls outside the gates is ``staying`` for
``exit_after_years_outside - 1`` grace years (it keeps its formula grant: grace year k of n);
in the year the count reaches ``exit_after_years_outside`` it is ``leaving`` and receives
``exit_guarantee_share`` of its last grant as a guarantee, paid from that year's budget. Every
other commune-year is ``out``. ``years_outside`` counts the consecutive years outside the gates of
a commune in the fund (0 while it passes them) and is NULL for a commune out of the fund. Statuses
depend only on the eligibility history, so they are found first; the grants then follow year by
year because each guarantee and hold-harmless minimum depends on the previous grant.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd

from kernels.fund_allocation import allocate
from kernels.fund_frames import (
    FundAllocationError,
    FundInputError,
    require_columns,
    require_unique,
)
from kernels.fund_rules import FundRules

STATUSES: tuple[str, ...] = ("entering", "in_fund", "staying", "leaving", "out")
IN_FUND: frozenset[str] = frozenset({"entering", "in_fund", "staying"})


def walk(eligible: Sequence[bool], member_before: bool, exit_after: int) -> list[tuple[str, int | None]]:
    """(status, consecutive years outside the gates while in the fund, None when out of it) for
    each year of one commune's history."""
    member, outside, steps = member_before, 0, []
    for passes in eligible:
        if passes:
            status = "in_fund" if member else "entering"
            member, outside = True, 0
            steps.append((status, 0))
        elif member:
            outside += 1
            if outside >= exit_after:
                status, member = "leaving", False
            else:
                status = "staying"
            steps.append((status, outside))
        else:
            outside = 0
            steps.append(("out", None))
    return steps


def transitions(
    history: pd.DataFrame, rules: FundRules, *, initial_grants: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Status per commune-year from the eligibility history.

    ``history`` holds ``nis_code``, ``year`` and ``eligible`` for consecutive years (a commune
    absent in a year counts as not eligible), and optionally ``amount_cents``, the grant paid in
    that year, from which the guarantee of a leaving commune is computed (NULL without it).
    ``initial_grants`` (``nis_code``, ``amount_cents``) lists the communes already in the fund
    before the first year, with their last grant.
    Returns ``nis_code``, ``year``, ``eligible``, ``status``, ``in_fund``, ``years_outside``
    (Int64, NULL when out of the fund), ``grace_year`` and ``grace_years`` (Int64: year k of the
    n grace years while staying, else NULL) and ``guarantee_cents`` (Int64; 0 unless leaving).
    """
    require_columns(history, ("nis_code", "year", "eligible"), "transitions history")
    require_unique(history, ["nis_code", "year"], "transitions history")
    history = history.assign(year=pd.to_numeric(history["year"], errors="raise").astype("int64"))
    years = _consecutive_years(history["year"], "transitions history")
    last_grant = _initial_grants(initial_grants)
    codes = sorted(set(history["nis_code"]) | set(last_grant))
    eligible = (
        history.pivot(index="nis_code", columns="year", values="eligible")
        .reindex(index=codes, columns=years)
        .fillna(False)
        .astype(bool)
    )
    grants = None
    if "amount_cents" in history.columns:
        grants = history.pivot(index="nis_code", columns="year", values="amount_cents").reindex(
            index=codes, columns=years
        )
    share = rules.transitions.exit_guarantee_share
    grace_years = rules.transitions.exit_after_years_outside - 1
    # Plain lists per commune: .loc and .at on the pivots cost more than the walk itself.
    eligible_rows = eligible.to_numpy(dtype=bool).tolist()
    grant_rows = grants.astype(object).to_numpy().tolist() if grants is not None else None
    records = []
    for row, code in enumerate(codes):
        last = last_grant.get(code)
        flags = eligible_rows[row]
        steps = walk(flags, code in last_grant, rules.transitions.exit_after_years_outside)
        for column, (year, (status, outside)) in enumerate(zip(years, steps, strict=True)):
            guarantee: int | None = 0
            if status == "leaving":
                guarantee = None if last is None else _share_of(last, share)
            elif status in IN_FUND and grant_rows is not None and pd.notna(grant_rows[row][column]):
                last = int(grant_rows[row][column])
            records.append(
                {
                    "nis_code": code,
                    "year": year,
                    "eligible": flags[column],
                    "status": status,
                    "in_fund": status in IN_FUND,
                    "years_outside": outside,
                    "grace_year": outside if status == "staying" else None,
                    "grace_years": grace_years if status == "staying" else None,
                    "guarantee_cents": guarantee,
                }
            )
    frame = pd.DataFrame.from_records(
        records,
        columns=[
            "nis_code", "year", "eligible", "status", "in_fund", "years_outside", "grace_year", "grace_years",
            "guarantee_cents",
        ],
    )
    for column in ("years_outside", "grace_year", "grace_years", "guarantee_cents"):
        frame[column] = frame[column].astype("Int64")
    return frame.sort_values(["year", "nis_code"], ignore_index=True)


def simulate_years(
    eligibility: pd.DataFrame,
    index: pd.DataFrame,
    rules: FundRules,
    *,
    years: Sequence[int] | None = None,
    budgets_cents: Mapping[int, int] | None = None,
    initial_grants: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Run the transition rules and the allocation over several years.

    ``eligibility``: ``nis_code``, ``year``, ``eligible`` (the gates' result each year) and,
    with bands, ``band_factor`` (the share of the full weight inside the gates' bands).
    ``index``: ``nis_code``, ``year``, ``population``, ``score``, ``rank`` (and
    ``score_fixed_goalposts`` for the need intensity) for every commune in the fund that year
    (communes in their grace years included). Budgets come from the rules unless
    ``budgets_cents`` gives them. Each year, the guarantees of leaving communes are paid first and
    the rest is allocated among the communes in the fund; during the first
    ``hold_harmless.years`` years, when enabled, each commune in the fund gets at least its share
    of its previous grant. A commune staying in a grace year is outside the gates, so it keeps the
    band factor of its last year inside them (its grace is paid by the formula, never cut to 0).
    Returns one row per commune-year: the columns of :func:`transitions` plus ``amount_cents``
    (formula grant), ``guarantee_cents``, ``paid_cents``, and for a commune in the fund its
    ``weight``, ``need_intensity``, ``rank_coefficient``, ``band_factor`` and ``bound`` (NULL
    otherwise); ``pool_cents`` is the year's budget left for the formula after the guarantees,
    ``budget_cents`` the year's budget. Each year's ``paid_cents`` add up to its budget exactly.
    """
    require_columns(eligibility, ("nis_code", "year", "eligible"), "simulate_years eligibility")
    require_columns(index, ("nis_code", "year", "population", "score", "rank"), "simulate_years index")
    require_unique(index, ["nis_code", "year"], "simulate_years index")
    if years is not None:
        eligibility = eligibility.loc[eligibility["year"].isin(list(years))]
        missing = sorted(set(years) - set(eligibility["year"]))
        if missing:
            raise FundInputError(f"simulate_years eligibility: no rows for year(s) {missing}")
    statuses = transitions(
        eligibility[["nis_code", "year", "eligible"]], rules, initial_grants=initial_grants
    ).drop(columns="guarantee_cents")
    last_grant = _initial_grants(initial_grants)
    t = rules.transitions
    factors = None
    if "band_factor" in eligibility.columns:
        factors = eligibility.set_index(["nis_code", "year"])["band_factor"]
    held: dict[str, float] = {}  # each commune's band factor in its last year inside the gates
    extra = [c for c in ("score_fixed_goalposts",) if c in index.columns]
    results = []
    for step, (year, year_status) in enumerate(statuses.groupby("year", sort=True)):
        if budgets_cents and year in budgets_cents:
            budget = int(budgets_cents[year])
        else:
            budget = rules.budget.cents_for(int(year))
        leaving = year_status.loc[year_status["status"] == "leaving", "nis_code"]
        guarantee = {code: _share_of(last_grant[code], t.exit_guarantee_share) for code in leaving}
        pool = budget - sum(guarantee.values())
        if pool < 0:
            raise FundAllocationError(
                "transitions.exit_guarantee_share",
                f"in {year} the exit guarantees of {len(guarantee)} communes add up to "
                f"{sum(guarantee.values()) / 100:,.2f} EUR, more than the budget of "
                f"{budget / 100:,.2f} EUR",
                source=rules.source,
            )
        members = year_status.loc[year_status["in_fund"], ["nis_code", "eligible"]].merge(
            index.loc[index["year"] == year, ["nis_code", "population", "score", "rank", *extra]],
            on="nis_code",
            how="left",
        )
        if factors is not None:
            band = []
            for code, passes in zip(members["nis_code"], members["eligible"], strict=True):
                if passes:
                    held[code] = float(factors.get((code, year), 1.0))
                band.append(held.get(code, 1.0))
            members["band_factor"] = band
        members = members.drop(columns="eligible")
        unscored = members.loc[members["score"].isna() | members["rank"].isna(), "nis_code"].tolist()
        if unscored:
            raise FundInputError(
                f"simulate_years index: {len(unscored)} commune(s) in the fund in {year} have no "
                f"score or rank that year, e.g. {', '.join(map(str, unscored[:5]))}"
            )
        if t.hold_harmless.enabled and step < t.hold_harmless.years:
            members["min_cents"] = [
                _share_of(last_grant[c], t.hold_harmless.share_of_previous_grant) if c in last_grant else 0
                for c in members["nis_code"]
            ]
        allocation = allocate(members, pool, rules, year_budget_cents=budget)
        amount = dict(zip(allocation["nis_code"], allocation["amount_cents"].tolist(), strict=True))
        last_grant.update(amount)
        frame = year_status.copy()
        frame["amount_cents"] = frame["nis_code"].map(amount).fillna(0).astype("int64")
        frame["guarantee_cents"] = frame["nis_code"].map(guarantee).fillna(0).astype("int64")
        # How the formula treated each commune in the fund: its weight, the rank coefficient in
        # it, and the bound that held its amount (cap, floor, hold-harmless minimum, or none).
        by_code = allocation.set_index("nis_code")
        for column in ("weight", "need_intensity", "rank_coefficient", "band_factor", "bound"):
            frame[column] = frame["nis_code"].map(by_code[column])
        frame["pool_cents"] = pool
        frame["budget_cents"] = budget
        frame["paid_cents"] = frame["amount_cents"] + frame["guarantee_cents"]
        results.append(frame)
    return pd.concat(results, ignore_index=True)


def _consecutive_years(values: pd.Series, what: str) -> list[int]:
    years = sorted(int(y) for y in pd.unique(values))
    if not years:
        raise FundInputError(f"{what}: no rows")
    gaps = sorted(set(range(years[0], years[-1] + 1)) - set(years))
    if gaps:
        raise FundInputError(
            f"{what}: years must be consecutive (two years outside are counted in a row); "
            f"missing {', '.join(map(str, gaps))}"
        )
    return years


def _initial_grants(frame: pd.DataFrame | None) -> dict[str, int]:
    if frame is None:
        return {}
    require_columns(frame, ("nis_code", "amount_cents"), "initial_grants")
    require_unique(frame, ["nis_code"], "initial_grants")
    cents = pd.to_numeric(frame["amount_cents"], errors="coerce")
    if cents.isna().any() or (cents < 0).any() or (cents != np.floor(cents)).any():
        raise FundInputError("initial_grants: amount_cents must be whole cents >= 0")
    return dict(zip(frame["nis_code"], cents.astype("int64").tolist(), strict=True))


def _share_of(cents: int, share: Decimal) -> int:
    """A share of an amount, rounded half up to the cent."""
    return int((Decimal(int(cents)) * share).to_integral_value(ROUND_HALF_UP))
