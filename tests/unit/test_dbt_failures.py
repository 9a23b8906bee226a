"""A failed dbt test is reported with its failing rows, and a failed dbt build in one line."""

from __future__ import annotations

import dagster as dg
import duckdb

from orchestration.dbt_results import build_problem, with_failing_rows

UNIQUE_ID = "test.cohesion.assert_expected_row_counts"
COMPILED = """
with expected as (select * from (values ('commune_indicators', 2022, 9605), ('commune_indicators', 2023, 10170))
                  as t(table_name, year, expected_rows)),
observed as (select * from (values ('commune_indicators', 2022, 9040), ('commune_indicators', 2023, 10170))
             as t(table_name, year, observed_rows))
select e.table_name, e.year, e.expected_rows, o.observed_rows, o.observed_rows - e.expected_rows as difference
from expected e join observed o using (table_name, year)
where o.observed_rows <> e.expected_rows
"""


def _failed_check() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        asset_key=dg.AssetKey(["published", "commune_indicators"]), check_name="assert_expected_row_counts",
        passed=False, metadata={"unique_id": UNIQUE_ID, "dagster_dbt/failed_row_count": 1},
    )


def test_a_failed_test_shows_its_failing_rows():
    results = {UNIQUE_ID: {"unique_id": UNIQUE_ID, "status": "fail", "failures": 1, "compiled_code": COMPILED}}
    with duckdb.connect() as con:
        check = with_failing_rows(_failed_check(), results, con)
    # It used to read only "assert_expected_row_counts on published/commune_indicators: failed".
    summary = (
        "dbt test assert_expected_row_counts: 1 failing row(s): (table_name=commune_indicators, year=2022, "
        "expected_rows=9605, observed_rows=9040, difference=-565)"
    )
    assert check.description == summary
    assert check.metadata["summary"].value == summary
    assert check.metadata["failing_rows"].value == [
        "table_name=commune_indicators, year=2022, expected_rows=9605, observed_rows=9040, difference=-565"
    ]
    assert not check.passed and check.check_name == "assert_expected_row_counts"


def test_a_test_whose_rows_cannot_be_read_again_says_so():
    results = {UNIQUE_ID: {"unique_id": UNIQUE_ID, "status": "fail", "failures": 3, "compiled_code": "select * from gone"}}
    with duckdb.connect() as con:
        check = with_failing_rows(_failed_check(), results, con)
    assert check.description.startswith(
        "dbt test assert_expected_row_counts: 3 failing row(s); its failing rows could not be read again (Catalog Error"
    )


def test_a_failed_build_is_one_line_naming_the_tests_and_the_nodes_in_error():
    results = {
        UNIQUE_ID: {"unique_id": UNIQUE_ID, "status": "fail"},
        "model.cohesion.fund_lines": {"unique_id": "model.cohesion.fund_lines", "status": "error",
                                      "message": "Runtime Error\n  budget too small"},
        "model.cohesion.communes": {"unique_id": "model.cohesion.communes", "status": "success"},
    }
    assert build_problem(results) == (
        "dbt build: 1 dbt test(s) failed: assert_expected_row_counts; 1 dbt node(s) in error: fund_lines (Runtime "
        "Error budget too small); everything downstream was skipped"
    )
    assert build_problem({"model.cohesion.communes": {"unique_id": "model.cohesion.communes", "status": "success"}}) is None


def test_a_model_out_of_memory_says_which_setting_raises_the_limit():
    # DuckDB's own words (a real build of the real files' real-estate harmonisation under 8MB).
    message = (
        "Runtime Error in model harmonised_statbel_real_estate (models/harmonised/harmonised_statbel_real_estate.sql)\n"
        "  Out of Memory Error: could not allocate block of size 256.0 KiB (7.6 MiB/7.6 MiB used)\n  \n"
        "  Possible solutions:\n  * Reducing the number of threads (SET threads=X)\n"
    )
    model = "model.cohesion.harmonised_statbel_real_estate"
    problem = build_problem({model: {"unique_id": model, "status": "error", "message": message}})
    assert problem == (
        "dbt build: 1 dbt node(s) in error: harmonised_statbel_real_estate (Runtime Error in model "
        "harmonised_statbel_real_estate (models/harmonised/harmonised_statbel_real_estate.sql) Out of Memory Error: "
        "could not allocate block of size 256.0 KiB (7.6 MiB/7.6 MiB used) Poss); "
        "DuckDB reached the memory limit of dbt_project/profiles.yml: run again with COHESION_DBT_MEMORY_LIMIT=1GB; "
        "everything downstream was skipped"
    )
