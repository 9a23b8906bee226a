"""The index and the fund as two stages, each computed once per run: a stage takes the frames it
reads from the working database and returns every table it writes (name -> frame), so that the
published SQL models select from them and no kernel runs twice (orchestration/defs/index.py and
fund.py read and write the database; nothing here knows about Dagster or DuckDB).

The index stage draws the Monte Carlo ranks once: they give ``index_uncertainty`` and, kept as
``index_draws``, the fund's probability of eligibility when the fund ranks communes with the
national index.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd

from kernels import fund, warehouse
from kernels.audit import audit
from kernels.editions import EditionPlan
from kernels.explain import explain_by_language
from kernels.methodology import NATIONAL_SCOPE, Methodology
from kernels.sensitivity import run_sensitivity
from kernels.uncertainty import UncertaintyResult

INDEX_TABLES = (
    "index_editions_plan", "index_cohesion", "index_domains", "index_contributions", "index_treatments",
    "index_explanations", "index_regional", "index_uncertainty", "index_draws", "index_sensitivity", "index_sobol",
    "index_audit",
)
FUND_TABLES = ("fund_editions_calc", "fund_eligibility_calc", "fund_years", "fund_lines")

# The language each explanation names a commune in (English uses the French name).
_NAME_COLUMN = {"fr": "name_fr", "nl": "name_nl", "en": "name_fr"}


def index_tables(
    commune_indicators: pd.DataFrame,
    communes: pd.DataFrame,
    population: pd.DataFrame,
    m: Methodology,
    *,
    workers: int = 1,
) -> dict[str, pd.DataFrame]:
    """Every table of the index stage (dbt_project/models/index/_index_stage.yml describes each):
    ``commune_indicators`` (indicators_commune_indicators), ``communes`` (stg_reference__communes)
    and ``population`` (index_inputs) as the working database holds them.

    With ``workers`` > 1 the Monte Carlo draws run on threads of their own (that many, a year
    each at a time) beside the rest of the stage: they are numpy work that releases the GIL,
    the rest is mostly pandas and Python. The tables are the same either way."""
    plan = warehouse.edition_plan(commune_indicators, communes, m)
    inputs = warehouse.index_inputs(commune_indicators, communes, population, m, plan=plan)
    if workers > 1:
        with ThreadPoolExecutor(max_workers=1) as background:
            # The draws get frames of their own: pandas does not promise that two threads may
            # read one frame at once.
            own = warehouse.IndexInputs(inputs.indicators.copy(), inputs.communes.copy(), inputs.population.copy())
            pending = background.submit(warehouse.run_draws, own, m, workers)
            tables = _nominal_tables(commune_indicators, communes, population, m, plan, inputs)
            draws = pending.result()
    else:
        tables = _nominal_tables(commune_indicators, communes, population, m, plan, inputs)
        draws = warehouse.run_draws(inputs, m)
    tables["index_uncertainty"] = draws.ranks.assign(methodology_version=m.version)
    tables["index_draws"] = draws_frame(draws)
    return {name: tables[name] for name in INDEX_TABLES}


def _nominal_tables(
    commune_indicators: pd.DataFrame,
    communes: pd.DataFrame,
    population: pd.DataFrame,
    m: Methodology,
    plan: EditionPlan,
    inputs: warehouse.IndexInputs,
) -> dict[str, pd.DataFrame]:
    """The index stage's tables but the two of the Monte Carlo draws."""
    result = warehouse.run_index(inputs, m)
    sensitivity = run_sensitivity(inputs.indicators, inputs.communes, m, population=inputs.population)
    version = {"methodology_version": m.version}
    cohesion = result.index.assign(**version)
    domains = result.domains.assign(**version)
    values = result.indicator_values.assign(**version)
    names = {
        lang: dict(zip(communes["nis_code"].astype(str), communes[column], strict=True))
        for lang, column in _NAME_COLUMN.items()
    }
    explanations = explain_by_language(result, m, names, reference_periods=warehouse.reference_periods(plan))
    regional = warehouse.regional_index(commune_indicators, communes, population, m, plan)
    coherence = audit(*map(warehouse.in_key_order, (values, domains, cohesion)), m)
    return {
        "index_editions_plan": plan.plan.assign(base_year=m.base_year, **version),
        "index_cohesion": cohesion,
        "index_domains": domains,
        "index_contributions": result.contributions.assign(**version),
        "index_treatments": result.treatments.assign(**version),
        "index_explanations": explanations.assign(**version),
        "index_regional": regional,
        "index_sensitivity": sensitivity.one_at_a_time.assign(**version),
        "index_sobol": sensitivity.sobol.assign(**version),
        "index_audit": coherence.assign(**version),
    }


def draws_frame(draws: UncertaintyResult) -> pd.DataFrame:
    """The Monte Carlo ranks, one row per commune and edition year: ``ranks`` lists the commune's
    rank in each draw, in draw order (the fund pairs draw k of the index with its own draw k)."""
    frames = [
        pd.DataFrame(
            {
                "nis_code": np.asarray(d.nis_codes).astype(str),
                "year": int(year),
                "ranks": list(np.ascontiguousarray(d.ranks.T).astype("int32")),
            }
        )
        for year, d in draws.draws.items()
    ]
    if not frames:
        return pd.DataFrame({"nis_code": pd.Series(dtype=str), "year": pd.Series(dtype="int64"), "ranks": []})
    return pd.concat(frames, ignore_index=True)


def draws_from_frame(frame: pd.DataFrame) -> dict[int, warehouse.DrawRanks]:
    """``index_draws`` as the fund reads it: per year, the communes and their (draws x communes) ranks."""
    out = {}
    for year, group in frame.groupby("year", sort=True):
        ranks = np.stack([np.asarray(r, dtype="int32") for r in group["ranks"]], axis=1)
        out[int(year)] = warehouse.DrawRanks(group["nis_code"].astype(str).to_numpy(), ranks)
    return out


def fund_tables(
    commune_indicators: pd.DataFrame,
    communes: pd.DataFrame,
    population: pd.DataFrame,
    needs_profile: pd.DataFrame,
    index: Mapping[str, pd.DataFrame],
    rules: fund.FundRules,
    m: Methodology,
    *,
    workers: int = 1,
) -> dict[str, pd.DataFrame]:
    """Every table of the fund stage, from the index stage's ``index_cohesion``, ``index_regional``
    and ``index_draws`` (``index``). The index's draws serve the fund when it ranks communes with
    the national index; a regional ranking draws that region's index (the index stage has none).
    ``workers``: threads that draw different years at once (the same tables either way)."""
    # Sorted once here: fund_plan and fund_eligibility each put it in key order, and a frame
    # already in that order sorts again in no time (66,000 rows of Arrow strings take 0.15 s).
    commune_indicators = warehouse.in_key_order(commune_indicators)
    plan, index_scope = warehouse.fund_plan(
        commune_indicators, communes, index["index_cohesion"], index["index_regional"], rules, m
    )
    years = [int(y) for y in plan.loc[plan["computed"].astype(bool), "year"]]
    ranking = warehouse.fund_index(index["index_cohesion"], index["index_regional"], index_scope)
    draws = None
    if years and index_scope == NATIONAL_SCOPE:
        draws = draws_from_frame(index["index_draws"])
    elif years:
        draws = warehouse.draws_result(commune_indicators, communes, population, scope=index_scope, m=m, workers=workers)
    # The nominal simulation that spreads the amounts over the draws is the fund's years: run once.
    eligibility, simulated = warehouse.fund_eligibility_and_simulation(
        commune_indicators, communes, ranking, draws, rules, years=years, population=population, workers=workers
    )
    allocation = warehouse.fund_years(eligibility, ranking, population, rules, simulated=simulated)
    version = {"rules_version": rules.version}
    return {
        "fund_editions_calc": plan.assign(**version),
        "fund_eligibility_calc": eligibility.assign(**version),
        "fund_years": allocation.assign(**version),
        "fund_lines": warehouse.fund_lines(allocation, needs_profile, rules).assign(**version),
    }
