"""The resources every asset uses; the one place where their configuration is decided."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource
from dagster_duckdb import DuckDBResource

from ingestion.settings import DBT_PROJECT_DIR


def dbt_executable() -> str:
    """`cohesion-dbt` beside this Python: dbt in a process group of its own that ends with the run
    (orchestration/dbt_process.py). An install that predates it falls back to plain dbt."""
    wrapper = Path(sys.executable).with_name("cohesion-dbt")
    if wrapper.exists():
        return str(wrapper)
    beside = Path(sys.executable).with_name("dbt")
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")


def build_resources() -> dict[str, object]:
    # The working database is read from the environment when a run starts, not when the code
    # location is imported (`cohesion` sets COHESION_WAREHOUSE from COHESION_DATA_DIR).
    return {
        "duckdb": DuckDBResource(database=dg.EnvVar("COHESION_WAREHOUSE")),
        "dbt": DbtCliResource(
            project_dir=str(DBT_PROJECT_DIR), profiles_dir=str(DBT_PROJECT_DIR), dbt_executable=dbt_executable()
        ),
    }
