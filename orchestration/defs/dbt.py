"""Every dbt model as an asset and every dbt test as a check, run as one `dbt build` stream.

`dbt build` runs a model's tests right after the model and skips everything downstream of a
failing test, and the step fails, so the publish asset never runs after a failed test.
"""


import os
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets
from dagster_duckdb import DuckDBResource

from orchestration.settings import DBT_PROJECT_DIR

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
    yield from dbt.cli(dbt_build_args(), context=context).stream()
