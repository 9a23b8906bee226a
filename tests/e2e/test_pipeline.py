"""The whole graph on the embedded sample: every asset materialised, every check run, published;
and a broken input that stops the run and leaves the previous release published."""

from __future__ import annotations

import zipfile

import duckdb
import pytest

from ingestion.files import sha256_of

pytestmark = pytest.mark.e2e


def _query(path, sql):
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_sample_run_publishes_every_commune_and_year(sample_run):
    assert sample_run.success, sample_run.report["reason"]
    published = sample_run.data_dir / "published" / "cohesion.duckdb"
    assert _query(published, "select count(*) from communes") == [(565,)]
    assert _query(published, "select data_origin from _release") == [("synthetic sample",)]
    per_year = _query(
        published, "select year, count(distinct nis_code) from commune_indicators group by year order by year"
    )
    assert [y for y, _ in per_year] == list(range(2019, 2026))
    assert all(n == 565 for _, n in per_year)
    tables = {t for (t,) in _query(published, "select table_name from information_schema.tables")}
    assert {"communes", "commune_indicators", "_release", "_sources", "_data_dictionary", "_quality"} <= tables
    # every published column is documented
    undocumented = _query(
        published,
        "select c.table_name, c.column_name from information_schema.columns c "
        "left join _data_dictionary d on d.table_name = c.table_name and d.column_name = c.column_name "
        "where d.column_name is null or d.description_en = ''",
    )
    assert undocumented == []
    assert _query(published, "select count(*) from _quality where not passed and severity = 'ERROR'") == [(0,)]
    assert _query(published, "select count(distinct dataset) from _sources") == [(6,)]


def test_an_unchanged_run_does_nothing_and_a_forced_one_files_no_second_release(data_copy, rerun_pipeline, capsys):
    # What a changed run publishes: tests/e2e/test_changed_run.py (a file of its own, so that a
    # second pytest-xdist worker runs its pipeline run beside this one's).
    import json

    from cli import main as cli

    # On a copy: whatever a run below files must not become the release the other tests read.
    data = data_copy
    published = data / "published" / "cohesion.duckdb"
    (first_id,) = [p.name for p in (data / "releases").iterdir() if not p.name.startswith(".")]
    published_sha = sha256_of(published)
    archived = sorted(p.name for p in (data / "raw").rglob("*") if p.is_file())

    # `cohesion run --sample` again: the same archive, config and code; nothing runs.
    assert cli.main(["run", "--sample"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == (
        f"nothing changed since release {first_id}: the same archived files, config and code; nothing was run "
        f"(--force runs anyway). Published: {published}"
    )
    latest = json.loads((data / "reports" / "latest.json").read_text())
    assert (latest["ran"], latest["unchanged"], latest["release_id"]) == (False, True, first_id)
    assert sorted(p.name for p in (data / "raw").rglob("*") if p.is_file()) == archived

    # Forced through the whole graph, the same content files no second release.
    run = rerun_pipeline(data)
    assert run.success, run.report["reason"]
    assert run.report["unchanged"] and run.report["release"]["release_id"] == first_id
    assert [p.name for p in (data / "releases").iterdir() if not p.name.startswith(".")] == [first_id]
    assert sha256_of(published) == published_sha


def test_broken_input_stops_the_run_and_keeps_the_release(data_copy, rerun_pipeline, tmp_path):
    from ingestion.sample.archive import SAMPLE_RETRIEVED_AT  # noqa: F401  (the sample's fixed time)
    from ingestion.archive import RawArchive
    from ingestion.catalog import load_catalog
    from ingestion.fetch import fetch

    # On a copy, so the other end-to-end tests keep the good sample run.
    data_dir = data_copy
    published = data_dir / "published" / "cohesion.duckdb"
    before = sha256_of(published)
    archived_before = {p: sha256_of(p) for p in (data_dir / "raw").rglob("*") if p.is_file()}

    # A new vintage of the 2024 population file in which Saint-Gilles (21013) is missing.
    original = data_dir / "sample" / "TF_SOC_POP_STRUCT_2024.zip"
    with zipfile.ZipFile(original) as archive:
        member = archive.namelist()[0]
        lines = archive.read(member).decode("utf-8-sig").splitlines(keepends=True)
    kept = [lines[0]] + [line for line in lines[1:] if not line.startswith("21013|")]
    assert len(kept) < len(lines)
    broken_dir = tmp_path / "download"
    broken_dir.mkdir()
    with zipfile.ZipFile(broken_dir / original.name, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(member, "\ufeff" + "".join(kept))
    report = fetch(
        load_catalog(), RawArchive(data_dir / "raw"), source_dir=broken_dir, retrieved_at="2026-01-01T00:00:00Z", origin="sample"
    )
    assert len(report.stored) == 1

    # The population asset and its checks, in the refresh job with its tags (every archived year):
    # its blocking check stops the run there, and loading the other datasets proves nothing here.
    run = rerun_pipeline(data_dir, selection=[["raw", "statbel_population"]])
    assert not run.success
    assert not run.report["published"]
    assert "statbel_population" in run.report["reason"]
    assert "expect_column_distinct_values_to_equal_set" in run.report["reason"]
    assert "21013" in run.report["reason"]
    assert sha256_of(published) == before
    for path, digest in archived_before.items():
        assert sha256_of(path) == digest


def test_a_failing_test_of_a_stage_table_stops_the_publish(data_copy, monkeypatch):
    # The stages' tables are dbt sources: their tests run in the published dbt build, whose
    # failure must keep the release as it was (the tests are not Dagster checks).
    import dagster as dg

    from orchestration.defs import dbt, publish
    from orchestration.resources import build_resources

    warehouse = data_copy / "warehouse.duckdb"
    published = data_copy / "published" / "cohesion.duckdb"
    before = sha256_of(published)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("insert into index.index_cohesion select * from index.index_cohesion where nis_code = '21013' limit 1")
    monkeypatch.setenv("COHESION_WAREHOUSE", str(warehouse))
    result = dg.materialize(
        [dbt.cohesion_dbt_published, publish.release_files, publish.site, publish.release],
        resources=build_resources(),
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    assert not result.success
    (failure,) = result.get_step_failure_events()
    assert failure.step_key == "cohesion_dbt_published"
    message = failure.step_failure_data.user_failure_data.description
    assert "source_unique_combination_of_columns_index_index_cohesion_nis_code__year" in message
    assert "published__release_files" not in {e.step_key for e in result.get_step_success_events()}
    assert sha256_of(published) == before
