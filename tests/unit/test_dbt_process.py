"""The pipeline's dbt runs in the working database's folder and names it by its file name, so that
dbt's parse of the project is the same in every data folder (an absolute path in the profile made
every new data folder a changed profile, hence a full re-parse)."""

from __future__ import annotations

from orchestration.dbt_process import DATABASE_ENV, in_warehouse_folder


def test_dbt_runs_in_the_warehouse_folder_with_the_database_named_by_its_file_name():
    environ = {
        "COHESION_WAREHOUSE": "/data/a/warehouse.duckdb",
        "DBT_TARGET_PATH": "/data/a/dbt-target",
        "DBT_LOG_PATH": "logs",
        "DBT_PROFILES_DIR": ".",
    }
    folder = in_warehouse_folder(environ, "/repo/dbt_project")
    assert folder == "/data/a"
    assert environ[DATABASE_ENV] == "warehouse.duckdb"
    # The project is where dagster-dbt started dbt; relative paths are made absolute from there.
    assert environ["DBT_PROJECT_DIR"] == "/repo/dbt_project"
    assert environ["DBT_PROFILES_DIR"] == "/repo/dbt_project/."
    assert environ["DBT_LOG_PATH"] == "/repo/dbt_project/logs"
    assert environ["DBT_TARGET_PATH"] == "/data/a/dbt-target"


def test_two_data_folders_give_dbt_the_same_profile():
    first, second = {"COHESION_WAREHOUSE": "/tmp/x/warehouse.duckdb"}, {"COHESION_WAREHOUSE": "/tmp/y/warehouse.duckdb"}
    assert in_warehouse_folder(first, "/repo") != in_warehouse_folder(second, "/repo")
    assert first[DATABASE_ENV] == second[DATABASE_ENV] == "warehouse.duckdb"


def test_without_a_working_database_nothing_changes():
    environ = {"DBT_LOG_PATH": "logs"}
    assert in_warehouse_folder(environ, "/repo") is None
    assert environ == {"DBT_LOG_PATH": "logs"}
