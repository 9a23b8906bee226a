"""The published load: the raw tables a release was made from, kept beside it as the baseline of
the next run's size-change and plausibility checks.

A failed run leaves its raw tables in the working database; a retry must not compare with them
(a truncated file loaded twice would look unchanged the second time). So the baseline is written
only by a run that publishes: the publish step stages every raw table as Parquet under
``data/baselines/.tmp-*``, and renames the folder to ``data/baselines/<release_id>`` once the
release is published. The baseline of a run is the one of the release published now (after a
rollback, the rolled-back release's). No Dagster in here.
"""

from __future__ import annotations

import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ingestion.errors import PublishError
from publish.release import current_release_id
from ingestion.settings import Paths


@dataclass(frozen=True)
class PublishedLoad:
    """The raw tables of the release published now."""

    release_id: str
    directory: Path

    @property
    def label(self) -> str:
        return f"release {self.release_id}"

    def frame(self, dataset: str, columns: list[str] | None = None) -> pd.DataFrame | None:
        """The dataset's raw table as published (only ``columns``, when given), or None; its text
        columns are categories, as the checks read the raw tables (orchestration.warehouse): the
        Parquet file holds each distinct text once (the real files' real-estate load: 99 MB read as
        text, 13 MB so)."""
        path = self.directory / f"{dataset}.parquet"
        if not path.exists():
            return None
        schema = pq.read_schema(path)
        text = [f.name for f in schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)]
        wanted = [c for c in text if columns is None or c in columns]
        return pq.read_table(path, columns=columns, read_dictionary=wanted).to_pandas()

    def rows_by_year(self, dataset: str) -> dict[str, int]:
        path = self.directory / f"{dataset}.parquet"
        if not path.exists():
            return {}
        rows = duckdb.sql(
            f"select substr(period, 1, 4) as year, count(*) from read_parquet('{path}') group by 1 order by 1"
        ).fetchall()
        return {str(year): int(n) for year, n in rows}


def published_load(data: Paths) -> PublishedLoad | None:
    """The baseline of the published release, or None (nothing published yet, or a release
    published before baselines were kept)."""
    release_id = current_release_id(data.published)
    if release_id is None:
        return None
    directory = data.baselines / release_id
    return PublishedLoad(release_id, directory) if directory.is_dir() else None


def stage_baseline(con: duckdb.DuckDBPyConnection, baselines: Path, datasets: tuple[str, ...]) -> Path:
    """Write the raw tables of ``datasets`` (those the working database holds) to a temporary
    folder under ``baselines``; :func:`commit_baseline` names it after its release."""
    baselines.mkdir(parents=True, exist_ok=True)
    staged = baselines / f".tmp-{uuid.uuid4().hex}"
    staged.mkdir()
    held = {t for (t,) in con.execute("select table_name from information_schema.tables where table_schema = 'raw'").fetchall()}
    # On one thread: DuckDB's parquet writer fills a row group per thread, and the real files'
    # real-estate table took 143 MB on two threads against 55 MB on one (the same bytes, 0.1 s
    # slower), at the run's last step, where its memory peaks. The setting is the database's, so
    # it is restored.
    (threads,) = con.execute("select current_setting('threads')").fetchall()[0]
    con.execute("SET threads = 1")
    try:
        for dataset in datasets:
            if dataset in held:
                con.execute(f"COPY raw.\"{dataset}\" TO '{staged / (dataset + '.parquet')}' (FORMAT parquet)")
    except (duckdb.Error, OSError) as exc:
        shutil.rmtree(staged, ignore_errors=True)
        raise PublishError(f"the baseline of this release could not be written to {staged}: {exc}") from exc
    finally:
        con.execute(f"SET threads = {int(threads)}")
    return staged


def commit_baseline(staged: Path, release_id: str) -> Path:
    target = staged.parent / release_id
    staged.rename(target)
    # Folders of runs killed between staging and publishing are litter, never a baseline; a day
    # old, no run can still be writing them.
    for stale in staged.parent.glob(".tmp-*"):
        if time.time() - stale.stat().st_mtime > 24 * 3600:
            shutil.rmtree(stale, ignore_errors=True)
    return target


def discard_baseline(staged: Path) -> None:
    shutil.rmtree(staged, ignore_errors=True)
