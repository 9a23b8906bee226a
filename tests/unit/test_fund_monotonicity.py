"""From data to money: more need or more arrivals, all else equal, never means less money.

These run the whole kernel (gates, eligibility, allocation) on seeded random communes. The last
test pins the one case where the rules as specified are not monotone, so that a change of rule
that removes it is a visible decision.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kernels.fund import allocate, eligibility, gate_a, gate_b, load_fund_rules
from kernels.fund_gates import band_positions

BASE = load_fund_rules(Path(__file__).resolve().parents[2] / "config" / "archive" / "fund_rules_2025.2.yml")
RULES = BASE.model_copy(
    update={"allocation": BASE.allocation.model_copy(update={"cap_share": Decimal("0.5"), "floor_cents": 10_000_00})}
)
BUDGET = 10_000_000_00
PRIMARY = "arrivals_per_1000_3y"


def _world(rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    n = int(rng.integers(60, 150))
    codes = [f"{10000 + i}" for i in range(n)]
    population = np.round(rng.lognormal(9, 1.0, n)) + 500
    indicators = pd.DataFrame(
        {
            "nis_code": codes,
            "year": 2024,
            "indicator": PRIMARY,
            "numerator": np.round(population * rng.gamma(2.0, 0.012, n)),
            "denominator": population,
            "region_code": rng.choice(["02000", "03000", "04000"], n),
        }
    )
    index = pd.DataFrame({"nis_code": codes, "year": 2024, "population": population, "score": rng.uniform(1, 100, n)})
    return indicators, _ranked(index)


def _ranked(index: pd.DataFrame) -> pd.DataFrame:
    return index.assign(rank=index["score"].rank(ascending=False, method="min"))


def _run(indicators: pd.DataFrame, index: pd.DataFrame) -> tuple[pd.Series, pd.Series | None]:
    """Gate A per commune, and the money per commune (None when fewer than two are eligible:
    a cap of half the budget needs two). eligibility() adds only the words to these gates."""
    a = gate_a(indicators, RULES)
    b = gate_b(index, a, RULES)
    eligible = a["nis_code"].loc[a["gate_a_pass"] & b["gate_b_pass"]]
    members = index.loc[index["nis_code"].isin(eligible)]
    gate = a.set_index("nis_code")["gate_a_pass"]
    if len(members) < 2:
        return gate, None
    amounts = allocate(members, BUDGET, RULES).set_index("nis_code")["amount_cents"]
    return gate, amounts.reindex(index["nis_code"], fill_value=0)


def test_more_need_never_means_less_money() -> None:
    rng = np.random.default_rng(101)
    compared = gained = 0
    for case in range(20):
        indicators, index = _world(rng)
        _, before = _run(indicators, index)
        if before is None:
            continue
        code = str(rng.choice(index["nis_code"]))
        needier = index.copy()
        needier.loc[needier["nis_code"] == code, "score"] *= 1 + rng.uniform(0.05, 1.5)
        _, after = _run(indicators, _ranked(needier))
        assert after is not None
        assert after[code] >= before[code], (case, code, before[code], after[code])
        compared += 1
        gained += after[code] > before[code]
    assert compared >= 15 and gained >= 4


def test_more_arrivals_never_lose_gate_a_nor_money_when_the_other_communes_keep_their_gate() -> None:
    rng = np.random.default_rng(202)
    compared = 0
    for case in range(20):
        indicators, index = _world(rng)
        gate_before, before = _run(indicators, index)
        if before is None:
            continue
        code = str(rng.choice(indicators["nis_code"]))
        more = indicators.copy()
        at = more["nis_code"] == code
        more.loc[at, "numerator"] += np.round(more.loc[at, "denominator"] * rng.uniform(0.001, 0.05))
        gate_after, after = _run(more, index)
        assert gate_after[code] >= gate_before[code], case  # its own gate never closes
        if after is None or not gate_before.drop(code).equals(gate_after.drop(code)):
            continue
        assert after[code] >= before[code], (case, code, before[code], after[code])
        compared += 1
    assert compared >= 10


def test_known_exception_more_arrivals_can_shrink_the_gate_b_pool_below_a_commune() -> None:
    """Gate B keeps the top third *of the gate-A communes*, and a commune's own arrivals raise the
    gate-A reference. Here X's extra arrivals push Y just below the threshold; the gate-A pool
    falls from 4 to 3 communes, its top third from 2 places to 1, and X (second) loses its place.
    """
    population = 10_000.0
    rows = [
        ("W", 600), ("X", 600), ("Y", 320), ("Z", 600),  # Y: 32.0 per 1,000 against 31.5
        ("L1", 100), ("L2", 100), ("L3", 100), ("L4", 100),
    ]
    indicators = pd.DataFrame(
        {
            "nis_code": [c for c, _ in rows],
            "year": 2024,
            "indicator": PRIMARY,
            "numerator": [float(a) for _, a in rows],
            "denominator": population,
            "region_code": "02000",
        }
    )
    index = pd.DataFrame(
        {
            "nis_code": [c for c, _ in rows],
            "year": 2024,
            "population": population,
            "score": [90.0, 80, 70, 60, 50, 40, 30, 20],
        }
    )
    index = _ranked(index)
    before = eligibility(indicators, index, RULES).set_index("nis_code")
    assert before.loc[["W", "X", "Y", "Z"], "gate_a_pass"].all()
    order = [c for c, _ in rows]
    assert before.loc[order, "eligible"].tolist() == [True, True, False, False, False, False, False, False]

    more = indicators.assign(numerator=np.where(indicators["nis_code"] == "X", 700.0, indicators["numerator"]))
    after = eligibility(more, index, RULES).set_index("nis_code")
    assert not after.loc["Y", "gate_a_pass"]  # 32.0 against 32.75 now
    assert after.loc[order, "eligible"].tolist() == [True, False, False, False, False, False, False, False]
    assert after.loc["X", "reason_en"] == (
        "Not eligible: gate A met; gate B not met: would need 1 rank more need (index rank 2 "
        "against a cut-off rank of 1)."
    )


# --- method 2 (rules 2026.1): bands, need intensity --------------------------------------------

METHOD2_FILE = Path(__file__).resolve().parents[2] / "config" / "fund_rules.yml"
METHOD2 = load_fund_rules(METHOD2_FILE).model_copy(
    update={
        "allocation": load_fund_rules(METHOD2_FILE).allocation.model_copy(
            update={"cap_share": Decimal("0.5"), "floor_cents": 10_000_00}
        )
    }
)


def _run2(
    indicators: pd.DataFrame, index: pd.DataFrame, force_full: str | None = None, gates: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, pd.Series | None]:
    """Both gates with their bands, and the money per commune under method 2 (None when fewer
    than two communes have a share: a cap of half the budget needs two). ``force_full`` gives
    that commune its full share (band factor 1), the yardstick of one band step. The bands are
    what eligibility() computes; gate_b and band_positions are that without the reasons' words."""
    if gates is None:
        a = gate_a(indicators, METHOD2)
        gates = band_positions(
            a.merge(gate_b(index, a, METHOD2), on=["nis_code", "year"]).assign(
                eligible=lambda f: f["gate_a_pass"] & f["gate_b_pass"]
            ),
            METHOD2,
        )
    members = index.merge(gates.loc[gates["eligible"], ["nis_code", "band_factor"]], on="nis_code")
    if force_full is not None:
        members.loc[members["nis_code"] == force_full, "band_factor"] = 1.0
    if (members["band_factor"] > 0).sum() < 2:
        return gates.set_index("nis_code", drop=False), None
    amounts = allocate(members, BUDGET, METHOD2).set_index("nis_code")["amount_cents"]
    return gates.set_index("nis_code", drop=False), amounts.reindex(index["nis_code"], fill_value=0)


def _world2(rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    indicators, index = _world(rng)
    return indicators, index.assign(score_fixed_goalposts=index["score"] * rng.uniform(0.8, 1.2, len(index)))


def test_method2_more_need_never_means_less_money() -> None:
    rng = np.random.default_rng(303)
    compared = gained = 0
    for case in range(20):
        indicators, index = _world2(rng)
        _, before = _run2(indicators, index)
        if before is None:
            continue
        code = str(rng.choice(index["nis_code"]))
        needier = index.copy()
        at = needier["nis_code"] == code
        factor = 1 + rng.uniform(0.05, 1.5)
        needier.loc[at, "score"] *= factor
        needier.loc[at, "score_fixed_goalposts"] *= factor
        _, after = _run2(indicators, _ranked(needier))
        assert after is not None
        assert after[code] >= before[code], (case, code, before[code], after[code])
        compared += 1
        gained += after[code] > before[code]
    assert compared >= 15 and gained >= 4


def test_method2_one_more_arrival_never_lowers_an_amount_and_moves_it_at_most_one_band_step() -> None:
    """Monotonicity and continuity together: arrivals added one at a time to a commune near gate
    A's threshold. Each arrival raises its amount or leaves it, and by no more than its band step
    (the arrival's share of the band: 1,000 / population / (10 % of the threshold), or 1/10 of the
    count's band of 10 arrivals) times its full share. Steps where gate B's cut-off moves (the
    extra arrivals push another commune out of gate A, or bring this one in and so grow the pool:
    the known exception above, now a band step of gate B) are skipped."""
    rng = np.random.default_rng(404)
    walked = stepped = 0
    for case in range(40):
        if walked >= 10:
            break
        indicators, index = _world2(rng)
        gates, _ = _run2(indicators, index)
        near = gates.loc[
            (gates["gate_b_position"] > 0.5) & (gates["gate_a_value"] < gates["gate_a_threshold"])
        ].sort_values("gate_a_gap")
        if near.empty:
            continue
        code = near.index[0]
        at = (indicators["nis_code"] == code).to_numpy()
        # Short of gate A the commune is paid nothing, and 0 against 0 cannot fail: the walk starts
        # a few arrivals before the first that can let it in (its rate gap and its count gap, in
        # arrivals), and a commune that 60 arrivals cannot bring in is not walked.
        row = near.iloc[0]
        short = max(row["gate_a_gap_exact"] * row["gate_a_denominator"] / 1000, row["gate_a_count_gap"])
        first = max(0, int(short) - 3)
        if first >= 60:
            continue
        previous = None
        for extra in range(first, 60):
            more = indicators.assign(numerator=np.where(at, indicators["numerator"] + extra, indicators["numerator"]))
            gates_now, amounts = _run2(more, index)
            if amounts is None:
                break
            same_cut = previous is not None and gates_now["gate_b_threshold"].iloc[0] == previous[0]["gate_b_threshold"].iloc[0]
            if same_cut and gates_now["gate_a_pass"].drop(code).equals(previous[0]["gate_a_pass"].drop(code)):
                _, full = _run2(more, index, force_full=code, gates=gates_now.reset_index(drop=True))
                step = max(
                    PER_ARRIVAL(gates_now.loc[code]),
                    1.0 / (float(METHOD2.bands.gate_a_share) * METHOD2.gate_a.min_arrivals),
                )
                assert amounts[code] >= previous[1][code], (case, extra)
                assert amounts[code] - previous[1][code] <= step * full[code] + 1, (case, extra)
                stepped += amounts[code] > previous[1][code]
            previous = (gates_now, amounts)
            if gates_now.loc[code, "gate_a_band_factor"] >= 1:
                break
        walked += 1
    assert walked >= 10 and stepped >= 20


def PER_ARRIVAL(row: pd.Series) -> float:  # noqa: N802 (reads as the quantity it is)
    """One arrival's share of gate A's rate band for this commune."""
    return 1000.0 / row["gate_a_denominator"] / (float(METHOD2.bands.gate_a_share) * row["gate_a_threshold"])


def test_method2_turns_the_known_exception_into_one_band_step() -> None:
    """The method-1 exception above (X's arrivals push Y out of gate A, the top third shrinks and
    X loses its place): under method 2, X was at the cut-off rank, so it had 1/5 of its share;
    losing the place costs that fifth, not a whole grant."""
    population = 10_000.0
    rows = [("W", 600), ("X", 600), ("Y", 320), ("Z", 600), ("L1", 100), ("L2", 100), ("L3", 100), ("L4", 100)]
    indicators = pd.DataFrame(
        {"nis_code": [c for c, _ in rows], "year": 2024, "indicator": PRIMARY,
         "numerator": [float(a) for _, a in rows], "denominator": population, "region_code": "02000"}
    )
    index = _ranked(pd.DataFrame({"nis_code": [c for c, _ in rows], "year": 2024, "population": population,
                                  "score": [90.0, 80, 70, 60, 50, 40, 30, 20]}))
    before = eligibility(indicators, index, METHOD2).set_index("nis_code")
    assert before.loc["X", "gate_b_band_factor"] == pytest.approx(0.2)  # the cut-off rank: 1/5
    more = indicators.assign(numerator=np.where(indicators["nis_code"] == "X", 700.0, indicators["numerator"]))
    after = eligibility(more, index, METHOD2).set_index("nis_code")
    assert after.loc["X", "gate_b_band_factor"] == 0.0 and not after.loc["Y", "gate_a_pass"]
