"""The index and the fund as two stages, each computed once per run: a stage takes the frames it
reads from the working database and returns every table it writes (name -> frame), so that the
published SQL models select from them and no kernel runs twice (orchestration/defs/index.py and
fund.py read and write the database; nothing here knows about Dagster or DuckDB).

The index stage draws the Monte Carlo ranks once: they give ``index_uncertainty`` and, kept as
``index_draws``, the fund's probability of eligibility when the fund ranks communes with the
national index.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import numpy as np
import pandas as pd

from kernels import fund, sensitivity, uncertainty, warehouse
from kernels.audit import audit
from kernels.editions import EditionPlan
from kernels.explain import explain_by_language
from kernels.methodology import NATIONAL_SCOPE, Methodology
from kernels.prepare import prepare_years
from kernels.sensitivity import SensitivityResult, run_sensitivity
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

    With ``workers`` > 1, that many threads share the stage's work (``_on_threads``); the
    tables are the same either way."""
    plan = warehouse.edition_plan(commune_indicators, communes, m)
    inputs = warehouse.index_inputs(commune_indicators, communes, population, m, plan=plan)
    nominal = partial(_nominal_tables, commune_indicators, communes, population, m, plan, inputs)
    if workers > 1:
        tables, draws, analysis = _on_threads(nominal, inputs, m, workers)
    else:
        tables = nominal()
        draws = warehouse.run_draws(inputs, m)
        analysis = run_sensitivity(inputs.indicators, inputs.communes, m, population=inputs.population)
    version = {"methodology_version": m.version}
    tables["index_uncertainty"] = draws.ranks.assign(**version)
    tables["index_draws"] = draws_frame(draws)
    tables["index_sensitivity"] = analysis.one_at_a_time.assign(**version)
    tables["index_sobol"] = analysis.sobol.assign(**version)
    return {name: tables[name] for name in INDEX_TABLES}


def _on_threads(
    nominal: Callable[[], dict[str, pd.DataFrame]], inputs: warehouse.IndexInputs, m: Methodology, workers: int
) -> tuple[dict[str, pd.DataFrame], UncertaintyResult, SensitivityResult]:
    """The stage's work as one queue of tasks for ``workers`` threads: ``nominal``, the index with
    its explanations, regional supplements and audit (the longest task, mostly pandas and Python,
    first), then each year's Monte Carlo draws, then each year's sensitivity analysis (numpy,
    which releases the GIL). Each year's draws and analysis depend on that year's data, the seed
    and the year alone, so they are the same computed in any order, and are put together in
    year order. Only the first task reads the input frames; the others read the years' arrays,
    prepared here beforehand (pandas does not promise that two threads may read one frame)."""
    years = prepare_years(inputs.indicators, inputs.communes, m, inputs.population)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        tables = pool.submit(nominal)
        draws = [
            pool.submit(uncertainty.year_draws, year, data, m, m.uncertainty.draws, m.uncertainty.seed)
            for year, data in years.items()
        ]
        analysis = [pool.submit(sensitivity.year_sensitivity, year, data, m) for year, data in years.items()]
        return (
            tables.result(),
            uncertainty.combine([task.result() for task in draws]),
            sensitivity.combine([task.result() for task in analysis]),
        )


def _nominal_tables(
    commune_indicators: pd.DataFrame,
    communes: pd.DataFrame,
    population: pd.DataFrame,
    m: Methodology,
    plan: EditionPlan,
    inputs: warehouse.IndexInputs,
) -> dict[str, pd.DataFrame]:
    """The index stage's tables but the Monte Carlo draws' and the sensitivity analysis'."""
    result = warehouse.run_index(inputs, m)
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
