"""Year partitions of the yearly datasets: which datasets, which years a run covers, and a load of
some years that leaves the other years' rows as they were."""

from __future__ import annotations

import zipfile
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from ingestion.archive import RawArchive
from ingestion.catalog import load_catalog
from ingestion.errors import ArchiveError, CohesionError
from ingestion.load import load_dataset, rows_by_year
from orchestration import partitions
from ingestion.settings import paths
from orchestration.warehouse import replace_rows

HEADER = "CD_REFNIS|TX_DESCR_NL|TX_DESCR_FR|CD_DSTR_REFNIS|CD_PROV_REFNIS|CD_RGN_REFNIS|CD_SEX|CD_NATLTY|CD_AGE|MS_POPULATION|CD_YEAR"


def test_only_datasets_published_one_file_per_year_are_partitioned():
    assert partitions.PARTITIONED == {"statbel_population": tuple(range(2015, 2027))}
    catalog = load_catalog()
    # The income panel and the movement workbook restate every year: reloaded whole.
    assert catalog.dataset("statbel_income").partition_years is None
    assert catalog.dataset("arrivals").partition_years is None
    assert partitions.partitions_for("statbel_population") is partitions.YEAR_PARTITIONS
    assert partitions.partitions_for("statbel_income") is None


def test_a_run_covers_the_years_of_its_tags():
    assert partitions.run_years({"dagster/partition": "2025"}) == ("2025",)
    assert partitions.run_years(partitions.range_tags("2019", "2022")) == ("2019", "2020", "2021", "2022")
    assert partitions.run_years({"cohesion/trigger": "yearly_refresh"}) is None


def test_years_asked_for_must_be_partitions():
    assert partitions.year_span("2025") == ("2025", "2025")
    assert partitions.year_span("2019..2025") == ("2019", "2025")
    with pytest.raises(CohesionError) as error:
        partitions.year_span("2031")
    assert str(error.value) == (
        "--years 2031: '2031' is not a year of the yearly datasets: statbel_population (2015..2026)"
    )
    with pytest.raises(CohesionError, match="the first year comes after the last"):
        partitions.year_span("2025..2019")


def _frame(year: str, rows: int) -> pd.DataFrame:
    return pd.DataFrame({"nis_code": [f"{11001 + i}" for i in range(rows)], "period": year, "vintage": year})


def test_replacing_a_years_rows_keeps_the_other_years(tmp_path):
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        replace_rows(con, "raw", "pop", pd.concat([_frame("2024", 3), _frame("2025", 3)]), column="vintage",
                     values=["2024", "2025"])  # fmt: skip
        replace_rows(con, "raw", "pop", _frame("2025", 2), column="vintage", values=["2025"])
        counts = con.execute("select vintage, count(*) from raw.pop group by 1 order by 1").fetchall()
    assert counts == [("2024", 3), ("2025", 2)]


def test_a_failed_replacement_leaves_the_table_as_it_was(tmp_path):
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        replace_rows(con, "raw", "pop", _frame("2025", 3), column="vintage", values=["2025"])
        wrong = _frame("2025", 1).rename(columns={"nis_code": "refnis"})  # a column the table lacks
        with pytest.raises(duckdb.Error):
            replace_rows(con, "raw", "pop", wrong, column="vintage", values=["2025"])
        assert con.execute("select count(*) from raw.pop").fetchall() == [(3,)]


def _population_zip(folder: Path, year: int) -> Path:
    path = folder / f"TF_SOC_POP_STRUCT_{year}.zip"
    # One commune of each region: the catalog declares the file national (every region).
    rows = [
        f"21001|Anderlecht|Anderlecht|21000|04000|04000|M|BEL|30|12|{year}",
        f"11001|Aartselaar|Aartselaar|11000|10000|02000|F|ETR|41|3|{year}",
        f"92094|Namen|Namur|92000|90000|03000|M|BEL|7|5|{year}",
    ]
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"TF_SOC_POP_STRUCT_{year}.txt", "\r\n".join([HEADER, *rows]) + "\r\n")
    return path


def test_loading_a_year_that_is_not_archived_names_the_archived_years(tmp_path, monkeypatch):
    monkeypatch.setenv("COHESION_DATA_DIR", str(tmp_path / "data"))
    catalog = load_catalog()
    spec = catalog.dataset("statbel_population").file("pop_struct")
    archive = RawArchive(paths().raw)
    for year in (2024, 2025):
        archive.store(_population_zip(tmp_path, year), spec=spec, year=year, origin="download",
                      retrieved_at="2026-05-01T00:00:00Z")  # fmt: skip
    assert partitions.archived_range() == ("2024", "2025")
    with pytest.raises(ArchiveError) as error:
        load_dataset("statbel_population", paths(), catalog, years=[2025, 2026])
    assert str(error.value) == (
        "dataset statbel_population: no archived file for year(s) 2026 (archived years: 2024, 2025); "
        "fetch them first, or run only the years that are archived"
    )
    loaded = load_dataset("statbel_population", paths(), catalog, years=[2025])
    assert [f.filename for f in loaded.files] == ["TF_SOC_POP_STRUCT_2025.zip"]
    assert rows_by_year(loaded.frame) == {"2025": len(loaded.frame)} and len(loaded.frame) > 0


def test_the_yearly_schedule_runs_every_archived_year_in_one_run(tmp_path, monkeypatch):
    import dagster as dg

    from orchestration.defs.schedules import yearly_refresh

    monkeypatch.setenv("COHESION_DATA_DIR", str(tmp_path / "data"))
    spec = load_catalog().dataset("statbel_population").file("pop_struct")
    archive = RawArchive(paths().raw)
    for year in (2023, 2024, 2025):
        archive.store(_population_zip(tmp_path, year), spec=spec, year=year, origin="download",
                      retrieved_at="2026-05-01T00:00:00Z")  # fmt: skip
    request = yearly_refresh(dg.build_schedule_context())
    assert request.tags == {
        "cohesion/trigger": "yearly_refresh",
        partitions.RANGE_START_TAG: "2023",
        partitions.RANGE_END_TAG: "2025",
    }
    assert partitions.run_years(request.tags) == ("2023", "2024", "2025")


def test_a_years_load_replaces_every_copy_of_that_year_and_drops_years_no_longer_archived(tmp_path):
    from orchestration.warehouse import replace_years

    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        replace_years(con, "raw", "pop", pd.concat([_frame("2024", 3), _frame("2025", 3)]), years=["2024", "2025"],
                      keep=["2024", "2025"])  # fmt: skip
        # A second copy of 2025 (vintage 2025+<sha8>) loaded, then the first copy again: never both.
        replace_years(con, "raw", "pop", _frame("2025", 2).assign(vintage="2025+e54404f7"), years=["2025"],
                      keep=["2024", "2025"])  # fmt: skip
        replace_years(con, "raw", "pop", _frame("2025", 3), years=["2025"], keep=["2024", "2025"])
        assert con.execute("select vintage, count(*) from raw.pop group by 1 order by 1").fetchall() == [
            ("2024", 3), ("2025", 3)
        ]
        # Every copy of 2024 retired: a load of 2025 also takes 2024's rows out.
        replace_years(con, "raw", "pop", _frame("2025", 3), years=["2025"], keep=["2025"])
        assert con.execute("select vintage, count(*) from raw.pop group by 1 order by 1").fetchall() == [("2025", 3)]


def test_a_file_of_a_year_beyond_the_partitions_in_the_archive_does_not_crash_a_run(tmp_path, monkeypatch):
    # An older version archived TF_SOC_POP_STRUCT_2031: the range 2024..2031 is no valid partition
    # range, and every run (--offline too) ended in DagsterInvalidInvocationError.
    import hashlib
    import json

    monkeypatch.setenv("COHESION_DATA_DIR", str(tmp_path / "data"))
    spec = load_catalog().dataset("statbel_population").file("pop_struct")
    archive = RawArchive(paths().raw)
    archive.store(_population_zip(tmp_path, 2024), spec=spec, year=2024, origin="download",
                  retrieved_at="2026-05-01T00:00:00Z")  # fmt: skip
    future = paths().raw / "statbel_population" / "2031"
    future.mkdir()
    content = _population_zip(tmp_path, 2031).read_bytes()
    (future / "TF_SOC_POP_STRUCT_2031.zip").write_bytes(content)
    (future / "TF_SOC_POP_STRUCT_2031.zip.meta.json").write_text(json.dumps({
        "dataset": "statbel_population", "file_id": "pop_struct", "layout": "statbel_pop_struct", "vintage": "2031",
        "year": 2031, "filename": "TF_SOC_POP_STRUCT_2031.zip", "url": None, "size": len(content),
        "sha256": hashlib.sha256(content).hexdigest(), "retrieved_at": "2026-05-01T00:00:00Z", "etag": None,
        "last_modified": None, "origin": "download",
    }))
    assert partitions.tags_for_archived_years() == partitions.range_tags("2024", "2024")
    loaded = load_dataset("statbel_population", paths())
    assert [f.filename for f in loaded.files] == ["TF_SOC_POP_STRUCT_2024.zip"]
    assert loaded.ignored == (
        "2031/TF_SOC_POP_STRUCT_2031.zip: year 2031 is outside the catalog's years 2015..2026",
    )
    assert loaded.describe()[-1] == (
        "dataset statbel_population: not loaded: 2031/TF_SOC_POP_STRUCT_2031.zip: year 2031 is outside the "
        "catalog's years 2015..2026"
    )
