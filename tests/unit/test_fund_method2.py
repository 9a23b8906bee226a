"""Method 2 of the fund (METHOD.md 4): need intensity instead of a second rank, bands instead of
cliffs, the cap on the whole budget, eligibility over both gates; and method 1 still reproducible.

The sample's inputs to the fund (gate A's counts, the index, the population) were recorded from a
`make run` of the method-1 release (rules 2025.2) together with that release's fund, in
``fixtures/fund_sample``, and checked against main's code before method 2 was written.
"""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kernels import fund_draws, warehouse
from kernels.fund import allocate, eligibility, load_fund_rules, simulate_years
from kernels.fund_reasons import status_sentence

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "fund_sample"
METHOD2 = load_fund_rules(ROOT / "config" / "fund_rules.yml")
METHOD1 = load_fund_rules(ROOT / "config" / "archive" / "fund_rules_2025.2.yml")
PRIMARY = "arrivals_per_1000_3y"


def _read(name: str) -> pd.DataFrame:
    frame = pd.read_csv(FIXTURES / name, dtype={"nis_code": str, "region_code": str, "rules_version": str})
    if "flags" in frame.columns:
        frame["flags"] = frame["flags"].fillna("")
    return frame


@pytest.fixture(scope="module")
def sample() -> dict[str, pd.DataFrame]:
    return {
        "indicators": _read("gate_a_indicators.csv.gz"),
        "index": _read("index.csv.gz"),
        "population": _read("population.csv.gz"),
        "method1": _read("method1_fund_2025.2.csv.gz"),
    }


def _fund(sample: dict[str, pd.DataFrame], rules, indicators: pd.DataFrame | None = None) -> pd.DataFrame:
    gates = eligibility(sample["indicators"] if indicators is None else indicators, sample["index"], rules)
    return warehouse.fund_years(gates, sample["index"], sample["population"], rules)


# --- method 1 stays reproducible -------------------------------------------------------------


def test_the_method_1_rules_file_reproduces_the_method_1_fund_of_the_sample_to_the_cent(sample) -> None:
    years = _fund(sample, METHOD1)
    recorded = sample["method1"]
    merged = recorded.merge(years, on=["nis_code", "year"], how="left", suffixes=("_recorded", ""))
    assert len(merged) == len(recorded) == 3955
    assert (merged["status_recorded"] == merged["status"]).all()
    assert (merged["formula_cents"] == merged["amount_cents"]).all()
    assert (merged["guarantee_cents_recorded"] == merged["guarantee_cents"]).all()
    assert (merged["paid_cents_recorded"] == merged["paid_cents"]).all()
    assert set(recorded["rules_version"]) == {METHOD1.version}


# --- method 2 on the sample ------------------------------------------------------------------


def test_every_year_adds_up_to_its_budget_to_the_cent(sample) -> None:
    years = _fund(sample, METHOD2)
    paid = years.groupby("year")["paid_cents"].sum()
    assert {int(y): int(c) for y, c in paid.items()} == {y: METHOD2.budget.cents_for(y) for y in range(2019, 2026)}
    assert (years["amount_cents"] >= 0).all()


def test_money_per_inhabitant_follows_need_intensity_among_full_shares(sample) -> None:
    """With the rank counted once, two communes at full share, neither capped nor floored, get
    the same euros per inhabitant per unit of need intensity (fixed-goalpost score / 50)."""
    years = _fund(sample, METHOD2).merge(
        sample["population"].rename(columns={"value": "population"}), on=["nis_code", "year"]
    ).merge(sample["index"][["nis_code", "year", "score_fixed_goalposts"]], on=["nis_code", "year"])
    free = years.loc[years["in_fund"] & (years["bound"] == "none") & (years["band_factor"] == 1)]
    assert len(free) >= 100
    assert np.allclose(free["need_intensity"], free["score_fixed_goalposts"] / 50)
    per_unit = free["amount_cents"] / (free["population"] * free["need_intensity"])
    spread = per_unit.groupby(free["year"]).agg(lambda s: s.max() / s.min())
    assert (spread < 1.001).all(), spread  # one cent of rounding apart
    assert free["rank_coefficient"].isna().all()  # the rank is not a factor of the default weight


def test_the_cap_is_a_share_of_the_whole_budget_even_in_a_year_with_exit_guarantees(sample) -> None:
    years = _fund(sample, METHOD2)
    capped = years.loc[years["bound"] == "cap"]
    with_guarantees = capped.loc[capped["pool_cents"] < capped["budget_cents"]]
    assert len(with_guarantees) > 0
    expected = [METHOD2.allocation.cap_cents(int(b)) for b in capped["budget_cents"]]
    assert capped["amount_cents"].tolist() == expected
    sentence = status_sentence(capped.iloc[0].to_dict(), METHOD2, "en")
    assert "held at the cap: 10% of the year's budget of €" in sentence


def test_a_near_miss_no_longer_falls_off_a_cliff(sample) -> None:
    """The issue's example: Neupré (62121) failed gate A in 2019 by 0.45 per 1,000; method 1 paid
    0 and then its full share once past the threshold. Under method 2, each extra arrival moves its
    amount by at most its band step (one arrival's share of the band, times its full amount)."""
    code, year = "62121", 2019
    indicators = sample["indicators"].loc[sample["indicators"]["year"] == year]
    index = sample["index"].loc[sample["index"]["year"] == year]
    population = sample["population"].loc[sample["population"]["year"] == year]
    one = {"indicators": indicators, "index": index, "population": population}
    at = (indicators["nis_code"] == code) & (indicators["indicator"] == PRIMARY)
    denominator = float(indicators.loc[at, "denominator"].iloc[0])
    amounts, factors, thresholds = [], [], []
    for extra in range(0, 60):
        more = indicators.assign(numerator=np.where(at, indicators["numerator"] + extra, indicators["numerator"]))
        # The gates once per step, and the fund on those very gates (as _fund and the fund stage do:
        # the reasons in words, left out here, never change an amount).
        gates = eligibility(more, index, METHOD2, reasons=False)
        years = warehouse.fund_years(gates, index, population, METHOD2).set_index("nis_code")
        gates = gates.set_index("nis_code")
        amounts.append(int(years.loc[code, "amount_cents"]))
        factors.append(float(gates.loc[code, "band_factor"]))
        thresholds.append(float(gates.loc[code, "gate_a_threshold"]))
    assert amounts[0] == 0 and amounts[-1] > 0
    # A full share: the amount it would get at band factor 1 bounds what one band step is worth.
    full = max(a / f for a, f in zip(amounts, factors, strict=True) if f > 0)
    step = 1000.0 / denominator / (float(METHOD2.bands.gate_a_share) * min(thresholds))
    jumps = np.abs(np.diff(amounts))
    assert jumps.max() <= step * full + 1, (jumps.max(), step * full)
    # Method 1 on the same arrivals: one arrival moves it from nothing to its whole grant.
    method1 = [
        int(_fund(one, METHOD1, indicators.assign(numerator=np.where(at, indicators["numerator"] + e, indicators["numerator"]))).set_index("nis_code").loc[code, "amount_cents"])
        for e in (0, 59)
    ]
    assert method1[0] == 0 and method1[1] > 10 * jumps.max()


# --- bands -----------------------------------------------------------------------------------


def _gate_frame(values: list[float], ranks: list[float]) -> tuple[pd.DataFrame, pd.DataFrame]:
    codes = [f"{21001 + i}" for i in range(len(values))]
    indicators = pd.DataFrame(
        {
            "nis_code": codes,
            "year": 2024,
            "indicator": PRIMARY,
            "numerator": [v * 10 for v in values],  # per 1,000 of 10,000 inhabitants
            "denominator": 10_000.0,
            "region_code": "04000",
        }
    )
    index = pd.DataFrame({"nis_code": codes, "year": 2024, "rank": ranks})
    return indicators, index


def test_gate_b_band_rises_by_one_fifth_per_rank_inside_the_cut_off() -> None:
    # Twelve communes pass gate A (same high rate), twelve do not: the top third is 4 places.
    values = [60.0] * 12 + [1.0] * 12
    indicators, index = _gate_frame(values, [float(r) for r in range(1, 25)])
    gates = eligibility(indicators, index, METHOD2).set_index("nis_code").sort_values("gate_b_value")
    assert gates["gate_b_threshold"].iloc[0] == 4
    # Rank 4 (the cut-off) gets 1/5, rank 1 gets 4/5; rank 5 is out.
    assert gates["gate_b_band_factor"].iloc[:6].round(6).tolist() == [0.8, 0.6, 0.4, 0.2, 0.0, 0.0]
    assert gates["eligible"].iloc[:6].tolist() == [True, True, True, True, False, False]


def test_gate_a_band_is_ten_percent_of_the_threshold_and_of_the_minimum_count() -> None:
    indicators, index = _gate_frame([10.0] * 20 + [30.0], [float(r) for r in range(2, 22)] + [1.0])
    gates = eligibility(indicators, index, METHOD2).set_index("nis_code")
    top = gates.loc["21021"]
    expected = (top["gate_a_value"] - top["gate_a_threshold"]) / (0.1 * top["gate_a_threshold"])
    assert top["gate_a_pass"] and top["gate_a_band_factor"] == pytest.approx(min(expected, 1.0))
    # The count: 105 arrivals against a minimum of 100 is half-way through a band of 10.
    counted = indicators.assign(numerator=np.where(indicators["nis_code"] == "21021", 105.0, 1.0))
    gates = eligibility(counted, index, METHOD2).set_index("nis_code")
    assert gates.loc["21021", "gate_a_position"] == pytest.approx(0.5)
    # Alone in gate A, it is its own cut-off: 1/5 into gate B's band, nearer than gate A's 1/2.
    assert (gates.loc["21021", "nearest_gate"], gates.loc["21021", "nearest_gate_position"]) == ("gate_b", 0.2)
    assert gates.loc["21021", "band_factor"] == pytest.approx(0.5 * 0.2)


def test_a_commune_in_a_band_gets_its_share_of_the_weight_and_of_the_floor() -> None:
    members = pd.DataFrame(
        {
            "nis_code": ["A", "B", "C"],
            "population": [10_000.0, 10_000.0, 50.0],
            "score": [80.0, 70.0, 60.0],
            "rank": [1, 2, 3],
            "score_fixed_goalposts": [60.0, 60.0, 60.0],
            "band_factor": [1.0, 0.5, 0.01],
        }
    )
    rules = METHOD2.model_copy(update={"allocation": METHOD2.allocation.model_copy(update={"cap_share": Decimal("0.9")})})
    result = allocate(members, 10_000_000_00, rules).set_index("nis_code")
    assert result["amount_cents"].sum() == 10_000_000_00
    assert result.loc["B", "amount_cents"] == pytest.approx(result.loc["A", "amount_cents"] / 2, abs=1)
    # C's full share would be below the floor, so 1 % of the floor (1 % of 50,000 EUR) holds it.
    assert result.loc["C", "floor_cents"] == 500_00
    assert (result.loc["C", "bound"], result.loc["C", "amount_cents"]) == ("floor", 500_00)
    sentence = status_sentence({**result.loc["C"].to_dict(), "status": "in_fund", "amount_cents": 500_00,
                                "gate_a_band_factor": 0.01, "gate_b_band_factor": 1.0}, rules, "en")
    assert "Phase-in band: it gets 1% of its full share (gate A 1%, gate B 100%)." in sentence
    assert "raised to the floor of €500.00 (1% of the floor of €50,000.00, as its share)" in sentence
    row = {**result.loc["B"].to_dict(), "status": "in_fund", "amount_cents": int(result.loc["B", "amount_cents"]),
           "gate_a_band_factor": 1.0, "gate_b_band_factor": 0.5}
    assert "Bande d'entrée progressive\u00a0: reçoit 50\u00a0% de sa part pleine (critère A 100\u00a0%, critère B 50\u00a0%)." in (
        status_sentence(row, rules, "fr")
    )
    assert "Ingroeiband: ontvangt 50% van het volle aandeel (criterium A 100%, criterium B 50%)." in status_sentence(row, rules, "nl")
    staying = status_sentence({**row, "status": "staying", "grace_year": 1, "grace_years": 1}, rules, "en")
    assert "Phase-in band: it keeps 50% of its full share, as in its last year inside the gates." in staying


def test_the_dsu_rank_coefficient_stays_an_option() -> None:
    members = pd.DataFrame(
        {"nis_code": ["A", "B", "C"], "population": 1000.0, "score": [80.0, 70.0, 60.0], "rank": [1, 2, 3],
         "score_fixed_goalposts": 50.0}
    )
    option = METHOD2.model_copy(update={"allocation": METHOD2.allocation.model_copy(
        update={"weight": "need_intensity_x_rank_coefficient", "cap_share": Decimal("0.9"), "floor_cents": 0}
    )})
    result = allocate(members, 1_000_000_00, option).set_index("nis_code")
    assert result["rank_coefficient"].tolist() == [4.0, 2.25, 0.5]
    assert result["amount_cents"].tolist() == [59_259_259, 33_333_333, 7_407_408]


def test_a_grace_year_keeps_the_band_factor_of_the_last_year_inside_the_gates() -> None:
    eligibility_history = pd.DataFrame(
        {
            "nis_code": ["A", "B", "A", "B"],
            "year": [2023, 2023, 2024, 2024],
            "eligible": [True, True, True, False],
            "band_factor": [1.0, 0.3, 1.0, 0.0],
        }
    )
    index = pd.DataFrame(
        {"nis_code": ["A", "B"] * 2, "year": [2023, 2023, 2024, 2024], "population": 1000.0, "score": 50.0,
         "rank": [1, 2] * 2, "score_fixed_goalposts": 50.0}
    )
    allocation = METHOD2.allocation.model_copy(update={"cap_share": Decimal("0.9"), "floor_cents": 0})
    rules = METHOD2.model_copy(update={"allocation": allocation})
    years = simulate_years(eligibility_history, index, rules, budgets_cents={2023: 1_300_00, 2024: 1_300_00})
    b = years.set_index(["nis_code", "year"]).loc["B"]
    assert b.loc[2024, "status"] == "staying"
    assert b.loc[2024, "band_factor"] == 0.3 and b.loc[2024, "amount_cents"] == 300_00


# --- draws -----------------------------------------------------------------------------------


def _year_inputs(rng: np.random.Generator, n: int = 565, k: int = 1000) -> fund_draws.YearInputs:
    population = np.round(rng.lognormal(9, 1.0, n)) + 500
    arrivals = np.round(population * rng.gamma(2.0, 0.012, n))
    region = rng.integers(0, 3, n)
    national = np.full(n, arrivals.sum())
    regional = np.array([arrivals[region == r].sum() for r in region])
    regional_pop = np.array([population[region == r].sum() for r in region])
    threshold = 1000 * (0.7 * national / population.sum() + 0.3 * regional / regional_pop)
    score = rng.uniform(1, 100, n)
    rank = pd.Series(score).rank(ascending=False, method="min").to_numpy()
    noisy = score[None, :] + rng.normal(0, 5, (k, n))
    draw_ranks = pd.DataFrame(noisy).rank(axis=1, ascending=False, method="min").to_numpy()
    return fund_draws.YearInputs(
        numerator=arrivals, denominator=population, indicator_group=np.zeros(n, dtype=int), region_group=region,
        national_numerator=national, national_denominator=np.full(n, population.sum()),
        regional_numerator=regional, regional_denominator=regional_pop,
        gate_a_pass=(1000 * arrivals / population >= threshold) & (arrivals >= 100),
        draw_ranks=draw_ranks, rank=rank, score=score, need_score=score, population=population,
        grace_possible=np.zeros(n, dtype=bool), held_factor=np.ones(n), pool_cents=50_000_000_00,
        budget_cents=50_000_000_00,
    )


def test_the_same_seed_gives_the_same_draws_and_another_seed_others() -> None:
    inputs = _year_inputs(np.random.default_rng(7))
    first = fund_draws.year_draws(inputs, METHOD2, np.random.default_rng([METHOD2.probability.seed, 2024]))
    again = fund_draws.year_draws(inputs, METHOD2, np.random.default_rng([METHOD2.probability.seed, 2024]))
    other = fund_draws.year_draws(inputs, METHOD2, np.random.default_rng([METHOD2.probability.seed + 1, 2024]))
    assert np.array_equal(first.eligibility_probability, again.eligibility_probability)
    assert np.array_equal(first.amount_percentiles, again.amount_percentiles)
    assert not np.array_equal(first.gate_a_probability, other.gate_a_probability)


def test_poisson_noise_makes_gate_a_uncertain_only_near_its_threshold() -> None:
    inputs = _year_inputs(np.random.default_rng(11))
    with_noise = fund_draws.year_draws(inputs, METHOD2, np.random.default_rng(1))
    without = fund_draws.year_draws(inputs, METHOD1, np.random.default_rng(1))
    # Method 1 never varies gate A; method 2 does, for communes near its threshold only.
    assert set(np.unique(without.gate_a_probability)) <= {0.0, 1.0}
    uncertain = (with_noise.gate_a_probability > 0.1) & (with_noise.gate_a_probability < 0.9)
    assert uncertain.sum() > 5
    # How far each count is from what gate A needs (rate and minimum), in Poisson standard deviations.
    threshold = 1000 * (0.7 * inputs.national_numerator / inputs.national_denominator
                        + 0.3 * inputs.regional_numerator / inputs.regional_denominator)
    needed = np.maximum(threshold * inputs.denominator / 1000, 100)
    z = np.abs(inputs.numerator - needed) / np.sqrt(np.maximum(inputs.numerator, 1))
    assert z[uncertain].max() < 2.5
    far = z > 4
    assert far.sum() > 400 and np.all((with_noise.gate_a_probability[far] < 0.01) | (with_noise.gate_a_probability[far] > 0.99))
    # The amounts' spread: a sure commune's 5th to 95th percentile is narrower than a borderline one's.
    p05, p50, p95 = with_noise.amount_percentiles
    sure = with_noise.eligibility_probability == 1
    border = (with_noise.eligibility_probability > 0.2) & (with_noise.eligibility_probability < 0.8)
    assert border.any() and sure.any()
    assert np.median((p95 - p05)[border] / np.maximum(p95[border], 1)) > np.median((p95 - p05)[sure] / p95[sure])
    assert (p05 <= p50).all() and (p50 <= p95).all()


def test_the_draws_with_every_draw_at_the_observed_ranks_and_counts_give_the_observed_fund(sample) -> None:
    """No noise and every draw at the observed ranks: each draw is the nominal fund, so the
    percentiles equal the amount paid (to the cent) and the probability is 0 or 1 as eligible."""
    year = 2024
    gates = eligibility(sample["indicators"], sample["index"], METHOD2)
    nominal = warehouse._simulate(gates, sample["index"], sample["population"], METHOD2)
    group = gates.loc[gates["year"] == year].reset_index(drop=True)
    ranks = sample["index"].loc[sample["index"]["year"] == year].set_index("nis_code")["rank"]

    class Draws:  # the shape of uncertainty.YearDraws that the glue reads
        nis_codes = ranks.dropna().index.to_numpy()
        ranks_ = ranks.dropna().to_numpy()

    still = METHOD2.model_copy(update={"probability": METHOD2.probability.model_copy(update={"arrival_noise": "none"})})
    draws = Draws()
    draws.ranks = np.tile(Draws.ranks_, (20, 1))
    inputs = warehouse._draw_inputs(group, draws, sample["index"], sample["population"], nominal, still, year)
    result = fund_draws.year_draws(inputs, still, np.random.default_rng(0))
    paid = nominal.loc[nominal["year"] == year].set_index("nis_code").reindex(group["nis_code"])["amount_cents"]
    assert np.abs(result.amount_percentiles[1] - paid.to_numpy()).max() <= 1
    assert np.array_equal(result.eligibility_probability, group["eligible"].to_numpy(dtype=float))


def test_monte_carlo_of_1000_draws_565_communes_and_7_years_takes_under_10_seconds() -> None:
    rng = np.random.default_rng(3)
    years = [_year_inputs(rng) for _ in range(7)]
    start = time.perf_counter()
    for year, inputs in enumerate(years):
        fund_draws.year_draws(inputs, METHOD2, np.random.default_rng([1, year]))
    assert time.perf_counter() - start < 10.0


def test_a_release_without_a_fund_year_still_has_every_column_the_published_tables_read() -> None:
    """Real files give no fund year: the published fund tables then select from an empty frame,
    which must still hold the band factors and the spread of the amounts."""
    gates = pd.DataFrame(columns=["nis_code", "year", "eligible", "band_factor", "gate_a_band_factor", "gate_b_band_factor",
                                  "amount_p05_cents", "amount_p50_cents", "amount_p95_cents", "reason_en"])
    index = pd.DataFrame(columns=["nis_code", "year", "score", "rank", "score_fixed_goalposts"])
    population = pd.DataFrame(columns=["nis_code", "year", "value"])
    years = warehouse.fund_years(gates, index, population, METHOD2)
    assert years.empty
    assert {"amount_p05_cents", "amount_p50_cents", "amount_p95_cents", "gate_a_band_factor", "band_factor",
            "need_intensity", "budget_cents", "reason_nl"} <= set(years.columns)
