"""The dbt project as two `dbt build` streams, with the index and fund stages between them
(orchestration/defs/index.py, fund.py; the dagster-open-platform selector pattern):

- ``cohesion_dbt_upstream``: seeds, staging, harmonised, indicators, ``index_inputs`` and
  ``fund_needs_profile``, and their tests: everything the stages read;
- ``cohesion_dbt_published``: the published models, which read the stages' tables as the dbt
  sources ``index`` and ``fund``, their tests and the sources' tests (``source:index+``).

Each stream is one `dbt build`: a model's tests run right after the model and everything
downstream of a failing test is skipped, and the step fails, so nothing after it runs (a failed
upstream test stops the stages; a failed published or source test stops the publish assets). A
failed test's result carries its first failing rows (the test's own query, run again once dbt is
done), so the run report shows what failed, not only that it did.

dbt runs inside the run's process (orchestration/dbt_runner.py), on the project parsed once.
"""


from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtProject, dbt_assets
from dagster_duckdb import DuckDBResource

from orchestration.dbt_results import build_problem, with_failing_rows
from orchestration.dbt_runner import DbtInProcess
from ingestion.settings import DBT_PROJECT_DIR

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
dbt_project.prepare_if_dev()


# The dbt sources written by the index and fund stages (schema = source name).
STAGE_SOURCES = ("index", "fund")
# What the second stream builds: the published models and whatever reads the stages' tables, with
# their tests; the first stream builds everything else.
PUBLISHED_SELECTION = " ".join(["path:models/published", *(f"source:{name}+" for name in STAGE_SOURCES)])


class CohesionTranslator(DagsterDbtTranslator):
    """Asset keys that read like the data flow: raw/<table> for the raw sources, <stage>/<table>
    for the index and fund stages' tables (the keys of their multi-assets), <layer>/<model>."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            # The stages' tables are the assets of orchestration/defs/index.py and fund.py.
            if dbt_resource_props["source_name"] in STAGE_SOURCES:
                return dg.AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
            return dg.AssetKey(["raw", dbt_resource_props["name"]])
        # The alias is the table's name in the database (published tables keep their public name).
        name = dbt_resource_props.get("alias") or dbt_resource_props["name"]
        return dg.AssetKey([layer_of(dbt_resource_props), name])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "source":
            return dbt_resource_props["source_name"] if dbt_resource_props["source_name"] in STAGE_SOURCES else "raw"
        return layer_of(dbt_resource_props)


def layer_of(dbt_resource_props: Mapping[str, Any]) -> str:
    """The model's folder under models/ (staging, harmonised, ...); seeds are 'reference'."""
    if dbt_resource_props["resource_type"] == "seed":
        return "reference"
    fqn = dbt_resource_props.get("fqn") or []
    return fqn[1] if len(fqn) > 2 else "models"


TRANSLATOR = CohesionTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=TRANSLATOR,
    select="fqn:*",
    exclude=PUBLISHED_SELECTION,
)
def cohesion_dbt_upstream(context: dg.AssetExecutionContext, dbt: DbtInProcess, duckdb: DuckDBResource):
    yield from dbt_build(context, dbt, duckdb)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=TRANSLATOR,
    select=PUBLISHED_SELECTION,
)
def cohesion_dbt_published(context: dg.AssetExecutionContext, dbt: DbtInProcess, duckdb: DuckDBResource):
    yield from dbt_build(context, dbt, duckdb)


def dbt_build(context: dg.AssetExecutionContext, dbt: DbtInProcess, duckdb: DuckDBResource) -> Iterator:
    """One `dbt build` of the asset definition's selection; a failed test or model raises
    ``dg.Failure`` once dbt is done (after the failed checks, with their failing rows)."""
    # One target folder per data folder (one run at a time holds it): compiled SQL, dbt's log and
    # run_results.json, beside the working database instead of under dbt_project/target.
    target = Path(duckdb.database).parent / "dbt-target"
    # dbt's unit tests check the models' SQL on fixed rows, not the data: `make test` runs them
    # (tests/unit/test_dbt_project.py), every run need not.
    events, build = dbt.build(context, duckdb.database, target, exclude_resource_types=("unit_test",))
    failed: list[dg.AssetCheckResult] = []
    for event in events:
        if isinstance(event, dg.AssetCheckResult) and not event.passed:
            failed.append(event)  # yielded below, with its failing rows
        else:
            yield event
    with duckdb.get_connection() as con:
        for check in failed:
            yield with_failing_rows(check, build.results, con)
    problem = build_problem(build.results)
    if problem is None and not build.success:
        problem = f"dbt build did not finish: {build.error or 'no result was recorded'}"
    if problem is not None:
        raise dg.Failure(description=problem)
