"""The glue between the warehouse's tables and the kernels, shared by the index and fund stages
(``kernels.stages``) and by the ``cohesion explain`` and ``whatif`` commands.

Each function takes the frames a stage reads (``commune_indicators``, the commune reference, the
harmonised population) and returns the frames it writes. The methodology and the fund rules come
in as arguments; without one, the config folder's file (``ingestion.settings.config_dir``) is
read. No environment variable is read here: ``COHESION_METHODOLOGY`` is translated at the edge
(``ingestion.settings.methodology_file``, used by the orchestration resource and the commands).
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ingestion.settings import config_dir
from kernels import fund, fund_draws, fund_gates
from kernels.editions import EditionPlan, plan_editions, population_for_editions, scope_communes
from kernels.fund_editions import fund_communes, index_scope_for, plan_fund_years, split_into_runs
from kernels.index import IndexResult, compute_index
from kernels.methodology import NATIONAL_SCOPE, Methodology, load_methodology
from kernels.uncertainty import UncertaintyResult, run_uncertainty

def config_file(name: str) -> Path:
    return config_dir() / name


def methodology(path: str | Path | None = None) -> Methodology:
    """The methodology file ``path``, else the config folder's ``methodology.yml``."""
    return load_methodology(path or config_file("methodology.yml"))


def fund_rules(path: str | Path | None = None, known_indicators=None) -> fund.FundRules:
    return fund.load_fund_rules(path or config_file("fund_rules.yml"), known_indicators=known_indicators)


_ROW_KEYS = ("year", "nis_code", "indicator", "measure")


def in_key_order(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame sorted on its key columns. A warehouse table comes back in whatever order the
    database's threads produced it; sums over communes and the Monte Carlo draws (assigned to
    communes by position) must not depend on that, or two runs on the same data differ."""
    keys = [c for c in _ROW_KEYS if c in frame.columns]
    return frame.sort_values(keys, kind="stable", ignore_index=True) if keys else frame


@dataclass(frozen=True)
class IndexInputs:
    indicators: pd.DataFrame  # nis_code, year (edition), indicator, value, numerator, denominator, reference_period
    communes: pd.DataFrame  # nis_code, arrondissement_code (the scope's communes)
    population: pd.DataFrame  # nis_code, year (edition), population


# The columns of commune_indicators that editions.plan_editions reads.
_PLAN_READS = ("nis_code", "year", "indicator", "value", "numerator", "denominator")


def edition_plan(commune_indicators: pd.DataFrame, communes: pd.DataFrame, m: Methodology) -> EditionPlan:
    """Which reference period of each indicator enters each edition and scope (``editions``)."""
    # Only the columns the plan reads are put in key order: sorting the other nine (Arrow
    # strings) cost more than the plan.
    read = [c for c in _PLAN_READS if c in commune_indicators.columns]
    commune_indicators, communes = in_key_order(commune_indicators[read]), in_key_order(communes)
    return plan_editions(commune_indicators, communes.astype({"nis_code": str, "region_code": str}), m)


def index_inputs(
    commune_indicators: pd.DataFrame,
    communes: pd.DataFrame,
    population: pd.DataFrame,
    m: Methodology,
    scope: str = NATIONAL_SCOPE,
    plan: EditionPlan | None = None,
) -> IndexInputs:
    """The index kernel's inputs for one scope: the published editions' values (``year`` is the
    edition year), the scope's communes, and each edition's population."""
    plan = plan or edition_plan(commune_indicators, communes, m)
    indicators = plan.scope_inputs(scope)
    indicators["nis_code"] = indicators["nis_code"].astype(str)
    indicators["year"] = indicators["year"].astype(int)
    for column in ("value", "numerator", "denominator"):
        indicators[column] = pd.to_numeric(indicators[column]).astype(float)
    population = in_key_order(population).rename(columns={"value": "population"})[["nis_code", "year", "population"]].copy()
    population["nis_code"] = population["nis_code"].astype(str)
    population["year"] = population["year"].astype(int)
    population = population_for_editions(population, plan.published_years(scope), m.editions.max_lag_years)
    members = scope_communes(in_key_order(communes).astype({"region_code": str}), scope)
    communes = members[["nis_code", "arrondissement_code"]].astype(str).reset_index(drop=True)
    return IndexInputs(indicators.reset_index(drop=True), communes, population.reset_index(drop=True))


def run_index(inputs: IndexInputs, m: Methodology) -> IndexResult:
    return compute_index(inputs.indicators, inputs.communes, m, population=inputs.population)


def run_draws(inputs: IndexInputs, m: Methodology, workers: int = 1) -> UncertaintyResult:
    return run_uncertainty(inputs.indicators, inputs.communes, m, population=inputs.population, workers=workers)


def index_result(
    commune_indicators: pd.DataFrame,
    communes: pd.DataFrame,
    population: pd.DataFrame,
    scope: str = NATIONAL_SCOPE,
    m: Methodology | None = None,
) -> IndexResult:
    """The index of one scope under ``m`` (default: the config folder's methodology), from the
    three frames the index stage reads. ``year`` is the edition year."""
    m = m or methodology()
    return run_index(index_inputs(commune_indicators, communes, population, m, scope), m)


def draws_result(
    commune_indicators: pd.DataFrame,
    communes: pd.DataFrame,
    population: pd.DataFrame,
    scope: str = NATIONAL_SCOPE,
    m: Methodology | None = None,
    workers: int = 1,
) -> UncertaintyResult:
    """The Monte Carlo draws under ``m`` (default: the config folder's methodology; seeded: the
    same every run), ``workers`` threads drawing different years at once."""
    m = m or methodology()
    return run_draws(index_inputs(commune_indicators, communes, population, m, scope), m, workers=workers)


def reference_periods(plan: EditionPlan, scope: str = NATIONAL_SCOPE) -> dict[tuple[int, str], int]:
    """(edition year, indicator) -> the reference period of the values used, for one scope."""
    rows = plan.plan.loc[(plan.plan["scope"] == scope) & plan.plan["used"] & plan.plan["edition_published"]]
    return {
        (int(y), str(i)): int(p) for y, i, p in zip(rows["year"], rows["indicator"], rows["reference_period"], strict=True)
    }


def regional_index(
    commune_indicators: pd.DataFrame,
    communes: pd.DataFrame,
    population: pd.DataFrame,
    m: Methodology | None = None,
    plan: EditionPlan | None = None,
) -> pd.DataFrame:
    """The regional supplements (``editions.regional_supplements``): each region's communes ranked
    with the region's own indicators added, per published supplement edition. ``plan``: the
    edition plan of these frames under ``m``, when the caller has it already."""
    m = m or methodology()
    plan = plan or edition_plan(commune_indicators, communes, m)
    parts = []
    for scope in m.editions.regional_supplements:
        if not plan.published_years(scope):
            continue
        result = run_index(index_inputs(commune_indicators, communes, population, m, scope, plan), m)
        parts.append(result.index.assign(scope=scope))
    columns = ["nis_code", "year", "scope", "score", "rank", "score_fixed_goalposts", "indicators_used", "indicators_imputed", "reason", "methodology_version"]
    if not parts:
        return pd.DataFrame(columns=columns)
    return pd.concat(parts, ignore_index=True)[columns]


def fund_index(national_index: pd.DataFrame, regional_index: pd.DataFrame, index_scope: str) -> pd.DataFrame:
    """The index that ranks the fund's communes (``fund_editions.index_scope_for``): nis_code,
    year, score, rank, score_fixed_goalposts (the need intensity's base)."""
    if index_scope == NATIONAL_SCOPE:
        frame = national_index
    else:
        frame = regional_index.loc[regional_index["scope"] == index_scope]
    columns = ["nis_code", "year", "score", "rank", "score_fixed_goalposts"]
    return frame[[c for c in columns if c in frame.columns]].reset_index(drop=True)


def fund_index_scope(rules: fund.FundRules, m: Methodology) -> str:
    """The scope of the index that ranks the fund's communes (``fund_editions.index_scope_for``)."""
    return index_scope_for(rules, m.editions.regional_supplements)


def fund_plan(
    commune_indicators: pd.DataFrame,
    communes: pd.DataFrame,
    national_index: pd.DataFrame,
    regional_index: pd.DataFrame,
    rules: fund.FundRules,
    m: Methodology,
) -> tuple[pd.DataFrame, str]:
    """Per candidate year, whether the fund can be computed and why not (``fund_editions``), and
    the scope of the index that ranks its communes."""
    commune_indicators, communes = in_key_order(commune_indicators), in_key_order(communes)
    index_scope = fund_index_scope(rules, m)
    index = fund_index(national_index, regional_index, index_scope)
    index_years = sorted({int(y) for y in index.loc[index["score"].notna(), "year"]})
    # Method 2's weight needs every scored commune's fixed-goalpost score.
    need_years = None
    if "score_fixed_goalposts" in index.columns:
        scored = index.loc[index["score"].notna()]
        complete = scored.groupby("year")["score_fixed_goalposts"].apply(lambda s: bool(s.notna().all()))
        need_years = [int(y) for y, ok in complete.items() if ok]
    # Residents by nationality exist where the share of non-Belgians could be computed.
    shares = commune_indicators.loc[
        (commune_indicators["indicator"] == "share_non_belgian") & commune_indicators["value"].notna()
    ]
    plan = plan_fund_years(
        commune_indicators,
        communes.astype({"nis_code": str, "region_code": str}),
        index_years,
        shares["year"].unique(),
        rules,
        index_scope=index_scope,
        candidate_years=[y for y, _ in rules.budget.by_year_cents],
        need_years=need_years,
    )
    return plan, index_scope


@dataclass(frozen=True)
class DrawRanks:
    """One year of the index's Monte Carlo ranks, as the fund uses them."""

    nis_codes: np.ndarray  # (N,) scored communes
    ranks: np.ndarray  # (K, N): rank of each commune in each draw, 1 = most need


def fund_eligibility(
    commune_indicators: pd.DataFrame,
    communes: pd.DataFrame,
    index: pd.DataFrame,
    draws: UncertaintyResult | Mapping[int, DrawRanks] | None,
    rules: fund.FundRules,
    years: list[int] | None = None,
    population: pd.DataFrame | None = None,
    workers: int = 1,
) -> pd.DataFrame:
    """Per commune of the fund's scope and computed year: both gates with value, threshold,
    result and band factor, eligibility, its probability over the draws (both gates: the index's
    uncertainty draws for gate B, Poisson noise on gate A's counts when the rules say so), and the
    reason in words (EN, FR, NL). With ``population`` (the harmonised population the allocation
    uses), also the spread of each commune's formula amount across the draws (5th, 50th and 95th
    percentile, cents; ``fund_draws``). ``draws``: the index's draws (``run_draws``), or their
    ranks per year as the index stage keeps them. ``years``: the years the fund is computed for
    (default: every year). ``workers``: threads that draw different years at once (the same
    result: each year has a random stream of its own)."""
    return fund_eligibility_and_simulation(
        commune_indicators, communes, index, draws, rules, years=years, population=population, workers=workers
    )[0]


def fund_eligibility_and_simulation(
    commune_indicators: pd.DataFrame,
    communes: pd.DataFrame,
    index: pd.DataFrame,
    draws: UncertaintyResult | Mapping[int, DrawRanks] | None,
    rules: fund.FundRules,
    years: list[int] | None = None,
    population: pd.DataFrame | None = None,
    workers: int = 1,
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """``fund_eligibility``, and the nominal simulation of the years it ran to spread the amounts
    over the draws (None without ``draws`` or ``population``): ``fund_years`` takes it rather
    than run the transitions and the allocation a second time."""
    commune_indicators, communes, index = map(in_key_order, (commune_indicators, communes, index))
    members = fund_communes(communes.astype({"nis_code": str, "region_code": str}), rules)
    regions = members[["nis_code", "region_code"]].astype(str)
    indicators = commune_indicators.merge(regions, on="nis_code", how="inner")
    if years is not None:
        indicators = indicators.loc[indicators["year"].isin(list(years))]
    frame = fund_gates.eligibility(indicators, index[["nis_code", "year", "rank"]], rules, reasons=False)
    # The reasons in words read the gates alone: worded on a copy of the gates, on a thread of
    # their own when there are workers (Python, beside the draws' numpy), and put back in their
    # place after the gates' columns.
    gate_columns = len(frame.columns)
    if workers > 1:
        with ThreadPoolExecutor(max_workers=1) as background:
            pending = background.submit(fund_gates.reason_columns, frame.copy(), rules)
            frame, nominal = _with_draws(frame, index, draws, population, rules, workers)
            worded = pending.result()
    else:
        worded = fund_gates.reason_columns(frame, rules)
        frame, nominal = _with_draws(frame, index, draws, population, rules, workers)
    for offset, (column, texts) in enumerate(worded.items()):
        frame.insert(gate_columns + offset, column, texts)
    return frame, nominal


def _with_draws(
    frame: pd.DataFrame,
    index: pd.DataFrame,
    draws: UncertaintyResult | Mapping[int, DrawRanks] | None,
    population: pd.DataFrame | None,
    rules: fund.FundRules,
    workers: int,
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The eligibility frame with each commune's probabilities and spread of amounts over the
    draws, and the nominal simulation that spread them (None without draws or population)."""
    spread = ["gate_a_probability", "gate_b_probability", "eligibility_probability"]
    amounts = ["amount_p05_cents", "amount_p50_cents", "amount_p95_cents"]
    for column in [*spread, *amounts]:
        frame[column] = np.nan
    frame["draws"] = pd.array([pd.NA] * len(frame), dtype="Int64")
    nominal = None
    if draws is not None and len(frame):
        nominal = _simulate(frame, index, population, rules) if population is not None else None
        per_year = draws.draws if isinstance(draws, UncertaintyResult) else draws
        jobs = []
        for year, year_draws in per_year.items():
            in_year = frame["year"] == year
            if not in_year.any():
                continue
            group = frame.loc[in_year]
            jobs.append((int(year), in_year, _draw_inputs(group, year_draws, index, population, nominal, rules, int(year))))
        seed = rules.probability.seed if rules.probability.seed is not None else 0

        def year_result(job):
            # Each year draws from a stream of its own, so years may run on different threads.
            year, _, inputs = job
            return fund_draws.year_draws(inputs, rules, np.random.default_rng([seed, year]))

        if workers > 1 and len(jobs) > 1:
            with ThreadPoolExecutor(max_workers=workers) as pool:
                results = list(pool.map(year_result, jobs))
        else:
            results = [year_result(job) for job in jobs]
        for (_, in_year, _), result in zip(jobs, results, strict=True):
            for column in spread:
                frame.loc[in_year, column] = getattr(result, column)
            if nominal is not None:
                p05, p50, p95 = (np.rint(p) for p in result.amount_percentiles)
                frame.loc[in_year, "amount_p05_cents"] = p05
                frame.loc[in_year, "amount_p50_cents"] = p50
                frame.loc[in_year, "amount_p95_cents"] = p95
            frame.loc[in_year, "draws"] = result.draws
    probability = frame["eligibility_probability"].to_numpy(dtype=float)
    frame["borderline"] = fund.borderline(probability, rules)
    frame["borderline_gate"] = fund_draws.borderline_gate(
        frame["gate_a_probability"].to_numpy(dtype=float),
        frame["gate_b_probability"].to_numpy(dtype=float),
        frame["borderline"].to_numpy(dtype=bool),
        rules,
    )
    return frame, nominal


def _draw_inputs(
    group: pd.DataFrame,
    year_draws,
    index: pd.DataFrame,
    population: pd.DataFrame | None,
    nominal: pd.DataFrame | None,
    rules: fund.FundRules,
    year: int,
) -> fund_draws.YearInputs:
    """One year's arrays for ``fund_draws.year_draws``, in the order of ``group``'s rows."""
    codes = group["nis_code"].astype(str).to_numpy()
    n = len(codes)
    drawn_codes = pd.Index(np.asarray(year_draws.nis_codes).astype(str))
    where = drawn_codes.get_indexer(codes)
    ranks = np.full((year_draws.ranks.shape[0], n), np.nan)
    found = where >= 0
    ranks[:, found] = year_draws.ranks[:, where[found]]
    scored = index.loc[index["year"] == year].set_index(index.loc[index["year"] == year, "nis_code"].astype(str))
    scored = scored.reindex(codes)
    assessed = group["gate_a_value"].notna().to_numpy()
    indicator = group["gate_a_indicator"].fillna("").astype(str)
    region_group = pd.factorize(indicator + "|" + group["region_code"].astype(str))[0]

    def column(name: str, fill: float = np.nan) -> np.ndarray:
        return pd.to_numeric(group[name], errors="coerce").fillna(fill).to_numpy(dtype="float64")

    pop = np.full(n, np.nan)
    grace = np.zeros(n, dtype=bool)
    held = np.ones(n)
    pool = budget = rules.budget.cents_for(year)
    if population is not None:
        by_code = population.loc[population["year"] == year].assign(nis_code=lambda f: f["nis_code"].astype(str))
        pop = pd.to_numeric(by_code.set_index("nis_code")["value"], errors="coerce").reindex(codes).to_numpy(dtype="float64")
    if nominal is not None:
        this = nominal.loc[nominal["year"] == year]
        if len(this):
            pool, budget = int(this["pool_cents"].iloc[0]), int(this["budget_cents"].iloc[0])
        before = nominal.loc[nominal["year"] == year - 1].set_index("nis_code").reindex(codes)
        member = before["in_fund"].fillna(False).to_numpy(dtype=bool)
        outside = pd.to_numeric(before["years_outside"], errors="coerce").fillna(0).to_numpy()
        grace = member & (outside + 1 < rules.transitions.exit_after_years_outside)
        held = pd.to_numeric(before["band_factor"], errors="coerce").fillna(1.0).to_numpy(dtype="float64")
    need = (
        pd.to_numeric(scored["score_fixed_goalposts"], errors="coerce").to_numpy(dtype="float64")
        if "score_fixed_goalposts" in scored.columns
        else np.full(n, np.nan)
    )
    return fund_draws.YearInputs(
        numerator=np.where(assessed, column("gate_a_numerator"), np.nan),
        denominator=column("gate_a_denominator", 1.0),
        indicator_group=pd.factorize(indicator)[0],
        region_group=region_group,
        national_numerator=column("gate_a_national_numerator", 0.0),
        national_denominator=column("gate_a_national_denominator", 1.0),
        regional_numerator=column("gate_a_regional_numerator", 0.0),
        regional_denominator=column("gate_a_regional_denominator", 1.0),
        gate_a_pass=group["gate_a_pass"].to_numpy(dtype=bool),
        draw_ranks=ranks,
        rank=pd.to_numeric(scored["rank"], errors="coerce").to_numpy(dtype="float64"),
        score=pd.to_numeric(scored["score"], errors="coerce").to_numpy(dtype="float64"),
        need_score=need,
        population=np.nan_to_num(pop, nan=0.0),
        grace_possible=grace,
        held_factor=held,
        pool_cents=pool,
        budget_cents=budget,
    )


# What the fund's years carry from eligibility besides the reasons: the gates' band factors (for
# the reason's band clause) and the spread of the amount over the draws.
_CARRIED = ("gate_a_band_factor", "gate_b_band_factor", "amount_p05_cents", "amount_p50_cents", "amount_p95_cents")

_YEARS_COLUMNS = [
    "nis_code", "year", "eligible", "status", "in_fund", "years_outside", "grace_year", "grace_years",
    "amount_cents", "guarantee_cents", "paid_cents", "weight", "need_intensity", "rank_coefficient", "band_factor",
    "bound", "pool_cents", "budget_cents",
]


def _simulate(eligibility: pd.DataFrame, index: pd.DataFrame, population: pd.DataFrame, rules: fund.FundRules) -> pd.DataFrame:
    """The transition rules and the allocation over the computed years, without the reasons."""
    eligibility, index, population = map(in_key_order, (eligibility, index, population))
    columns = [c for c in ("nis_code", "year", "score", "rank", "score_fixed_goalposts") if c in index.columns]
    scored = index.loc[index["score"].notna(), columns]
    pop = population.rename(columns={"value": "population"})[["nis_code", "year", "population"]]
    frame = scored.merge(pop, on=["nis_code", "year"], how="left")
    runs = split_into_runs(eligibility["year"].unique())
    if not runs:
        return pd.DataFrame(columns=_YEARS_COLUMNS)
    history = eligibility[[c for c in ("nis_code", "year", "eligible", "band_factor") if c in eligibility.columns]]
    return pd.concat(
        [fund.simulate_years(history.loc[history["year"].isin(run)], frame, rules) for run in runs], ignore_index=True
    )


def fund_years(
    eligibility: pd.DataFrame,
    index: pd.DataFrame,
    population: pd.DataFrame,
    rules: fund.FundRules,
    *,
    simulated: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The transition rules and the allocation over the computed years (METHOD.md section 4);
    each run of consecutive years is simulated on its own (a year without a fund breaks the
    count of years outside the gates). Each commune-year carries the spread of its amount over
    the draws and the reasons in words. ``simulated``: the simulation
    ``fund_eligibility_and_simulation`` ran on these frames, when the caller has it."""
    years = _simulate(eligibility, index, population, rules) if simulated is None else simulated
    if years.empty:
        # No year has a fund: the published tables still have every column, and no row.
        return years.reindex(columns=[*_YEARS_COLUMNS, *_CARRIED, "reason_en", "reason_fr", "reason_nl"])
    return with_reasons(years, eligibility, rules)


def with_reasons(years: pd.DataFrame, eligibility: pd.DataFrame, rules: fund.FundRules) -> pd.DataFrame:
    """Each commune-year's full reason per language: the gates' verdict, then what the fund does
    with the commune and what it pays (entering, in the fund, staying in grace year k of n,
    leaving with its guarantee, out), so that a paid amount always has its reason beside it."""
    langs = [lang for lang in fund.LANGS if f"reason_{lang}" in eligibility.columns]
    carried = [c for c in _CARRIED if c in eligibility.columns]
    gates = eligibility[["nis_code", "year", *carried, *(f"reason_{lang}" for lang in langs)]]
    merged = years.merge(gates, on=["nis_code", "year"], how="left")
    records = merged.to_dict("records")
    for lang in langs:
        merged[f"reason_{lang}"] = [
            f"{row[f'reason_{lang}']} {fund.status_sentence(row, rules, lang)}" for row in records
        ]
    return merged


EXIT_GUARANTEE_LINE = "exit_guarantee"


def fund_lines(years: pd.DataFrame, needs_profile: pd.DataFrame, rules: fund.FundRules) -> pd.DataFrame:
    """Each year's formula amounts split into the rules' budget lines, exact to the cent per
    commune and line, and each exit guarantee as a row of its own (budget line
    ``exit_guarantee``): guarantees come off the budget before the formula, so the line shares
    apply to what the formula shares out."""
    years, needs_profile = in_key_order(years), in_key_order(needs_profile)
    parts = []
    for year, group in years.groupby("year", sort=True):
        formula = group.loc[group["amount_cents"] > 0, ["nis_code", "amount_cents"]]
        if not formula.empty:
            profile = needs_profile.loc[needs_profile["year"] == year].drop(columns="year")
            parts.append(fund.split_budget_lines(formula, profile, rules).assign(year=int(year)))
        guarantees = group.loc[group["guarantee_cents"] > 0, ["nis_code", "guarantee_cents"]]
        if not guarantees.empty:
            parts.append(
                guarantees.rename(columns={"guarantee_cents": "amount_cents"}).assign(
                    year=int(year), budget_line=EXIT_GUARANTEE_LINE, needs_driver="last_grant"
                )
            )
    columns = ["nis_code", "year", "budget_line", "needs_driver", "amount_cents"]
    if not parts:
        return pd.DataFrame(columns=columns)
    return pd.concat(parts, ignore_index=True)[columns]
