"""Gates A and B, eligibility with its reasons, and the probability of eligibility."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kernels.fund import (
    FundInputError,
    borderline,
    eligibility,
    eligibility_probability,
    gate_a,
    gate_b,
    load_fund_rules,
)

RULES = load_fund_rules(Path(__file__).resolve().parents[2] / "config" / "archive" / "fund_rules_2025.2.yml")
NBSP = "\u00a0"
PRIMARY = "arrivals_per_1000_3y"
PROXY = "arrivals_proxy_per_1000_3y"


def _indicators(rows: list[tuple[str, str, float, float]], indicator: str = PRIMARY, year: int = 2024) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "nis_code": code,
                "year": year,
                "indicator": indicator,
                "numerator": num,
                "denominator": den,
                "region_code": region,
            }
            for code, region, num, den in rows
        ]
    )


# Two regions. National rate 1340 / 72,000 = 18.6111 per 1,000; Flemish (02000) 490 / 32,000 =
# 15.3125; Walloon (03000) 850 / 40,000 = 21.25. Thresholds: 0.7 x national + 0.3 x regional =
# 17.6215 in 02000 and 19.4028 in 03000.
CASE = _indicators(
    [
        ("11001", "02000", 300, 10_000),  # 30.0: passes
        ("11002", "02000", 100, 20_000),  # 5.0: rate fails, 100 arrivals is enough
        ("11003", "02000", 90, 2_000),  # 45.0: rate passes, 90 arrivals is 10 short
        ("51001", "03000", 600, 30_000),  # 20.0: passes against 19.40
        ("51002", "03000", 250, 10_000),  # 25.0: passes
    ]
)
INDEX = pd.DataFrame(
    {
        "nis_code": ["11001", "11002", "11003", "51001", "51002"],
        "year": 2024,
        "rank": [40, 5, 10, 12, 60],
        "score": [50.0, 80.0, 70.0, 65.0, 30.0],
    }
)


def test_gate_a_blends_pooled_national_and_regional_rates() -> None:
    result = gate_a(CASE, RULES).set_index("nis_code")
    national = 1000 * 1340 / 72_000
    flemish, walloon = 1000 * 490 / 32_000, 1000 * 850 / 40_000
    assert result["gate_a_national_rate"].tolist() == pytest.approx([national] * 5)
    assert result.loc["11001", "gate_a_regional_rate"] == pytest.approx(flemish)
    assert result.loc["51001", "gate_a_regional_rate"] == pytest.approx(walloon)
    assert result.loc["11001", "gate_a_threshold"] == pytest.approx(0.7 * national + 0.3 * flemish)
    assert result.loc["51001", "gate_a_threshold"] == pytest.approx(19.402778, abs=1e-6)
    assert result["gate_a_value"].tolist() == pytest.approx([30.0, 5.0, 45.0, 20.0, 25.0])
    assert result["gate_a_rate_pass"].tolist() == [True, False, True, True, True]
    assert result["gate_a_count_pass"].tolist() == [True, True, False, True, True]
    assert result["gate_a_pass"].tolist() == [True, False, False, True, True]
    # 11002 holds 20,000 of its region's 32,000 inhabitants: its own extra arrivals raise the
    # threshold, so it needs x with x / 20,000 = 0.7 (1,240 + x) / 72,000 + 0.3 (390 + x) / 32,000,
    # x = 508.43 arrivals, 25.42 per 1,000: 20.42 more, not threshold minus value (12.62).
    x = (0.7 * 1240 / 72_000 + 0.3 * 390 / 32_000) / (1 / 20_000 - 0.7 / 72_000 - 0.3 / 32_000)
    assert result.loc["11002", "gate_a_gap_exact"] == pytest.approx(1000 * x / 20_000 - 5.0)
    assert result.loc["11002", "gate_a_gap_exact"] == pytest.approx(20.42135, abs=1e-5)
    # The published gap is rounded up to 0.1, the figure the reason states; 0 when the gate passes.
    assert result.loc["11002", "gate_a_gap"] == 20.5
    assert result.loc["11003", "gate_a_count_gap"] == 10
    assert result.loc["51002", "gate_a_gap_exact"] < 0  # negative: the margin above the threshold
    assert result.loc[["11001", "51001", "51002"], "gate_a_gap"].tolist() == [0.0, 0.0, 0.0]
    assert result.loc[["11001", "11002", "51001"], "gate_a_count_gap"].tolist() == [0.0, 0.0, 0.0]


def test_a_rate_equal_to_its_threshold_passes() -> None:
    # Every commune at 20 per 1,000: the reference is 20 as well, computed through other sums.
    equal = _indicators([("11001", "02000", 200, 10_000), ("11002", "02000", 600, 30_000), ("51001", "03000", 140, 7_000)])
    assert gate_a(equal, RULES)["gate_a_pass"].tolist() == [True, True, True]


def test_gate_b_keeps_the_top_third_of_gate_a_communes() -> None:
    result = gate_b(INDEX, gate_a(CASE, RULES), RULES).set_index("nis_code")
    # Gate A passes 11001 (rank 40), 51001 (12), 51002 (60): ceil(3 / 3) = 1 place, cut-off rank 12.
    assert result["gate_b_pool"].tolist() == [3] * 5
    assert result["gate_b_places"].tolist() == [1] * 5
    assert result["gate_b_threshold"].tolist() == [12] * 5
    assert result["gate_b_pass"].tolist() == [False, True, True, True, False]
    assert result.loc["11001", "gate_b_gap"] == 28
    assert result.loc[["11002", "51001"], "gate_b_gap"].tolist() == [0, 0]  # passing: no gap


def test_gate_b_ties_at_the_cut_off_all_pass_and_unranked_communes_fail() -> None:
    a = pd.DataFrame({"nis_code": list("abcdefg"), "year": 2024, "gate_a_pass": [True] * 6 + [False]})
    index = pd.DataFrame({"nis_code": list("abcdefg"), "year": 2024, "rank": [3, 1, 7, 7, 9, np.nan, 2]})
    result = gate_b(index, a, RULES).set_index("nis_code")
    # Five ranked gate-A communes: ceil(5 / 3) = 2 places; the 2nd is rank 3.
    assert result.loc["a", "gate_b_threshold"] == 3
    assert result["gate_b_pass"].tolist() == [True, True, False, False, False, False, True]
    floor_rules = RULES.model_copy(update={"gate_b": RULES.gate_b.model_copy(update={"cutoff_rounding": "floor"})})
    index.loc[index["nis_code"] == "c", "rank"] = 1  # tie for the first place: floor(5 / 3) = 1
    assert gate_b(index, a, floor_rules).set_index("nis_code")["gate_b_pass"].tolist() == [
        False, True, True, False, False, False, False,
    ]


def test_eligibility_explains_each_case_with_the_distance_in_the_indicator_units() -> None:
    frame = eligibility(CASE, INDEX, RULES).set_index("nis_code")
    assert frame["eligible"].tolist() == [False, False, False, True, False]
    assert frame.loc["51001", "reason_en"] == (
        "Eligible: gate A met (20.0 arrivals per 1,000 inhabitants over three years against a "
        "threshold of 19.4; 600 arrivals against a minimum of 100) and gate B met (index rank 12 "
        "against a cut-off rank of 12)."
    )
    assert frame.loc["11002", "reason_en"] == (
        "Not eligible: gate A not met: would need 20.5 more arrivals per 1,000 inhabitants over "
        "three years (5.0 against a threshold of 17.6, which its own arrivals raise). Its index "
        "rank 5 is within the gate-B cut-off rank of 12."
    )
    assert frame.loc["11003", "reason_en"] == (
        "Not eligible: gate A not met: would need 10 more arrivals over three years (90 against a "
        "minimum of 100). Its index rank 10 is within the gate-B cut-off rank of 12."
    )
    assert frame.loc["11001", "reason_en"] == (
        "Not eligible: gate A met; gate B not met: would need 28 ranks more need (index rank 40 "
        "against a cut-off rank of 12)."
    )
    assert frame.loc["11001", "reason_fr"] == (
        f"Non éligible{NBSP}: critère A atteint{NBSP}; critère B non atteint{NBSP}: il faudrait 28 "
        "rangs de besoin en plus (rang 40 à l'indice pour un rang limite de 12)."
    )
    assert frame.loc["11002", "reason_fr"] == (
        f"Non éligible{NBSP}: critère A non atteint{NBSP}: il faudrait 20,5 arrivées de plus pour "
        f"1{NBSP}000 habitants sur trois ans (5,0 pour un seuil de 17,6, que ses propres arrivées "
        "relèvent). Son rang à l'indice (5) est dans la limite du critère B (rang 12)."
    )
    assert frame.loc["11002", "reason_nl"] == (
        "Niet subsidiabel: criterium A niet voldaan: er zijn 20,5 aankomsten per 1.000 inwoners over "
        "drie jaar meer nodig (5,0 tegenover een drempel van 17,6, die door de eigen aankomsten stijgt). "
        "De rang in de index (5) valt binnen de grensrang van criterium B (12)."
    )
    assert frame.loc["51001", "reason_nl"] == (
        "Subsidiabel: criterium A voldaan (20,0 aankomsten per 1.000 inwoners over drie jaar tegenover "
        "een drempel van 19,4; 600 aankomsten tegenover een minimum van 100) en criterium B voldaan "
        "(rang 12 in de index tegenover een grensrang van 12)."
    )
    # The text states the published gap, the very number of the column.
    assert f"would need {frame.loc['11002', 'gate_a_gap']:.1f} more" in frame.loc["11002", "reason_en"]


def test_closing_the_stated_gap_is_enough_to_pass_and_no_less() -> None:
    # 11002 is told "20.5 more per 1,000" on 20,000 inhabitants: 410 more arrivals. Adding them
    # raises the references too, and it passes; 12.7 per 1,000 (threshold minus value) would not.
    def passes(extra_per_1000: float) -> bool:
        more = CASE.copy()
        more.loc[more["nis_code"] == "11002", "numerator"] += extra_per_1000 * 20
        return bool(gate_a(more, RULES).set_index("nis_code").loc["11002", "gate_a_pass"])

    assert passes(20.5)
    assert not passes(20.4)
    assert not passes(12.7)


def test_the_stated_gap_is_exact_for_many_random_communes() -> None:
    rng = np.random.default_rng(11)
    for case in range(15):
        n = int(rng.integers(2, 40))
        pop = rng.integers(500, 80_000, n).astype(float)
        rows = [
            (f"{10000 + i}", str(rng.choice(["02000", "03000"])), float(np.round(p * rng.gamma(2, 0.01))), p)
            for i, p in enumerate(pop)
        ]
        before = gate_a(_indicators(rows), RULES)
        failing = before.loc[~before["gate_a_rate_pass"]]
        if failing.empty:
            continue
        row = failing.iloc[int(rng.integers(len(failing)))]
        more = _indicators(rows)
        at = more["nis_code"] == row["nis_code"]
        needed = row["gate_a_gap_exact"] * row["gate_a_denominator"] / 1000
        more.loc[at, "numerator"] += needed * (1 + 1e-9)
        assert gate_a(more, RULES).loc[lambda f: f["nis_code"] == row["nis_code"], "gate_a_rate_pass"].item(), case
        more.loc[at, "numerator"] -= needed * 2e-6
        assert not gate_a(more, RULES).loc[lambda f: f["nis_code"] == row["nis_code"], "gate_a_rate_pass"].item(), case


def test_the_proxy_is_used_only_where_the_indicator_is_missing_against_its_own_reference() -> None:
    primary = _indicators([("11001", "02000", 300, 10_000), ("11002", "02000", np.nan, 20_000)])
    proxy = _indicators(
        [("11001", "02000", 50, 10_000), ("11002", "02000", 150, 20_000)], indicator=PROXY
    )
    result = gate_a(pd.concat([primary, proxy]), RULES).set_index("nis_code")
    assert result["gate_a_indicator"].tolist() == [PRIMARY, PROXY]
    assert result["gate_a_proxy"].tolist() == [False, True]
    # The proxy's reference pools the proxy rows of both communes: 200 / 30,000.
    assert result.loc["11002", "gate_a_threshold"] == pytest.approx(1000 * 200 / 30_000)
    assert result.loc["11001", "gate_a_threshold"] == pytest.approx(30.0)
    reasons = eligibility(pd.concat([primary, proxy]), INDEX.iloc[:2], RULES).set_index("nis_code")
    assert reasons.loc["11002", "reason_en"].endswith(
        f"Gate A used the proxy {PROXY} because {PRIMARY} has no usable value."
    )
    no_proxy = RULES.model_copy(update={"gate_a": RULES.gate_a.model_copy(update={"allow_proxy": False})})
    assert gate_a(pd.concat([primary, proxy]), no_proxy)["gate_a_indicator"].isna().tolist() == [False, True]


def test_imputed_values_never_feed_the_gate_or_its_reference() -> None:
    frame = CASE.assign(flags=["", "imputed", None, "smoothed,imputed", "winsorised"])
    result = eligibility(frame, INDEX, RULES).set_index("nis_code")
    assert result["gate_a_value"].isna().tolist() == [False, True, False, True, False]
    # National reference without 11002 and 51001: (300 + 90 + 250) / 22,000.
    assert result.loc["11001", "gate_a_national_rate"] == pytest.approx(1000 * 640 / 22_000)
    assert result.loc["51001", "reason_en"] == (
        f"Not eligible: gate A cannot be assessed: no usable value of {PRIMARY} or of its proxy {PROXY}."
    )
    assert result.loc["51001", "reason_fr"] == (
        f"Non éligible{NBSP}: le critère A ne peut être évalué{NBSP}: aucune valeur utilisable de "
        f"{PRIMARY} ni de son indicateur de substitution {PROXY}."
    )


def test_a_commune_without_index_rank_cannot_pass_gate_b() -> None:
    result = eligibility(CASE, INDEX.loc[INDEX["nis_code"] != "51001"], RULES).set_index("nis_code")
    assert not result.loc["51001", "eligible"]
    assert result.loc["51001", "reason_en"] == "Not eligible: gate A met; gate B cannot be assessed: no index rank."
    # The pool is now 11001 (rank 40) and 51002 (60): one place, cut-off 40.
    assert result.loc["11001", "eligible"]


def test_gate_inputs_are_checked() -> None:
    with pytest.raises(FundInputError, match="gate_a indicators: missing column.s. region_code"):
        gate_a(CASE.drop(columns="region_code"), RULES)
    with pytest.raises(FundInputError, match=r"gate_a indicators: 2 rows share a key \(nis_code, year, indicator\)"):
        gate_a(pd.concat([CASE, CASE.iloc[:1]]), RULES)


def test_eligibility_probability_counts_the_draws_in_which_gate_b_holds() -> None:
    # Three gate-A communes, so one place per draw; the fourth fails gate A.
    draws = np.array(
        [
            [1, 1, 2, 3, 2],
            [2, 3, 1, 1, 3],
            [3, 2, 3, 2, 1],
            [4, 4, 4, 4, 4],
        ]
    )
    probability = eligibility_probability(draws, np.array([True, True, True, False]), RULES)
    assert probability.tolist() == pytest.approx([0.4, 0.4, 0.2, 0.0])
    assert borderline(probability, RULES).tolist() == [True, True, True, False]


def test_with_a_single_draw_the_probability_is_the_eligibility() -> None:
    rng = np.random.default_rng(7)
    n = 200
    codes = [f"{10000 + i}" for i in range(n)]
    pop = rng.integers(2_000, 100_000, n).astype(float)
    regions = rng.choice(["02000", "03000", "04000"], n)
    rows = list(zip(codes, regions, np.round(pop * rng.gamma(2, 0.01, n)), pop, strict=True))
    index = pd.DataFrame({"nis_code": codes, "year": 2024, "rank": rng.permutation(n) + 1})
    frame = eligibility(_indicators(rows), index, RULES)
    ranks = index.set_index("nis_code").loc[frame["nis_code"], "rank"].to_numpy()[:, None]
    probability = eligibility_probability(ranks, frame["gate_a_pass"].to_numpy(), RULES)
    assert frame["eligible"].sum() > 10
    assert (probability == frame["eligible"].to_numpy()).all()


def test_eligibility_probability_checks_shapes() -> None:
    with pytest.raises(FundInputError, match=r"gate_a_pass: expected one flag per commune \(2\), found shape \(3,\)"):
        eligibility_probability(np.ones((2, 10)), [True, True, False], RULES)
