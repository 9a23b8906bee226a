"""From the raw archive to one canonical table per dataset (what the raw assets write).

For every file of a dataset (and every year of a per-year file) the current archived copy is
parsed (:mod:`ingestion.vintages`: the copy supplied last, never a retired one, never one the
catalog cannot place); the other vintages stay in the archive, untouched, for the record. A file
the catalog declares national must have values in every region (ingestion/coverage.py), and an
archive that mixes the synthetic sample with real files is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from ingestion.archive import ArchiveEntry, RawArchive, manifest_frame
from ingestion.canonical import RAW_COLUMNS, concat_files, empty_frame, per_file_column
from ingestion.catalog import Catalog, load_catalog
from ingestion.coverage import check_coverage
from ingestion.errors import ArchiveError
from ingestion.summary import reconciliation_summary
from ingestion.geography import communes_565
from ingestion.memory import give_back_freed_memory
from ingestion.parsers import parser_for
from ingestion.vintages import select_vintages

# The one dataset list: the catalog's (a raw table, an asset, its checks and a dbt source each).
RAW_DATASETS: tuple[str, ...] = load_catalog().raw_dataset_ids


class HasRaw(Protocol):
    @property
    def raw(self) -> Path: ...


@dataclass(frozen=True)
class LoadedFile:
    file_id: str
    vintage: str
    filename: str
    sha256: str
    rows: int
    map_vintages: tuple[int, ...]
    periods: tuple[str, ...]
    dropped: dict[str, int]
    # How the file's communes compared with the publisher's own Belgium totals, when it has some.
    reconciliation: str = ""
    # Indicator labels the file carries that the Swing label table does not know (not loaded).
    unknown_labels: tuple[str, ...] = ()
    # Why this vintage was loaded, and which others were left aside (ingestion.vintages).
    choice: str = ""


@dataclass(frozen=True)
class DatasetLoad:
    dataset: str
    files: tuple[LoadedFile, ...]
    frame: pd.DataFrame = field(repr=False, compare=False)
    # Archived copies never loaded because the catalog cannot place them (a year outside its years).
    ignored: tuple[str, ...] = ()

    def describe(self) -> list[str]:
        if not self.files:
            return [f"dataset {self.dataset}: no archived file"]
        return [
            f"dataset {self.dataset}: {f.filename} (vintage {f.vintage}, sha256 {f.sha256[:12]}): {f.rows} rows, "
            f"map {'/'.join(map(str, f.map_vintages))}, periods {f.periods[0]}..{f.periods[-1]}, dropped {f.dropped}"
            + (f", Belgium totals: {f.reconciliation}" if f.reconciliation else "")
            + (
                f", {len(f.unknown_labels)} unknown label(s) not loaded (add them to swing_labels.csv): "
                + "; ".join(repr(label) for label in f.unknown_labels)
                if f.unknown_labels
                else ""
            )
            + (f"; loaded {f.choice}" if f.choice else "")
            for f in self.files
        ] + [f"dataset {self.dataset}: not loaded: {line}" for line in self.ignored]

    def metadata(self) -> dict[str, Any]:
        return {
            "rows": len(self.frame),
            "communes": int(self.frame["nis_code"].nunique()),
            "files": "; ".join(f"{f.filename}@{f.vintage}" for f in self.files),
            "sha256": "; ".join(f.sha256 for f in self.files),
            "map_vintages": ", ".join(sorted({str(m) for f in self.files for m in f.map_vintages})),
            "periods": ", ".join(sorted({p for f in self.files for p in f.periods})),
            "rows_by_year": rows_by_year(self.frame),
            "belgium_totals": "; ".join(f"{f.filename}: {f.reconciliation}" for f in self.files if f.reconciliation)
            or "no file of this dataset carries a Belgium total",
            "unknown_labels": "; ".join(
                f"{f.filename}: {', '.join(repr(label) for label in f.unknown_labels)}"
                for f in self.files
                if f.unknown_labels
            )
            or "none",
            # The loader's choice of vintage per file, and what each file's parser dropped (totals
            # rows, pseudo codes such as 99999): the run report shows both.
            "vintages": {f.filename: f.choice for f in self.files},
            "dropped": {f.filename: dict(f.dropped) for f in self.files if any(f.dropped.values())},
            "not_loaded": list(self.ignored),
        }


def current_entries(archive: RawArchive, dataset: str, catalog: Catalog | None = None) -> list[ArchiveEntry]:
    """The current archived copy of each file (and year) of ``dataset`` (ingestion.vintages)."""
    return select_vintages(archive, catalog or load_catalog(), dataset).entries


def parse_entry(entry: ArchiveEntry, catalog: Catalog) -> pd.DataFrame:
    spec = catalog.dataset(entry.dataset).file(entry.file_id)
    declared_map = spec.map_vintage_for(entry.year) if entry.year is not None else None
    parse = parser_for(entry.layout)
    frame = parse(entry.path, dataset=entry.dataset, sha256=entry.sha256, year=entry.year, map_vintage=declared_map)
    check_coverage(frame, spec, entry.filename)
    attrs = {key: frame.attrs[key] for key in ("dropped", "reconciliation", "unknown_labels") if key in frame.attrs}
    rows = len(frame)
    frame = frame.assign(file_id=per_file_column(entry.file_id, rows), vintage=per_file_column(entry.vintage, rows))
    frame.attrs.update(attrs)
    return frame


def _parse_entries(entries: Sequence[ArchiveEntry], catalog: Catalog) -> list[pd.DataFrame]:
    """Each entry parsed, in order; the first that fails raises. One file at a time, the heap
    trimmed after each: a population year's text and columns take about 250 MB while it is
    parsed, and two years at once took the run's peak above 1 GB (for about 1 s saved)."""
    frames = []
    for entry in entries:
        frames.append(parse_entry(entry, catalog))
        give_back_freed_memory()
    return frames


def load_dataset(
    dataset: str, paths: HasRaw, catalog: Catalog | None = None, *, years: Sequence[int] | None = None
) -> DatasetLoad:
    """Parse the newest archived copy of every file of ``dataset``; with ``years`` (a yearly
    dataset's partitions), only the files of those years, each of which must be archived."""
    catalog = catalog or load_catalog()
    archive = RawArchive(paths.raw)
    archive.check_not_mixed()  # a hand-copied folder could hold both: never load them together
    selection = select_vintages(archive, catalog, dataset)
    why = {(c.entry.file_id, c.entry.year): c.describe() for c in selection.choices}
    entries = selection.entries
    if years is not None:
        archived = sorted({e.year for e in entries if e.year is not None})
        wanted = {int(y) for y in years}
        missing = sorted(wanted - set(archived))
        if missing:
            raise ArchiveError(
                f"dataset {dataset}: no archived file for year(s) {', '.join(map(str, missing))} "
                f"(archived years: {', '.join(map(str, archived)) or 'none'}); fetch them first, "
                "or run only the years that are archived"
            )
        entries = [e for e in entries if e.year in wanted]
    frames, files = [], []
    for entry, frame in zip(entries, _parse_entries(entries, catalog), strict=True):
        frames.append(frame)
        files.append(
            LoadedFile(
                file_id=entry.file_id,
                vintage=entry.vintage,
                filename=entry.filename,
                sha256=entry.sha256,
                rows=len(frame),
                map_vintages=tuple(sorted(int(m) for m in frame["map_vintage"].unique())),
                periods=tuple(sorted(frame["period"].unique())) or ("-",),
                dropped=frame.attrs.get("dropped", {}),
                reconciliation=reconciliation_summary(frame.attrs.get("reconciliation", {})),
                unknown_labels=tuple(frame.attrs.get("unknown_labels", ())),
                choice=why[(entry.file_id, entry.year)],
            )
        )
    if frames:
        frame = concat_files(frames)
    else:
        frame = empty_frame().assign(file_id=pd.Series(dtype="category"), vintage=pd.Series(dtype="category"))
    frame = frame[list(RAW_COLUMNS)]
    ignored = tuple(f"{e.vintage}/{e.filename}: {reason}" for e, reason in selection.ignored)
    return DatasetLoad(dataset=dataset, files=tuple(files), frame=frame, ignored=ignored)


def archived_years(dataset: str, paths: HasRaw, catalog: Catalog | None = None) -> tuple[int, ...]:
    """The years of a dataset's per-year files the archive holds a loadable copy of (never a
    retired copy, never a year outside the catalog's years)."""
    entries = current_entries(RawArchive(paths.raw), dataset, catalog)
    return tuple(sorted({e.year for e in entries if e.year is not None}))


def rows_by_year(frame: pd.DataFrame) -> dict[str, int]:
    """Rows per year of the data (the first four characters of the period: 2024, 2024Q3)."""
    if frame.empty:
        return {}
    counts = frame["period"].astype(str).str[:4].value_counts()
    return {str(year): int(n) for year, n in sorted(counts.items())}


def load_reference_communes() -> pd.DataFrame:
    return communes_565()


def source_manifest(paths: HasRaw, catalog: Catalog | None = None) -> pd.DataFrame:
    return manifest_frame(RawArchive(paths.raw), catalog or load_catalog())
