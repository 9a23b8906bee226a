"""The glue between the warehouse's tables and the kernels, shared by the dbt Python models of
``models/index`` and ``models/fund`` and by the ``cohesion explain`` and ``whatif`` commands.

Each function takes the frames a dbt model reads (``commune_indicators``, the commune reference,
the harmonised population) and returns the frames it writes; config files are found through
``COHESION_CONFIG_DIR`` (default: the repository's ``config/``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cohesion_kernels import fund
from cohesion_kernels.index import IndexResult, compute_index
from cohesion_kernels.methodology import Methodology, load_methodology
from cohesion_kernels.uncertainty import UncertaintyResult, run_uncertainty

_REPO_CONFIG = Path(__file__).resolve().parents[3] / "config"


def config_file(name: str) -> Path:
    return Path(os.environ.get("COHESION_CONFIG_DIR") or _REPO_CONFIG) / name


def methodology(path: str | Path | None = None) -> Methodology:
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
    indicators: pd.DataFrame  # nis_code, year, indicator, value, numerator, denominator
    communes: pd.DataFrame  # nis_code, arrondissement_code
    population: pd.DataFrame  # nis_code, year, population


def index_inputs(
    commune_indicators: pd.DataFrame, communes: pd.DataFrame, population: pd.DataFrame, m: Methodology
) -> IndexInputs:
    """Keep the methodology's indicators and the columns the index kernel reads."""
    commune_indicators, communes, population = map(in_key_order, (commune_indicators, communes, population))
    wanted = {i.id for i in m.indicators}
    rows = commune_indicators.loc[commune_indicators["indicator"].isin(wanted)]
    indicators = rows[["nis_code", "year", "indicator", "value", "numerator", "denominator"]].copy()
    indicators["nis_code"] = indicators["nis_code"].astype(str)
    indicators["year"] = indicators["year"].astype(int)
    population = population.rename(columns={"value": "population"})[["nis_code", "year", "population"]].copy()
    population["nis_code"] = population["nis_code"].astype(str)
    population["year"] = population["year"].astype(int)
    communes = communes[["nis_code", "arrondissement_code"]].astype(str)
    return IndexInputs(indicators.reset_index(drop=True), communes, population)


def run_index(inputs: IndexInputs, m: Methodology) -> IndexResult:
    return compute_index(inputs.indicators, inputs.communes, m, population=inputs.population)


def run_draws(inputs: IndexInputs, m: Methodology) -> UncertaintyResult:
    return run_uncertainty(inputs.indicators, inputs.communes, m, population=inputs.population)


def index_result(commune_indicators: pd.DataFrame, communes: pd.DataFrame, population: pd.DataFrame) -> IndexResult:
    """The index under the current methodology file, from the three frames the index models read
    (dbt must see each model's `dbt.ref` calls in its own source, so the models pass frames)."""
    m = methodology()
    return run_index(index_inputs(commune_indicators, communes, population, m), m)


def draws_result(commune_indicators: pd.DataFrame, communes: pd.DataFrame, population: pd.DataFrame) -> UncertaintyResult:
    """The Monte Carlo draws under the current methodology file (seeded: the same every run)."""
    m = methodology()
    return run_draws(index_inputs(commune_indicators, communes, population, m), m)


def fund_eligibility(
    commune_indicators: pd.DataFrame,
    communes: pd.DataFrame,
    index: pd.DataFrame,
    draws: UncertaintyResult | None,
    rules: fund.FundRules,
) -> pd.DataFrame:
    """Per commune and year: both gates with value, threshold and result, eligibility, its
    probability over the index's uncertainty draws, and the reason in words (EN and FR)."""
    commune_indicators, communes, index = map(in_key_order, (commune_indicators, communes, index))
    regions = communes[["nis_code", "region_code"]].astype(str)
    indicators = commune_indicators.merge(regions, on="nis_code", how="left")
    frame = fund.eligibility(indicators, index[["nis_code", "year", "rank"]], rules)
    frame["eligibility_probability"] = np.nan
    if draws is not None:
        for year, year_draws in draws.draws.items():
            in_year = frame["year"] == year
            codes = pd.Index(year_draws.nis_codes.astype(str))
            gate_a = frame.loc[in_year].set_index("nis_code")["gate_a_pass"]
            ranks = year_draws.ranks.T  # draws x communes -> communes x draws
            passes = gate_a.reindex(codes).fillna(False).to_numpy(dtype=bool)
            probability = pd.Series(fund.eligibility_probability(ranks, passes, rules), index=codes)
            frame.loc[in_year, "eligibility_probability"] = (
                frame.loc[in_year, "nis_code"].map(probability).fillna(0.0).to_numpy()
            )
    frame["borderline"] = fund.borderline(frame["eligibility_probability"].to_numpy(dtype=float), rules)
    return frame


def fund_years(eligibility: pd.DataFrame, index: pd.DataFrame, population: pd.DataFrame, rules: fund.FundRules) -> pd.DataFrame:
    """The transition rules and the allocation run over every year (METHOD.md section 4)."""
    eligibility, index, population = map(in_key_order, (eligibility, index, population))
    scored = index.loc[index["score"].notna(), ["nis_code", "year", "score", "rank"]]
    pop = population.rename(columns={"value": "population"})[["nis_code", "year", "population"]]
    frame = scored.merge(pop, on=["nis_code", "year"], how="left")
    return fund.simulate_years(eligibility[["nis_code", "year", "eligible"]], frame, rules)


def fund_lines(years: pd.DataFrame, needs_profile: pd.DataFrame, rules: fund.FundRules) -> pd.DataFrame:
    """Each year's paid amounts split into budget lines, exact to the cent per commune and line."""
    years, needs_profile = in_key_order(years), in_key_order(needs_profile)
    parts = []
    for year, group in years.groupby("year", sort=True):
        paid = group.loc[group["paid_cents"] > 0, ["nis_code", "paid_cents"]].rename(columns={"paid_cents": "amount_cents"})
        if paid.empty:
            continue
        profile = needs_profile.loc[needs_profile["year"] == year].drop(columns="year")
        lines = fund.split_budget_lines(paid, profile, rules)
        parts.append(lines.assign(year=int(year)))
    if not parts:
        return pd.DataFrame(columns=["nis_code", "year", "budget_line", "needs_driver", "amount_cents"])
    return pd.concat(parts, ignore_index=True)
