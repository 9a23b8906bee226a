"""Entering and leaving the fund over several years, and the multi-year simulation."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kernels.fund import FundAllocationError, FundInputError, load_fund_rules, simulate_years, transitions
from kernels.fund_transitions import walk

RULES = load_fund_rules(Path(__file__).resolve().parents[2] / "config" / "archive" / "fund_rules_2025.2.yml")
YEARS = list(range(2019, 2025))


def _history(eligible: dict[str, str], grants: dict[str, list[int]] | None = None) -> pd.DataFrame:
    """``eligible`` as one letter per year (Y/N) per commune."""
    rows = []
    for code, flags in eligible.items():
        for i, year in enumerate(YEARS):
            row = {"nis_code": code, "year": year, "eligible": flags[i] == "Y"}
            if grants is not None:
                row["amount_cents"] = grants.get(code, [0] * len(YEARS))[i]
            rows.append(row)
    return pd.DataFrame(rows)


def _by_commune(frame: pd.DataFrame, column: str) -> dict[str, list]:
    return {code: group.sort_values("year")[column].tolist() for code, group in frame.groupby("nis_code")}


def test_a_commune_leaves_only_after_two_consecutive_years_outside_and_keeps_half_its_last_grant() -> None:
    history = _history(
        {"X": "YYNNNY", "Y": "NYNYNN", "Z": "NNNNNN"},
        grants={
            "X": [1_000_001, 2_000_001, 3_000_001, 0, 0, 900_000],
            "Y": [0, 500_000, 600_000, 700_000, 800_001, 0],
        },
    )
    result = transitions(history, RULES)
    status = _by_commune(result, "status")
    # X: one year outside is a grace year (staying); the second is the year it leaves.
    assert status["X"] == ["entering", "in_fund", "staying", "leaving", "out", "entering"]
    # Y: a single year outside, then back in, resets the count.
    assert status["Y"] == ["out", "entering", "staying", "in_fund", "staying", "leaving"]
    assert status["Z"] == ["out"] * 6
    # Years outside count only while in the fund; a commune out of it has none (NULL).
    assert _by_commune(result, "years_outside")["X"] == [0, 0, 1, 2, pd.NA, 0]
    assert _by_commune(result, "years_outside")["Z"] == [pd.NA] * 6
    # The grace year of the rules' one (exit after two years outside).
    assert _by_commune(result, "grace_year")["X"] == [pd.NA, pd.NA, 1, pd.NA, pd.NA, pd.NA]
    assert _by_commune(result, "grace_years")["Y"] == [pd.NA, pd.NA, 1, pd.NA, 1, pd.NA]
    assert _by_commune(result, "in_fund")["X"] == [True, True, True, False, False, True]
    guarantee = _by_commune(result, "guarantee_cents")
    # 50 % of the last grant (the grace year's), rounded half up: 1,500,000.5 -> 1,500,001.
    assert guarantee["X"] == [0, 0, 0, 1_500_001, 0, 0]
    assert guarantee["Y"] == [0, 0, 0, 0, 0, 400_001]
    assert guarantee["Z"] == [0] * 6


def test_exit_after_one_year_and_communes_already_in_the_fund() -> None:
    quick = RULES.model_copy(update={"transitions": RULES.transitions.model_copy(update={"exit_after_years_outside": 1})})
    history = _history({"X": "YYNNNY"})
    assert _by_commune(transitions(history, quick), "status")["X"] == [
        "entering", "in_fund", "leaving", "out", "out", "entering",
    ]
    # Without the grants paid, the guarantee is unknown rather than invented.
    assert transitions(history, quick)["guarantee_cents"].isna().sum() == 1
    # W was in the fund before 2019 with a last grant of 900,000 cents and is never eligible again.
    initial = pd.DataFrame({"nis_code": ["W"], "amount_cents": [900_000]})
    result = transitions(history, RULES, initial_grants=initial)
    assert _by_commune(result, "status")["W"] == ["staying", "leaving", "out", "out", "out", "out"]
    assert _by_commune(result, "guarantee_cents")["W"] == [0, 450_000, 0, 0, 0, 0]


@pytest.mark.parametrize(
    ("eligible", "expected"),
    [
        ([True, False, True, False, False], ["entering", "staying", "in_fund", "staying", "leaving"]),
        ([False, True, True, False, True], ["out", "entering", "in_fund", "staying", "in_fund"]),
    ],
)
def test_walk(eligible: list[bool], expected: list[str]) -> None:
    assert [status for status, _ in walk(eligible, False, 2)] == expected


def test_history_years_must_be_consecutive() -> None:
    history = _history({"X": "YYNNNY"})
    with pytest.raises(FundInputError, match=r"years must be consecutive .* missing 2021, 2022"):
        transitions(history.loc[~history["year"].isin([2021, 2022])], RULES)


def _simulation_inputs(seed: int, n: int = 30) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    codes = [f"{50000 + i}" for i in range(n)]
    eligibility = pd.DataFrame(
        [{"nis_code": c, "year": y, "eligible": bool(rng.random() < 0.45)} for y in YEARS for c in codes]
    )
    index = pd.DataFrame(
        [
            {"nis_code": c, "year": y, "population": float(rng.integers(2_000, 90_000)), "score": float(rng.uniform(5, 95))}
            for y in YEARS
            for c in codes
        ]
    )
    index["rank"] = index.groupby("year")["score"].rank(ascending=False, method="min")
    return eligibility, index


def test_simulation_pays_each_budget_exactly_and_the_exit_guarantee_from_it() -> None:
    rules = RULES.model_copy(update={"allocation": RULES.allocation.model_copy(update={"cap_share": Decimal("0.25")})})
    budgets = {year: 2_000_000_00 + 12_345 * k for k, year in enumerate(YEARS)}
    for seed in range(12):
        eligibility, index = _simulation_inputs(seed)
        result = simulate_years(eligibility, index, rules, budgets_cents=budgets)
        paid = result.groupby("year")["paid_cents"].sum()
        assert paid.to_dict() == budgets, seed
        # Statuses are those of the transition rules on the same history.
        expected = transitions(eligibility, rules)
        assert result["status"].tolist() == expected["status"].tolist(), seed
        # A leaving commune receives half (rounded half up) of its grant of the year before.
        grants = result.set_index(["nis_code", "year"])["amount_cents"]
        for row in result.loc[result["status"] == "leaving"].itertuples():
            last = grants[(row.nis_code, row.year - 1)]
            assert row.guarantee_cents == (last + 1) // 2, seed
            assert row.amount_cents == 0
        in_fund = result.loc[result["status"].isin(["entering", "in_fund", "staying"]), "amount_cents"]
        assert (in_fund >= rules.allocation.floor_cents).all()
        # Every commune paid by the formula carries its weight and the bound that held it.
        members = result.loc[result["in_fund"]]
        assert members["weight"].gt(0).all() and members["bound"].isin(["cap", "floor", "minimum", "none"]).all()
        assert result.loc[~result["in_fund"], "weight"].isna().all()
        assert (result.loc[result["status"] == "out", "paid_cents"] == 0).all()


def test_hold_harmless_at_launch_keeps_the_previous_grant() -> None:
    eligibility, index = _simulation_inputs(3)
    first = eligibility.loc[(eligibility["year"] == 2019) & eligibility["eligible"], "nis_code"].tolist()
    initial = pd.DataFrame({"nis_code": first, "amount_cents": [9_000_000 - 1000 * i for i in range(len(first))]})
    budgets = {year: 2_000_000_00 for year in YEARS}
    rules = RULES.model_copy(update={"allocation": RULES.allocation.model_copy(update={"cap_share": Decimal("0.25")})})
    without = simulate_years(eligibility, index, rules, budgets_cents=budgets, initial_grants=initial)
    hold_harmless = rules.transitions.hold_harmless.model_copy(
        update={"enabled": True, "share_of_previous_grant": Decimal("1"), "years": 1}
    )
    on = rules.model_copy(update={"transitions": rules.transitions.model_copy(update={"hold_harmless": hold_harmless})})
    held = simulate_years(eligibility, index, on, budgets_cents=budgets, initial_grants=initial)
    launch = held.loc[held["year"] == 2019].set_index("nis_code")
    before = initial.set_index("nis_code")["amount_cents"]
    assert (launch.loc[first, "amount_cents"] >= before).all()
    assert (without.loc[without["year"] == 2019].set_index("nis_code").loc[first, "amount_cents"] < before).any()
    assert launch["paid_cents"].sum() == 2_000_000_00


def test_simulation_errors_name_the_year_and_the_commune() -> None:
    eligibility, index = _simulation_inputs(4)
    member = eligibility.loc[eligibility["eligible"]].iloc[0]
    gap = index.loc[~((index["nis_code"] == member.nis_code) & (index["year"] == member.year))]
    expected = rf"1 commune\(s\) in the fund in {member.year} have no score or rank that year, e.g. {member.nis_code}"
    with pytest.raises(FundInputError, match=expected):
        simulate_years(eligibility, gap, RULES)
    # Guarantees larger than a year's budget: with exit after one year outside, 99999 (in the
    # fund before 2019, never eligible since) leaves in 2019 with half of 10 million euro.
    initial = pd.DataFrame({"nis_code": ["99999"], "amount_cents": [10_000_000_00]})
    quick = RULES.model_copy(update={"transitions": RULES.transitions.model_copy(update={"exit_after_years_outside": 1})})
    with pytest.raises(FundAllocationError) as caught:
        simulate_years(eligibility, index, quick, initial_grants=initial, budgets_cents={y: 1000_00 for y in YEARS})
    assert caught.value.key == "transitions.exit_guarantee_share"
    assert caught.value.problem == (
        "in 2019 the exit guarantees of 1 communes add up to 5,000,000.00 EUR, more than the "
        "budget of 1,000.00 EUR"
    )
