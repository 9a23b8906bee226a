"""Allocation in whole euro cents: exact budget, cap and floor, weights, errors."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import rankdata

from kernels.fund import FundAllocationError, FundInputError, FundRulesError, allocate, load_fund_rules
from kernels.fund_allocation import largest_remainder, largest_remainder_shares

RULES = load_fund_rules(Path(__file__).resolve().parents[2] / "config" / "archive" / "fund_rules_2025.2.yml")


def _rules(*, cap: str = "0.10", floor_cents: int = 50_000_00):
    allocation = RULES.allocation.model_copy(update={"cap_share": Decimal(cap), "floor_cents": floor_cents})
    return RULES.model_copy(update={"allocation": allocation})


THREE = pd.DataFrame(
    {
        "nis_code": ["21001", "21002", "21003"],
        "population": [1000, 2000, 3000],
        "score": [50.0, 40.0, 30.0],
        "rank": [1, 2, 3],
    }
)
# Coefficients 4, 2.25, 0.5, so weights 200,000, 180,000 and 45,000 (sum 425,000).


def test_amounts_follow_population_score_and_rank_coefficient() -> None:
    result = allocate(THREE, 100_000_000, _rules(cap="0.5", floor_cents=0))
    assert result["rank_coefficient"].tolist() == [4.0, 2.25, 0.5]
    assert result["weight"].tolist() == [200_000, 180_000, 45_000]
    # Exact shares 47,058,823.53 / 42,352,941.18 / 10,588,235.29: one cent left, to the largest
    # remainder (.53).
    assert result["amount_cents"].tolist() == [47_058_824, 42_352_941, 10_588_235]
    assert result["amount_cents"].dtype == "int64"
    assert result["bound"].tolist() == ["none", "none", "none"]


def test_the_excess_above_the_cap_goes_to_the_others_by_weight() -> None:
    result = allocate(THREE, 100_000_000, _rules(cap="0.45", floor_cents=0))
    # 45,000,000 for the first; 55,000,000 shared 180:45 between the others.
    assert result["amount_cents"].tolist() == [45_000_000, 44_000_000, 11_000_000]
    assert result["bound"].tolist() == ["cap", "none", "none"]


def test_the_floor_is_paid_by_the_others_by_weight() -> None:
    result = allocate(THREE, 100_000_000, _rules(cap="0.5", floor_cents=15_000_000))
    # 85,000,000 shared 200:180 = 44,736,842.11 / 40,263,157.89: the cent goes to .89.
    assert result["amount_cents"].tolist() == [44_736_842, 40_263_158, 15_000_000]
    assert result["bound"].tolist() == ["none", "none", "floor"]


def test_rank_coefficient_falls_linearly_and_ties_share_it() -> None:
    frame = pd.DataFrame(
        {"nis_code": list("abcde"), "population": 1000, "score": 10.0, "rank": [1, 2, 2, 4, 9]}
    )
    result = allocate(frame, 10_000_000, _rules(cap="1", floor_cents=0))
    # Positions 1, 2.5, 2.5, 4, 5: steps of (4 - 0.5) / 4 = 0.875.
    assert result["rank_coefficient"].tolist() == [4.0, 2.6875, 2.6875, 1.375, 0.5]
    amounts = result.set_index("nis_code")["amount_cents"]
    assert amounts["b"] == amounts["c"]
    single = allocate(frame.iloc[:1], 10_000_000, _rules(cap="1", floor_cents=0))
    assert single["rank_coefficient"].tolist() == [4.0]
    assert single["amount_cents"].tolist() == [10_000_000]


def _random_case(rng: np.random.Generator) -> tuple[pd.DataFrame, int, object]:
    n = int(rng.integers(1, 120))
    budget = int(rng.integers(n, 10 ** int(rng.integers(4, 13))))
    budget = max(budget, n)
    # A floor up to the equal share (binding when close to it), a cap down to the equal share.
    floor = int(budget // n * rng.choice([0.0, rng.uniform(0, 0.5), rng.uniform(0.5, 1.0)]))
    lowest_cap = -(-(-(-budget // n)) * 10_000 // budget)  # in 1/10,000 of the budget, rounded up
    cap = Decimal(int(rng.integers(lowest_cap, max(lowest_cap, 10_000) + 1))) / 10_000
    population = np.round(rng.lognormal(9, 1.5, n)) + 1
    score = rng.uniform(0.5, 100, n)
    if rng.random() < 0.3:
        score = np.ceil(score / 10) * 10  # many ties in score and rank
    frame = pd.DataFrame(
        {
            "nis_code": [f"{10000 + i}" for i in range(n)],
            "population": population,
            "score": score,
            "rank": rankdata(-score, method="min"),
        }
    )
    return frame, budget, _rules(cap=str(cap), floor_cents=floor)


def test_budget_is_conserved_to_the_cent_with_cap_and_floor_respected() -> None:
    rng = np.random.default_rng(20250630)
    binding = {"cap": 0, "floor": 0, "both": 0}
    for case in range(300):
        frame, budget, rules = _random_case(rng)
        result = allocate(frame, budget, rules)
        amount = result["amount_cents"].to_numpy()
        cap, floor = rules.allocation.cap_cents(budget), rules.allocation.floor_cents
        assert int(amount.sum()) == budget, case
        assert (amount <= cap).all() and (amount >= floor).all(), case
        # Rounding moves each commune by less than a cent from its exact share.
        assert np.abs(amount - result["quota_cents"].to_numpy()).max() < 1, case
        # Communes away from their bounds get the same amount per unit of weight.
        free = result.loc[result["bound"] == "none"]
        if len(free) > 1:
            per_weight = free["quota_cents"] / free["weight"]
            assert per_weight.max() == pytest.approx(per_weight.min(), rel=1e-9), case
            lam = per_weight.mean()
            capped = result.loc[result["bound"] == "cap"]
            floored = result.loc[result["bound"] == "floor"]
            assert (lam * capped["weight"] >= cap * (1 - 1e-9) - 1).all(), case
            assert (lam * floored["weight"] <= floor * (1 + 1e-9) + 1).all(), case
        caps, floors = (result["bound"] == "cap").any(), (result["bound"] == "floor").any()
        binding["cap"] += bool(caps)
        binding["floor"] += bool(floors)
        binding["both"] += bool(caps and floors)
    # The random cases do exercise each bound, and both at once.
    assert binding["cap"] >= 50 and binding["floor"] >= 50 and binding["both"] >= 10, binding


def test_a_higher_score_never_means_less_money() -> None:
    rng = np.random.default_rng(5)
    compared = 0
    for case in range(150):
        frame, budget, rules = _random_case(rng)
        i = int(rng.integers(len(frame)))
        code = frame["nis_code"].iloc[i]
        before = allocate(frame, budget, rules).set_index("nis_code")
        needier = frame.copy()
        needier.loc[i, "score"] *= 1 + rng.uniform(0.01, 0.5)  # rank unchanged: more score only
        after = allocate(needier, budget, rules).set_index("nis_code")
        assert after.loc[code, "quota_cents"] >= before.loc[code, "quota_cents"] - 1e-6, case
        assert after.loc[code, "amount_cents"] >= before.loc[code, "amount_cents"], case
        compared += 1
    assert compared == 150


def test_a_better_rank_never_means_less_money() -> None:
    rng = np.random.default_rng(6)
    for case in range(150):
        frame, budget, rules = _random_case(rng)
        i = int(rng.integers(len(frame)))
        code = frame["nis_code"].iloc[i]
        before = allocate(frame, budget, rules).set_index("nis_code")
        needier = frame.copy()
        needier.loc[i, "score"] *= 1 + rng.uniform(0.01, 1.0)
        needier["rank"] = rankdata(-needier["score"], method="min")  # it overtakes others
        after = allocate(needier, budget, rules).set_index("nis_code")
        assert after.loc[code, "rank_coefficient"] >= before.loc[code, "rank_coefficient"], case
        assert after.loc[code, "quota_cents"] >= before.loc[code, "quota_cents"] - 1e-6, case
        assert after.loc[code, "amount_cents"] >= before.loc[code, "amount_cents"], case


def test_floor_times_communes_above_the_budget_is_refused() -> None:
    frame = pd.concat([THREE] * 10, ignore_index=True).assign(nis_code=[f"{i:05d}" for i in range(30)])
    with pytest.raises(FundAllocationError) as caught:
        allocate(frame, 1_000_000_00, RULES)
    assert caught.value.key == "allocation.floor_euro"
    assert isinstance(caught.value, FundRulesError)
    assert str(caught.value) == (
        f"fund rules {RULES.source}, key 'allocation.floor_euro': 30 communes in the fund x floor "
        "50,000.00 EUR = 1,500,000.00 EUR exceeds the budget of 1,000,000.00 EUR; lower the floor "
        "to at most 33,333.33 EUR, raise the budget, or narrow the gates"
    )


def test_a_cap_too_low_for_the_communes_in_the_fund_is_refused() -> None:
    with pytest.raises(FundAllocationError) as caught:
        allocate(THREE, 10_000_000_00, RULES)
    assert str(caught.value) == (
        f"fund rules {RULES.source}, key 'allocation.cap_share_of_budget': 3 communes in the fund x "
        "cap 1,000,000.00 EUR (10 % of the budget) = 3,000,000.00 EUR cannot absorb the budget of "
        "10,000,000.00 EUR; raise cap_share_of_budget to at least 33.34 %, lower the budget, or "
        "widen the gates"
    )


def test_a_budget_whose_cap_is_below_the_floor_is_refused() -> None:
    with pytest.raises(
        FundAllocationError, match=r"the cap of 10 % of the budget 400,000.00 EUR is 40,000.00 EUR, below the floor"
    ):
        allocate(THREE, 400_000_00, RULES)


def test_no_commune_in_the_fund() -> None:
    empty = THREE.iloc[:0]
    assert allocate(empty, 0, RULES).empty
    with pytest.raises(
        FundAllocationError, match=r"no commune is in the fund, so the budget of 10.00 EUR cannot be allocated"
    ):
        allocate(empty, 1000, RULES)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda f: f.assign(population=[1000, 0, 3000]),
            "column 'population' must hold finite numbers > 0; commune 21002 has 0",
        ),
        (
            lambda f: f.assign(score=[50.0, np.nan, 30.0]),
            "column 'score' must hold finite numbers > 0; commune 21002 has nan",
        ),
        (lambda f: f.drop(columns="rank"), "missing column(s) rank"),
        (lambda f: f.assign(nis_code=["21001", "21001", "21003"]), "2 rows share a key (nis_code)"),
    ],
)
def test_bad_frames_are_refused_naming_the_commune(change, message: str) -> None:
    with pytest.raises(FundInputError) as caught:
        allocate(change(THREE), 100_000_000, _rules(cap="0.5"))
    assert message in str(caught.value)
    assert str(caught.value).startswith("allocate eligible_frame: ")


def test_budget_must_be_whole_cents() -> None:
    with pytest.raises(FundInputError, match=r"budget_cents: expected a whole number of cents, found 1000.5"):
        allocate(THREE, 1000.5, RULES)  # type: ignore[arg-type]


def test_largest_remainder_helpers() -> None:
    assert largest_remainder(np.array([1.5, 1.5, 1.0]), 4).tolist() == [2, 1, 1]  # tie: lower order
    assert largest_remainder(np.array([1.5, 1.5, 1.0]), 4, order=np.array([1, 0, 2])).tolist() == [1, 2, 1]
    # Float noise leaving the whole parts one unit above the total takes it back.
    assert largest_remainder(np.array([2.0000001, 1.0]), 2, lower=np.array([0, 1])).tolist() == [1, 1]
    with pytest.raises(ValueError, match=r"quotas add up to 1.0, too far from the total 5 to round"):
        largest_remainder(np.array([1.0]), 5)
    assert largest_remainder_shares(1001, [Decimal("0.4"), Decimal("0.2"), Decimal("0.25"), Decimal("0.15")]) == [
        401, 200, 250, 150,
    ]
