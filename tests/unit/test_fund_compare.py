"""Comparing two allocations: who entered, who left, and by how much amounts moved."""

from __future__ import annotations

import math

import pandas as pd

from kernels.fund import compare_allocations


def test_entered_left_and_changed_communes() -> None:
    before = pd.DataFrame(
        {
            "nis_code": ["A", "A", "B", "C", "D", "E"],
            "budget_line": ["schools", "creches", "schools", "schools", "schools", "schools"],
            "amount_cents": [600, 400, 2_000, 3_000, 5_000, 0],
        }
    )
    after = pd.DataFrame(
        {"nis_code": ["A", "B", "D", "F", "E"], "amount_cents": [1_500, 2_000, 4_000, 700, 0]}
    )
    result = compare_allocations(before, after).set_index("nis_code")
    assert result.index.tolist() == ["A", "B", "C", "D", "F"]  # E has nothing either time
    assert result["before_cents"].tolist() == [1_000, 2_000, 3_000, 5_000, 0]  # lines added up
    assert result["after_cents"].tolist() == [1_500, 2_000, 0, 4_000, 700]
    assert result["change_cents"].tolist() == [500, 0, -3_000, -1_000, 700]
    assert result["change"].tolist() == ["increased", "unchanged", "left", "decreased", "entered"]
    assert result.loc["A", "change_pct"] == 50.0
    assert result.loc["D", "change_pct"] == -20.0
    assert math.isnan(result.loc["F", "change_pct"])


def test_years_are_compared_separately_when_both_frames_have_them() -> None:
    before = pd.DataFrame({"year": [2024, 2025], "nis_code": ["A", "A"], "amount_cents": [100, 200]})
    after = pd.DataFrame({"year": [2024, 2025], "nis_code": ["A", "B"], "amount_cents": [100, 300]})
    result = compare_allocations(before, after)
    assert result[["year", "nis_code", "change"]].values.tolist() == [
        [2024, "A", "unchanged"],
        [2025, "A", "left"],
        [2025, "B", "entered"],
    ]
