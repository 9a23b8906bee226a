"""The baseline a published release leaves for the next run's checks (publish/baseline.py)."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from ingestion.errors import PublishError
from publish.baseline import commit_baseline, stage_baseline


@pytest.fixture
def warehouse():
    con = duckdb.connect()
    con.execute("SET threads = 2")
    con.execute("create schema raw")
    con.execute(
        "create table raw.schools as select lpad(cast(i % 565 + 11001 as varchar), 5, '0') as nis_code, "
        "cast(2020 + i // 565 as varchar) as period, cast(i * 1.5 as double) as value from range(3000) t(i)"
    )
    yield con
    con.close()


def test_each_raw_table_is_written_whole_and_the_database_keeps_its_threads(warehouse, tmp_path):
    staged = stage_baseline(warehouse, tmp_path, ("schools", "arrivals"))
    assert sorted(p.name for p in staged.iterdir()) == ["schools.parquet"]  # arrivals: no raw table
    written = pd.read_parquet(staged / "schools.parquet")
    assert len(written) == 3000 and written["value"].sum() == pytest.approx(1.5 * 2999 * 3000 / 2)
    assert written["nis_code"].tolist() == [c for (c,) in warehouse.execute("select nis_code from raw.schools").fetchall()]
    # Written on one thread (DuckDB's parquet writer holds a row group per thread); the setting
    # is the database's, so the steps after publishing see it as it was.
    assert warehouse.execute("select current_setting('threads')").fetchall() == [(2,)]
    assert commit_baseline(staged, "r1") == tmp_path / "r1"


def test_a_baseline_that_cannot_be_written_names_its_folder_and_restores_the_threads(warehouse, tmp_path):
    class DiskFull:
        """The warehouse's connection, whose COPY fails as on a full disk."""

        def execute(self, sql, *args):
            if sql.startswith("COPY"):
                raise duckdb.IOException("IO Error: disk full")
            return warehouse.execute(sql, *args)

    with pytest.raises(PublishError, match=r"the baseline of this release could not be written to .*\.tmp-.*disk full"):
        stage_baseline(DiskFull(), tmp_path, ("schools",))
    assert warehouse.execute("select current_setting('threads')").fetchall() == [(2,)]
    assert list(tmp_path.iterdir()) == []  # the staged folder is removed


def test_the_published_load_reads_text_as_categories_with_the_values_written(warehouse, tmp_path):
    from publish.baseline import PublishedLoad

    staged = stage_baseline(warehouse, tmp_path, ("schools",))
    load = PublishedLoad("r1", commit_baseline(staged, "r1"))
    frame = load.frame("schools", columns=["nis_code", "value"])
    assert list(frame.columns) == ["nis_code", "value"]
    assert isinstance(frame["nis_code"].dtype, pd.CategoricalDtype) and frame["value"].dtype == "float64"
    assert frame["nis_code"].astype(str).tolist() == [c for (c,) in warehouse.execute("select nis_code from raw.schools").fetchall()]
    whole = load.frame("schools")
    assert [c for c in whole.columns if isinstance(whole[c].dtype, pd.CategoricalDtype)] == ["nis_code", "period"]
    assert load.frame("arrivals") is None
