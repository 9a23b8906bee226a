"""Budget lines: exact to the cent per commune and per line, shaped by the needs drivers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kernels.fund import FundInputError, load_fund_rules, split_budget_lines

RULES = load_fund_rules(Path(__file__).resolve().parents[2] / "config" / "archive" / "fund_rules_2025.2.yml")
LINES = ["schools", "creches", "sport_culture", "continuing_training"]
SHARES = np.array([0.40, 0.20, 0.25, 0.15])


def _profile(codes: list[str], population: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "nis_code": codes,
            "children_3_17": np.round(population * rng.uniform(0.12, 0.24, len(codes))),
            "children_0_2": np.round(population * rng.uniform(0.02, 0.05, len(codes))),
            "population": population,
            "unemployed_adults": np.round(population * rng.uniform(0.02, 0.12, len(codes))),
        }
    )


def _needs(codes: list[str], children_3_17, children_0_2, population, unemployed_adults) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "nis_code": codes,
            "children_3_17": children_3_17,
            "children_0_2": children_0_2,
            "population": population,
            "unemployed_adults": unemployed_adults,
        }
    )


def _table(result: pd.DataFrame) -> pd.DataFrame:
    return result.pivot(index="nis_code", columns="budget_line", values="amount_cents")[LINES]


def test_lines_are_exact_per_commune_and_per_line_for_many_random_cases() -> None:
    rng = np.random.default_rng(42)
    for case in range(100):
        n = int(rng.integers(1, 90))
        codes = [f"{30000 + i}" for i in range(n)]
        amounts = pd.DataFrame({"nis_code": codes, "amount_cents": rng.integers(0, 10 ** int(rng.integers(2, 11)), n)})
        profile = _profile(codes, np.round(rng.lognormal(9, 1.2, n)) + 10, rng)
        table = _table(split_budget_lines(amounts, profile, RULES))
        total = int(amounts["amount_cents"].sum())
        assert (table.sum(axis=1) == amounts.set_index("nis_code")["amount_cents"]).all(), case
        line_totals = table.sum(axis=0).to_numpy()
        assert int(line_totals.sum()) == total, case
        # Each line is its national share of the total, to less than a cent (largest remainder).
        assert np.abs(line_totals - SHARES * total).max() < 1, case
        assert (table.to_numpy() >= 0).all(), case


def test_line_budgets_round_by_largest_remainder() -> None:
    amounts = pd.DataFrame({"nis_code": ["a"], "amount_cents": [1001]})
    profile = _needs(["a"], [1], [1], [1], [1])
    # 400.4 / 200.2 / 250.25 / 150.15: the cent left goes to schools (.4).
    assert _table(split_budget_lines(amounts, profile, RULES)).loc["a"].tolist() == [401, 200, 250, 150]


def test_within_a_line_communes_share_by_their_needs_driver() -> None:
    # Same amount, same population; A has three times B's young children and no jobseekers.
    amounts = pd.DataFrame({"nis_code": ["A", "B"], "amount_cents": [1_000_000, 1_000_000]})
    profile = pd.DataFrame(
        {
            "nis_code": ["A", "B"],
            "children_3_17": [3000, 1000],
            "children_0_2": [600, 200],
            "population": [10_000, 10_000],
            "unemployed_adults": [0, 800],
        }
    )
    table = _table(split_budget_lines(amounts, profile, RULES))
    assert table.loc["A", "continuing_training"] == 0  # nobody to train
    assert table.loc["A", "schools"] > table.loc["B", "schools"]
    assert table.loc["A", "creches"] > table.loc["B", "creches"]
    assert table.sum(axis=1).tolist() == [1_000_000, 1_000_000]
    assert table.sum(axis=0).tolist() == [800_000, 400_000, 500_000, 300_000]


def test_identical_profiles_get_the_national_shares() -> None:
    codes = [f"{40000 + i}" for i in range(5)]
    amounts = pd.DataFrame({"nis_code": codes, "amount_cents": [1_000_000, 2_000_000, 3_000_000, 4_000_000, 5_000_000]})
    profile = pd.DataFrame(
        {"nis_code": codes, "children_3_17": 1800, "children_0_2": 300, "population": 10_000, "unemployed_adults": 500}
    )
    table = _table(split_budget_lines(amounts, profile, RULES))
    expected = np.outer(amounts["amount_cents"], SHARES)
    assert np.abs(table.to_numpy() - expected).max() <= 1


def test_communes_without_money_get_zero_on_every_line() -> None:
    amounts = pd.DataFrame({"nis_code": ["A", "B"], "amount_cents": [0, 5_000_000]})
    profile = _needs(["A", "B"], [np.nan, 10], [1, 1], [5, 50], [1, 3])
    table = _table(split_budget_lines(amounts, profile, RULES))
    assert table.loc["A"].tolist() == [0, 0, 0, 0]
    assert table.loc["B"].tolist() == [2_000_000, 1_000_000, 1_250_000, 750_000]


@pytest.mark.parametrize(
    ("profile_change", "message"),
    [
        (
            lambda p: p.drop(columns="children_0_2"),
            "split_budget_lines needs_profile: missing column(s) children_0_2; found nis_code, "
            "children_3_17, population, unemployed_adults",
        ),
        (
            lambda p: p.iloc[:1],
            "split_budget_lines needs_profile: no needs profile for 1 commune(s) with an amount, e.g. B",
        ),
        (
            lambda p: p.assign(unemployed_adults=[0, 0]),
            "split_budget_lines needs_profile: line 'continuing_training' has a budget but every "
            "commune in the fund has unemployed_adults = 0",
        ),
        (
            lambda p: p.assign(children_3_17=[5, -1]),
            "split_budget_lines needs_profile: column 'children_3_17' must hold finite numbers >= 0; "
            "commune B has -1.0",
        ),
        (
            lambda p: p.assign(children_3_17=[5, 0], children_0_2=[1, 0], population=[10, 0], unemployed_adults=[1, 0]),
            "split_budget_lines needs_profile: commune B has an amount but every needs driver of a "
            "funded line is 0 (children_3_17, children_0_2, population, unemployed_adults)",
        ),
    ],
)
def test_unusable_profiles_are_refused(profile_change, message: str) -> None:
    amounts = pd.DataFrame({"nis_code": ["A", "B"], "amount_cents": [1_000, 2_000]})
    profile = _needs(["A", "B"], [5, 6], [1, 1], [10, 12], [1, 2])
    with pytest.raises(FundInputError) as caught:
        split_budget_lines(amounts, profile_change(profile), RULES)
    assert str(caught.value) == message


def test_no_commune_no_lines() -> None:
    empty = pd.DataFrame({"nis_code": pd.Series([], dtype="str"), "amount_cents": pd.Series([], dtype="int64")})
    result = split_budget_lines(empty, _needs(["A"], [5], [1], [10], [1]), RULES)
    assert result.empty
    assert list(result.columns) == ["nis_code", "budget_line", "needs_driver", "amount_cents"]


def test_amounts_must_be_whole_cents() -> None:
    amounts = pd.DataFrame({"nis_code": ["A"], "amount_cents": [10.5]})
    profile = _needs(["A"], [5], [1], [10], [1])
    with pytest.raises(FundInputError, match=r"amount_cents must be whole cents >= 0; commune A has 10.5"):
        split_budget_lines(amounts, profile, RULES)
