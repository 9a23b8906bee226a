"""The index stage: one multi-asset that reads its three input tables from the working database
once, computes the index, its Monte Carlo draws, sensitivity and audit once (kernels/stages.py),
and writes every table into schema ``index``. The published SQL models read them as the dbt
source ``index`` (dbt_project/models/index/_index_stage.yml, whose tests run in the published
dbt build); the asset keys equal that source's, so the graph runs upstream dbt -> index -> fund
-> published dbt."""

import os
import time

import dagster as dg
from dagster_duckdb import DuckDBResource

from kernels import stages
from orchestration.resources import MethodFiles
from orchestration.warehouse import read_table, replace_tables

# The stage's inputs: argument of kernels.stages.index_tables -> (schema, table).
INPUTS = {
    "commune_indicators": ("indicators", "indicators_commune_indicators"),
    "communes": ("staging", "stg_reference__communes"),
    "population": ("index", "index_inputs"),
}
INPUT_KEYS = [dg.AssetKey(list(location)) for location in INPUTS.values()]
SCHEMA = "index"
# Threads a stage computes on (COHESION_STAGE_WORKERS, at most the machine's cores): with two, the
# Monte Carlo draws of different years run beside each other and beside the rest of the stage
# (numpy releases the GIL). One by default: on the 2-core machine two saved about 2 s of a sample
# run and added about 100 MB to its peak (832 MB against 736 in the index stage), above the 800 MB
# target. The tables are the same either way (tests/unit/test_stages.py).
def _stage_workers() -> int:
    text = os.environ.get("COHESION_STAGE_WORKERS", "1").strip()
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"COHESION_STAGE_WORKERS must be a whole number of threads, at least 1; it is {text!r}")
    return min(int(text), os.cpu_count() or 1)


STAGE_WORKERS = _stage_workers()


def stage_spec(schema: str, table: str, deps: list[dg.AssetKey]) -> dg.AssetSpec:
    return dg.AssetSpec(
        key=[schema, table],
        group_name=schema,
        deps=deps,
        kinds={"python", "duckdb"},
        description=f"Table {schema}.{table} of the {schema} stage (kernels/stages.py); its grain and columns are "
        f"described by the dbt source {schema} (dbt_project/models/{schema}/_{schema}_stage.yml).",
    )


def materializations(schema: str, tables: dict, seconds: float, **metadata) -> list[dg.MaterializeResult]:
    return [
        dg.MaterializeResult(
            asset_key=[schema, name],
            metadata={"rows": len(frame), "stage_seconds": round(seconds, 2), **metadata},
        )
        for name, frame in tables.items()
    ]


@dg.multi_asset(name="index_stage", specs=[stage_spec(SCHEMA, t, INPUT_KEYS) for t in stages.INDEX_TABLES])
def index_stage(context: dg.AssetExecutionContext, duckdb: DuckDBResource, method_files: MethodFiles):
    m = method_files.load_methodology()
    with duckdb.get_connection() as con:
        frames = {name: read_table(con, schema, table) for name, (schema, table) in INPUTS.items()}
    started = time.perf_counter()
    tables = stages.index_tables(**frames, m=m, workers=STAGE_WORKERS)
    seconds = time.perf_counter() - started
    with duckdb.get_connection() as con:
        replace_tables(con, SCHEMA, tables)
    context.log.info(f"index {m.version} ({method_files.methodology_path()}): {len(tables)} tables in {seconds:.1f} s")
    yield from materializations(SCHEMA, tables, seconds, methodology_version=m.version)
