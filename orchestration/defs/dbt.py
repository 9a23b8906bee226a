"""Every dbt model as an asset and every dbt test as a check, run as one `dbt build` stream.

`dbt build` runs a model's tests right after the model and skips everything downstream of a
failing test, and the step fails, so the publish asset never runs after a failed test. A failed
test's result carries its first failing rows (the test's own query, run again once dbt is done),
so the run report shows what failed, not only that it did.

dbt runs as `cohesion-dbt` (orchestration/dbt_process.py): in a process group of its own, killed
by the kernel if the run dies; and the step ends that group whatever way it ends itself.
"""


import os
import signal
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets
from dagster_duckdb import DuckDBResource

from orchestration.dbt_process import PARENT_ENV
from orchestration.dbt_results import build_problem, run_results, with_failing_rows
from ingestion.settings import DBT_PROJECT_DIR

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
dbt_project.prepare_if_dev()


class CohesionTranslator(DagsterDbtTranslator):
    """Asset keys that read like the data flow: raw/<table> for sources, <layer>/<model>."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey(["raw", dbt_resource_props["name"]])
        # The alias is the table's name in the database (published tables keep their public name).
        name = dbt_resource_props.get("alias") or dbt_resource_props["name"]
        return dg.AssetKey([layer_of(dbt_resource_props), name])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "source":
            return "raw"
        return layer_of(dbt_resource_props)


def layer_of(dbt_resource_props: Mapping[str, Any]) -> str:
    """The model's folder under models/ (staging, harmonised, ...); seeds are 'reference'."""
    if dbt_resource_props["resource_type"] == "seed":
        return "reference"
    fqn = dbt_resource_props.get("fqn") or []
    return fqn[1] if len(fqn) > 2 else "models"


def dbt_build_args() -> list[str]:
    """`build` runs seeds, models and tests in dependency order; one stream for the whole graph."""
    return ["build"]


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=CohesionTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True)),
)
def cohesion_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, duckdb: DuckDBResource):
    # dbt's profile reads the working database path from the environment; the DuckDB resource
    # is the single place that decides it.
    os.environ["COHESION_WAREHOUSE"] = duckdb.database
    os.environ[PARENT_ENV] = str(os.getpid())  # cohesion-dbt dies with this process
    # One target folder per data folder (one run at a time holds it): dbt's partial parse carries
    # over from run to run, and runs no longer leave a 12 MB folder each under dbt_project/target.
    target = Path(duckdb.database).parent / "dbt-target"
    invocation = dbt.cli(dbt_build_args(), context=context, raise_on_error=False, target_path=target)
    failed: list[dg.AssetCheckResult] = []
    try:
        for event in invocation.stream():
            if isinstance(event, dg.AssetCheckResult) and not event.passed:
                failed.append(event)  # yielded below, with its failing rows, once dbt is done
            else:
                yield event
    finally:
        end_process_group(invocation.process)
    results = run_results(invocation)
    with duckdb.get_connection() as con:
        for check in failed:
            yield with_failing_rows(check, results, con)
    problem = build_problem(results)
    if problem is None and invocation.process.returncode:
        error = invocation.get_error()
        detail = " ".join(str(error).split())[:300] if error is not None else "no result was recorded"
        problem = f"dbt build ended with exit code {invocation.process.returncode}: {detail}"
    if problem is not None:
        raise dg.Failure(description=problem)


def end_process_group(process) -> None:
    """End dbt's process group if it still runs (the run failed or was interrupted): SIGTERM, then
    SIGKILL after 10 s. dbt is the leader of its own group (cohesion-dbt)."""
    if process.poll() is not None:
        return
    try:
        group = os.getpgid(process.pid)
    except ProcessLookupError:
        return
    if group == os.getpgid(0):
        process.terminate()  # plain dbt, sharing our group: only the process itself
    else:
        os.killpg(group, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except Exception:  # still there after 10 s
        if group != os.getpgid(0):
            os.killpg(group, signal.SIGKILL)
        else:
            process.kill()
        process.wait()
