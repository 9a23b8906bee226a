"""Write, audit, publish: a release is complete or absent, and the published file only ever
changes by one atomic rename."""

from __future__ import annotations

import errno
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from ingestion.errors import PublishError
from ingestion.files import sha256_of
from publish import release as rel


def _warehouse(path: Path, rows: int) -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists published")
        con.execute(f"create or replace table published.communes as select lpad(i::varchar, 5, '0') as nis_code from range({rows}) t(i)")
        con.execute("create schema if not exists staging")
        con.execute("create or replace table staging.private_table as select 1 as x")
    return path


def _info(release_id: str) -> rel.ReleaseInfo:
    return rel.ReleaseInfo(release_id, "2026-01-01T00:00:00+00:00", "test", "m1", "r1", "synthetic sample")


def _write(tmp_path: Path, release_id: str, rows: int) -> rel.Release:
    warehouse = _warehouse(tmp_path / f"wh-{release_id}.duckdb", rows)
    return rel.write_release(
        warehouse=warehouse,
        releases_dir=tmp_path / "releases",
        info=_info(release_id),
        sources=pd.DataFrame({"dataset": ["statbel_population"], "sha256": ["ab" * 32]}),
        dictionary=pd.DataFrame({"table_name": ["communes"], "column_name": ["nis_code"]}),
        quality=pd.DataFrame({"check_name": ["raw_contract"], "passed": [True]}),
    )


def test_release_holds_published_models_and_metadata_only(tmp_path):
    release = _write(tmp_path, "r1", rows=565)
    assert release.tables == {"communes": 565, "_release": 1, "_sources": 1, "_data_dictionary": 1, "_quality": 1}
    with duckdb.connect(str(release.file), read_only=True) as con:
        tables = {t for (t,) in con.execute("select table_name from information_schema.tables").fetchall()}
        assert "private_table" not in tables
        assert con.execute("select data_origin from _release").fetchall() == [("synthetic sample",)]
    assert (release.directory / "exports" / "parquet" / "communes.parquet").exists()
    assert (release.directory / "exports" / "csv" / "_release.csv").read_text().startswith("\ufeffrelease_id,")  # UTF-8 with a byte-order mark, for Excel
    assert sha256_of(release.file) == release.sha256


def test_publish_replaces_atomically_and_old_reader_keeps_old_content(tmp_path):
    published = tmp_path / "published" / "cohesion.duckdb"
    first = _write(tmp_path, "r1", rows=10)
    rel.publish(first, published)
    reader = duckdb.connect(str(published), read_only=True)
    second = _write(tmp_path, "r2", rows=20)
    rel.publish(second, published)
    # The open reader still sees the old release; a new reader sees the new one, complete.
    assert reader.execute("select count(*) from communes").fetchall() == [(10,)]
    reader.close()
    with duckdb.connect(str(published), read_only=True) as con:
        assert con.execute("select count(*) from communes").fetchall() == [(20,)]
    assert rel.current_release_id(published) == "r2"
    assert not list(published.parent.glob(".*.tmp"))


def test_rollback_publishes_an_earlier_release_byte_for_byte(tmp_path):
    published = tmp_path / "published" / "cohesion.duckdb"
    first = _write(tmp_path, "r1", rows=10)
    rel.publish(first, published)
    rel.publish(_write(tmp_path, "r2", rows=20), published)
    rel.rollback("r1", tmp_path / "releases", published)
    assert sha256_of(published) == first.sha256
    with pytest.raises(PublishError, match=r"no release 'nope' in .* \(known: r1, r2\)"):
        rel.rollback("nope", tmp_path / "releases", published)


def test_no_disk_space_while_publishing_leaves_previous_release(tmp_path, monkeypatch):
    published = tmp_path / "published" / "cohesion.duckdb"
    rel.publish(_write(tmp_path, "r1", rows=10), published)
    before = sha256_of(published)
    second = _write(tmp_path, "r2", rows=20)

    def full_disk(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(shutil, "copyfile", full_disk)
    with pytest.raises(PublishError, match="release r2 could not be published to .*No space left on device"):
        rel.publish(second, published)
    assert sha256_of(published) == before
    assert not list(published.parent.glob(".*.tmp"))


def test_no_disk_space_while_writing_a_release_leaves_nothing_behind(tmp_path, monkeypatch):
    def full_disk(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(rel, "_export", full_disk)
    with pytest.raises(PublishError, match="release r1 could not be written: .*No space left"):
        _write(tmp_path, "r1", rows=10)
    assert list((tmp_path / "releases").iterdir()) == []


def test_interrupted_release_is_ignored_and_release_ids_never_reused(tmp_path):
    _write(tmp_path, "r1", rows=10)
    # What a process killed while assembling a release leaves behind: a temporary folder.
    (tmp_path / "releases" / ".tmp-r9").mkdir()
    assert [r.release_id for r in rel.list_releases(tmp_path / "releases")] == ["r1"]
    with pytest.raises(PublishError, match="release r1 already exists"):
        _write(tmp_path, "r1", rows=10)


def test_empty_published_schema_is_refused(tmp_path):
    warehouse = tmp_path / "wh.duckdb"
    duckdb.connect(str(warehouse)).close()
    with pytest.raises(PublishError, match="has no table in schema 'published': nothing to publish"):
        rel.write_release(
            warehouse=warehouse, releases_dir=tmp_path / "releases", info=_info("r1"),
            sources=pd.DataFrame(), dictionary=pd.DataFrame(), quality=pd.DataFrame(),
        )


# ---- rollback takes a release id, and only a release that completed with passing checks ----------


def test_rollback_refuses_a_path_and_another_data_folders_release(tmp_path):
    published = tmp_path / "published" / "cohesion.duckdb"
    rel.publish(_write(tmp_path, "r1", rows=10), published)
    other = tmp_path / "other"
    foreign = rel.write_release(
        warehouse=_warehouse(tmp_path / "wh-other.duckdb", 99), releases_dir=other / "releases", info=_info("x1"),
        sources=pd.DataFrame({"dataset": ["x"]}), dictionary=pd.DataFrame({"table_name": ["t"]}),
        quality=pd.DataFrame({"check_name": ["c"], "passed": [True]}),
    )
    rel.publish(foreign, other / "published" / "cohesion.duckdb")
    before = sha256_of(published)
    for given in ("../../other/releases/x1", str(foreign.directory), "..", ".pending"):
        with pytest.raises(PublishError) as refused:
            rel.rollback(given, tmp_path / "releases", published)
        assert str(refused.value) == (
            "rollback takes a release id as `cohesion releases` lists it (e.g. 20251201T000000Z-3f2a1b), not "
            f"{given!r}: a path, or another data folder's release, is never published; nothing was published"
        )
    assert sha256_of(published) == before
    assert rel.current_release_id(published) == "r1"


def test_a_release_whose_checks_failed_is_marked_and_never_rolled_back_to(tmp_path):
    published = tmp_path / "published" / "cohesion.duckdb"
    rel.publish(_write(tmp_path, "r1", rows=10), published)
    failed = rel.write_release(
        warehouse=_warehouse(tmp_path / "wh-r2.duckdb", 20), releases_dir=tmp_path / "releases", info=_info("r2"),
        sources=pd.DataFrame({"dataset": ["x"]}), dictionary=pd.DataFrame({"table_name": ["t"]}),
        quality=pd.DataFrame(
            {"check_name": ["raw_contract", "plausibility"], "asset": ["raw/x", "raw/x"], "passed": [True, False]}
        ),
    )
    rel.publish(failed, published)  # as an older version did, whatever its checks said
    rel.rollback("r1", tmp_path / "releases", published)
    status = rel.release_status(failed)
    assert (status.label, status.problem) == ("checks failed", "checks failed: 1 check(s) failed (plausibility on raw/x)")
    with pytest.raises(PublishError) as refused:
        rel.rollback("r2", tmp_path / "releases", published)
    assert str(refused.value) == (
        "release r2 cannot be published: checks failed: 1 check(s) failed (plausibility on raw/x); nothing was published"
    )
    assert rel.current_release_id(published) == "r1"


def test_a_filed_release_is_pending_until_it_is_published(tmp_path):
    release = _write(tmp_path, "r1", rows=10)
    assert rel.release_status(release).label == "never completed"
    rel.publish(release, tmp_path / "published" / "cohesion.duckdb")
    assert rel.release_status(release).label == "complete"
    assert [p.name for p in (tmp_path / "releases").iterdir()] == ["r1"]  # no marker left once published
