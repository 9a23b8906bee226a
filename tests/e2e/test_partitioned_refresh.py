"""A yearly dataset refreshed one year at a time, through Dagster, on a copy of the sample run:
the year's rows are replaced, the other years stay, and a year that is not archived stops the
run with the archived years named."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from fixtures.dagster_runs import materialize_on_copy

pytestmark = pytest.mark.e2e

POPULATION = ["raw", "statbel_population"]


def _run_population(data_dir: Path, partition: str, instance=None):
    """``raw/statbel_population`` and its checks for one year, on ``data_dir``'s warehouse; pass
    the ``instance`` of an earlier run to give the size-change check its history."""
    return materialize_on_copy(data_dir, POPULATION, partition=partition, instance=instance)


def _rows_by_year(data_dir: Path) -> dict[str, int]:
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        return dict(con.execute("select period, count(*) from raw.statbel_population group by 1 order by 1").fetchall())


def test_one_year_is_reloaded_and_the_other_years_stay(data_copy):
    import dagster as dg

    before = _rows_by_year(data_copy)
    assert sorted(before) == [str(y) for y in range(2019, 2026)]
    with duckdb.connect(str(data_copy / "warehouse.duckdb")) as con:
        # Marks that pass every check: the 2025 rows must be replaced, the 2019 rows left alone.
        con.execute("update raw.statbel_population set source_file = 'stale' where period = '2025'")
        con.execute("update raw.statbel_population set source_file = 'kept' where period = '2019'")

    result, instance = _run_population(data_copy, "2025")

    assert result.success
    assert _rows_by_year(data_copy) == before
    with duckdb.connect(str(data_copy / "warehouse.duckdb"), read_only=True) as con:
        marked = dict(con.execute(
            "select source_file, count(*) from raw.statbel_population where source_file in ('stale', 'kept') group by 1"
        ).fetchall())  # fmt: skip
    assert marked == {"kept": before["2019"]}  # 2025 reloaded from its file, 2019 not read at all
    materialized = instance.get_materialized_partitions(dg.AssetKey(POPULATION))
    assert materialized == {"2025"}
    checks = {e.asset_check_evaluation_data.check_name: e.asset_check_evaluation_data.passed
              for e in result.all_events if e.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION}  # fmt: skip
    assert checks == {"plausibility": True, "raw_contract": True, "size_change": True}


def test_a_year_without_an_archived_file_stops_the_run_naming_the_archived_years(data_copy):
    import dagster as dg

    before = _rows_by_year(data_copy)
    result, _ = _run_population(data_copy, "2026")
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE)
    error = failure.step_failure_data.error
    message = (error.cause or error).message
    assert "dataset statbel_population: no archived file for year(s) 2026 (archived years: 2019, 2020, 2021, " \
           "2022, 2023, 2024, 2025)" in message  # fmt: skip
    assert _rows_by_year(data_copy) == before


def test_a_year_reloaded_with_a_fifth_of_its_rows_missing_fails_the_size_change_check(data_copy, tmp_path):
    import zipfile

    import dagster as dg

    from ingestion.archive import RawArchive
    from ingestion.catalog import load_catalog
    from ingestion.fetch import fetch

    result, instance = _run_population(data_copy, "2025")  # the good load: the history to compare with
    assert result.success
    good = data_copy / "sample" / "TF_SOC_POP_STRUCT_2025.zip"
    short = tmp_path / "download" / good.name
    short.parent.mkdir()
    with zipfile.ZipFile(good) as old, zipfile.ZipFile(short, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as new:
        (member,) = old.namelist()
        lines = old.read(member).splitlines(keepends=True)
        new.writestr(member, b"".join(lines[: int(len(lines) * 0.75)]))  # a download cut at three quarters
    fetched = fetch(load_catalog(), RawArchive(data_copy / "raw"), source_dir=short.parent,
                    retrieved_at="2026-06-01T00:00:00Z", origin="sample")  # fmt: skip
    assert [item.status for item in fetched.items] == ["stored"], fetched.summary()

    second, _ = _run_population(data_copy, "2025", instance)
    assert not second.success
    size = next(
        e.asset_check_evaluation_data for e in second.all_events
        if e.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION
        and e.asset_check_evaluation_data.check_name == "size_change"
    )  # fmt: skip
    assert not size.passed
    # The baseline is the published release's load, never a failed run's (issue 13).
    assert re.fullmatch(
        r"dataset statbel_population: a drop of more than 15% in 1 year\(s\) against the published load "
        r"\(release \d{8}T\d{6}Z-[0-9a-f]{6}\), truncated or mis-filtered input\? 2025: 5052 rows against 6780 \(-25\.5%\)",
        size.description,
    ), size.description
