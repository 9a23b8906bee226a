"""The fund stage: one multi-asset that reads its inputs (the indicators, the communes, the
population, the needs profile, and the index stage's index, regional supplements and draws) from
the working database once, computes eligibility, transitions, allocation and budget lines once
(kernels/stages.py), and writes every table into schema ``fund``, read by the published SQL
models as the dbt source ``fund`` (dbt_project/models/fund/_fund_stage.yml)."""

import time

import dagster as dg
from dagster_duckdb import DuckDBResource

from kernels import stages
from orchestration.defs.index import STAGE_WORKERS, materializations, stage_spec
from orchestration.resources import MethodFiles
from orchestration.warehouse import read_table, replace_tables

INPUTS = {
    "commune_indicators": ("indicators", "indicators_commune_indicators"),
    "communes": ("staging", "stg_reference__communes"),
    "population": ("index", "index_inputs"),
    "needs_profile": ("fund", "fund_needs_profile"),
}
# The index stage's tables the fund reads.
INDEX_INPUTS = ("index_cohesion", "index_regional", "index_draws")
INPUT_KEYS = [dg.AssetKey(list(location)) for location in INPUTS.values()] + [
    dg.AssetKey(["index", table]) for table in INDEX_INPUTS
]
SCHEMA = "fund"


@dg.multi_asset(name="fund_stage", specs=[stage_spec(SCHEMA, t, INPUT_KEYS) for t in stages.FUND_TABLES])
def fund_stage(context: dg.AssetExecutionContext, duckdb: DuckDBResource, method_files: MethodFiles):
    m = method_files.load_methodology()
    rules = method_files.load_fund_rules()
    with duckdb.get_connection() as con:
        frames = {name: read_table(con, schema, table) for name, (schema, table) in INPUTS.items()}
        index = {table: read_table(con, "index", table) for table in INDEX_INPUTS}
    started = time.perf_counter()
    tables = stages.fund_tables(**frames, index=index, rules=rules, m=m, workers=STAGE_WORKERS)
    seconds = time.perf_counter() - started
    with duckdb.get_connection() as con:
        replace_tables(con, SCHEMA, tables)
    years = tables["fund_editions_calc"]
    computed = sorted(int(y) for y in years.loc[years["computed"].astype(bool), "year"])
    context.log.info(f"fund {rules.version} ({method_files.fund_rules_path()}): years {computed} in {seconds:.1f} s")
    yield from materializations(SCHEMA, tables, seconds, rules_version=rules.version, computed_years=str(computed))
