"""Correcting the archive without erasing it: which copy is loaded, retire, restore, supply again,
years outside the catalog, and fetches that archive all of their files or none."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from ingestion.archive import LEDGER_DIR, RawArchive
from ingestion.catalog import Catalog, FileSpec, load_catalog, parse_catalog
from ingestion.errors import ArchiveError, CatalogError
from ingestion.fetch import fetch
from ingestion.files import unpacked_size
from ingestion.load import archived_years
from ingestion.vintages import listing, select_vintages
from ingestion.settings import Paths

FIXED = "2025-12-01T00:00:00Z"
LATER = "2026-02-01T00:00:00Z"
POP_HEADER = "CD_REFNIS|TX_DESCR_NL|TX_DESCR_FR|CD_SEX|CD_NATLTY|CD_AGE|MS_POPULATION"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture
def pop(catalog: Catalog) -> FileSpec:
    return catalog.dataset("statbel_population").file("pop_struct")


def population_zip(year: int, people: int = 2) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"TF_SOC_POP_STRUCT_{year}.txt", f"{POP_HEADER}\r\n21001|A|A|M|BEL|30|{people}\r\n")
    return buffer.getvalue()


def tree(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*")) if p.is_file()
    }


def write(path: Path, content: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


# ---- which copy is loaded --------------------------------------------------------------------


def test_the_good_file_handed_back_is_current_again(tmp_path: Path, catalog: Catalog, pop: FileSpec) -> None:
    archive = RawArchive(tmp_path / "raw")
    good = write(tmp_path / "good" / "TF_SOC_POP_STRUCT_2025.zip", population_zip(2025, 2))
    bad = write(tmp_path / "bad" / "TF_SOC_POP_STRUCT_2025.zip", population_zip(2025, 20))
    first = archive.store(good, spec=pop, year=2025, origin="source_dir", retrieved_at=FIXED).entry
    poisoned = archive.store(bad, spec=pop, year=2025, origin="source_dir", retrieved_at=LATER).entry
    assert select_vintages(archive, catalog, "statbel_population").entries == [poisoned]

    again = archive.store(good, spec=pop, year=2025, origin="source_dir", retrieved_at="2026-03-01T00:00:00Z")

    assert (again.created, again.entry) == (False, first)
    assert again.note == f"current again (it replaces vintage {poisoned.vintage})"
    (choice,) = select_vintages(archive, catalog, "statbel_population").choices
    assert choice.entry == first
    assert choice.describe() == (
        "vintage 2025 (supplied again on 2026-03-01T00:00:00Z by "
        f"{again_by(archive)}: the same bytes were supplied again; replaces vintage {poisoned.vintage}; not loaded: "
        f"{poisoned.vintage} (supplied earlier))"
    )
    # Handing it in once more records nothing: it is already the current copy.
    before = tree(tmp_path / "raw")
    assert archive.store(good, spec=pop, year=2025, origin="source_dir", retrieved_at="2026-04-01T00:00:00Z").note is None
    assert tree(tmp_path / "raw") == before


def again_by(archive: RawArchive) -> str:
    return archive.decisions()[-1].by


def test_a_clock_behind_the_archive_still_makes_the_good_copy_current(tmp_path: Path, catalog: Catalog, pop: FileSpec) -> None:
    archive = RawArchive(tmp_path / "raw")
    good = write(tmp_path / "good" / "p.zip", population_zip(2025, 2))
    archive.store(good, spec=pop, year=2025, origin="source_dir", retrieved_at=FIXED)
    archive.store(write(tmp_path / "bad" / "p.zip", population_zip(2025, 20)), spec=pop, year=2025,
                  origin="source_dir", retrieved_at=LATER)  # fmt: skip
    archive.store(good, spec=pop, year=2025, origin="source_dir", retrieved_at="2026-01-01T00:00:00Z")
    assert select_vintages(archive, catalog, "statbel_population").entries[0].vintage == "2025"
    assert archive.decisions()[-1].at == "2026-02-01T00:00:01Z"


def test_a_retired_copy_stays_on_disk_and_is_never_loaded(tmp_path: Path, catalog: Catalog, pop: FileSpec) -> None:
    archive = RawArchive(tmp_path / "raw")
    good = archive.store(write(tmp_path / "g.zip", population_zip(2025, 2)), spec=pop, year=2025,
                         origin="source_dir", retrieved_at=FIXED).entry  # fmt: skip
    bad_file = write(tmp_path / "b.zip", population_zip(2025, 20))
    bad = archive.store(bad_file, spec=pop, year=2025, origin="source_dir", retrieved_at=LATER).entry
    files_before = {k: v for k, v in tree(tmp_path / "raw").items() if not k.startswith(LEDGER_DIR)}

    decision = archive.retire(bad, reason="Saint-Gilles x10: a test file handed in by mistake", by="data team",
                              at="2026-02-02T09:00:00Z")  # fmt: skip

    assert decision.describe() == (
        "retired on 2026-02-02T09:00:00Z by data team: Saint-Gilles x10: a test file handed in by mistake"
    )
    assert bad.path.read_bytes() == bad_file.read_bytes()  # on disk, untouched
    assert {k: v for k, v in tree(tmp_path / "raw").items() if not k.startswith(LEDGER_DIR)} == files_before
    (choice,) = select_vintages(archive, catalog, "statbel_population").choices
    assert choice.entry == good
    assert choice.left_aside == (f"{bad.vintage} ({decision.describe()})",)
    states = [(item.entry.vintage, item.state) for item in listing(archive, catalog)]
    assert states == [("2025", "current"), (bad.vintage, "retired")]
    # Handed in again, a retired copy stays out, and the note says how to bring it back.
    again = archive.store(bad_file, spec=pop, year=2025, origin="source_dir", retrieved_at="2026-03-01T00:00:00Z")
    assert again.note == (
        f"that copy is {decision.describe()}; it is not loaded (`cohesion archive restore statbel_population "
        f"{bad.vintage}` to use it again)"
    )
    assert select_vintages(archive, catalog, "statbel_population").entries == [good]
    with pytest.raises(ArchiveError, match="is already retired"):
        archive.retire(bad, reason="again")

    archive.restore(bad, reason="it was right after all", by="data team", at="2026-03-02T00:00:00Z")
    assert select_vintages(archive, catalog, "statbel_population").entries == [bad]


def test_retiring_needs_a_reason_and_an_existing_copy(tmp_path: Path, pop: FileSpec) -> None:
    archive = RawArchive(tmp_path / "raw")
    entry = archive.store(write(tmp_path / "g.zip", population_zip(2025)), spec=pop, year=2025,
                          origin="source_dir", retrieved_at=FIXED).entry  # fmt: skip
    with pytest.raises(ArchiveError) as no_reason:
        archive.retire(entry, reason="  ")
    assert str(no_reason.value) == (
        "statbel_population/2025/TF_SOC_POP_STRUCT_2025.zip: say why it is retired (--reason), for whoever reads "
        "the archive next"
    )
    with pytest.raises(ArchiveError) as unknown:
        archive.find("statbel_population", "2031")
    assert str(unknown.value) == (
        "the archive holds no vintage '2031' of dataset 'statbel_population' (its vintages: 2025; see "
        "`cohesion archive list`)"
    )
    with pytest.raises(ArchiveError, match="is not retired; nothing to restore"):
        archive.restore(entry, reason="x")


def test_every_copy_retired_leaves_the_year_unloaded(tmp_path: Path, catalog: Catalog, pop: FileSpec) -> None:
    archive = RawArchive(tmp_path / "raw")
    entry = archive.store(write(tmp_path / "g.zip", population_zip(2025)), spec=pop, year=2025,
                          origin="source_dir", retrieved_at=FIXED).entry  # fmt: skip
    archive.retire(entry, reason="wrong year")
    assert select_vintages(archive, catalog, "statbel_population").choices == ()
    assert archived_years("statbel_population", Paths(tmp_path)) == ()


# ---- years within the catalog's bounds --------------------------------------------------------


def test_a_file_for_a_year_outside_the_catalog_is_refused_when_archived(tmp_path: Path, pop: FileSpec) -> None:
    archive = RawArchive(tmp_path / "raw")
    with pytest.raises(ArchiveError) as refused:
        archive.store(write(tmp_path / "p.zip", population_zip(2031)), spec=pop, year=2031, origin="source_dir")
    assert str(refused.value) == (
        "TF_SOC_POP_STRUCT_2031.zip: year 2031 is outside the catalog's years for statbel_population/pop_struct "
        "(2015..2026; if the publisher really offers it, extend `years` in ingestion/catalog.yml); nothing was archived"
    )
    assert not (tmp_path / "raw").exists()


def test_fetch_refuses_a_folder_file_of_a_future_year_in_one_line(tmp_path: Path, catalog: Catalog) -> None:
    folder = tmp_path / "downloads"
    write(folder / "TF_SOC_POP_STRUCT_2031.zip", population_zip(2031))
    archive = RawArchive(tmp_path / "raw")
    (item,) = fetch(catalog, archive, source_dir=folder).items
    assert item.line() == (
        "failed    statbel_population/pop_struct TF_SOC_POP_STRUCT_2031.zip: TF_SOC_POP_STRUCT_2031.zip: year 2031 is "
        "outside the catalog's years for statbel_population/pop_struct (2015..2026; if the publisher really offers "
        "it, extend `years` in ingestion/catalog.yml); nothing was archived"
    )
    assert archive.entries() == ()
    with pytest.raises(ArchiveError, match=r"^--year 2031 is outside the catalog's years \(statbel_population/pop_struct 2015..2026\)"):
        fetch(catalog, archive, dataset="statbel_population", year=2031, mode="offline")


def test_an_archive_that_already_holds_a_future_year_never_loads_it(tmp_path: Path, catalog: Catalog, pop: FileSpec) -> None:
    archive = RawArchive(tmp_path / "raw")
    archive.store(write(tmp_path / "p.zip", population_zip(2025)), spec=pop, year=2025, origin="source_dir",
                  retrieved_at=FIXED)  # fmt: skip
    future = plant_entry(archive, pop, 2031, population_zip(2031))  # archived by an older version
    selection = select_vintages(archive, catalog, "statbel_population")
    assert [e.year for e in selection.entries] == [2025]
    assert selection.ignored == ((future, "year 2031 is outside the catalog's years 2015..2026"),)
    assert archived_years("statbel_population", Paths(tmp_path)) == (2025,)
    assert [item.state for item in listing(archive, catalog)] == ["current", "ignored"]


def plant_entry(archive: RawArchive, spec: FileSpec, year: int, content: bytes):
    """Put a file and its sidecar in the archive by hand, as a version without the year check did."""
    folder = archive.root / spec.dataset / str(year)
    folder.mkdir(parents=True)
    name = spec.filename_for(year)
    (folder / name).write_bytes(content)
    meta = {
        "dataset": spec.dataset, "file_id": spec.id, "layout": spec.layout, "vintage": str(year), "year": year,
        "filename": name, "url": None, "size": len(content), "sha256": hashlib.sha256(content).hexdigest(),
        "retrieved_at": FIXED, "etag": None, "last_modified": None, "origin": "source_dir",
    }
    (folder / f"{name}.meta.json").write_text(json.dumps(meta))
    return next(e for e in archive.entries(spec.dataset) if e.year == year)


# ---- fetch archives all of its files or none --------------------------------------------------


def test_a_symbolic_link_in_the_folder_is_refused_and_nothing_is_archived(tmp_path: Path, catalog: Catalog) -> None:
    folder = tmp_path / "downloads"
    write(folder / "TF_SOC_POP_STRUCT_2025.zip", population_zip(2025))
    (folder / "TF_SOC_POP_STRUCT_2024.zip").symlink_to("/etc/passwd")
    archive = RawArchive(tmp_path / "raw")
    report = fetch(catalog, archive, source_dir=folder)
    assert [(i.filename, i.status) for i in report.items] == [
        ("TF_SOC_POP_STRUCT_2024.zip", "failed"), ("TF_SOC_POP_STRUCT_2025.zip", "held back"),
    ]
    assert report.items[0].reason == (
        f"is a symbolic link (to /etc/passwd), not a file of {folder.resolve()}: copy the file itself into the "
        "folder; nothing was archived"
    )
    assert archive.entries() == () and not (tmp_path / "raw" / "statbel_population").exists()


def test_a_fetch_interrupted_midway_archives_nothing(tmp_path: Path, catalog: Catalog, monkeypatch) -> None:
    folder = tmp_path / "downloads"
    for year in (2023, 2024, 2025):
        write(folder / f"TF_SOC_POP_STRUCT_{year}.zip", population_zip(year))
    archive = RawArchive(tmp_path / "raw")
    real_store = RawArchive.store
    stored = []

    def store_then_interrupt(self, source, **kwargs):
        if len(stored) == 2:
            raise KeyboardInterrupt  # Ctrl-C while the third file is being archived
        stored.append(real_store(self, source, **kwargs))
        return stored[-1]

    monkeypatch.setattr(RawArchive, "store", store_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        fetch(catalog, archive, source_dir=folder)
    assert len(stored) == 2 and all(not r.entry.path.exists() for r in stored)
    assert archive.entries() == ()
    assert [p for p in (tmp_path / "raw").rglob("*") if p.is_file()] == []


def test_a_killed_fetch_is_undone_by_the_next_one(tmp_path: Path, catalog: Catalog, pop: FileSpec) -> None:
    archive = RawArchive(tmp_path / "raw")
    child = f"""
import os, signal, sys
sys.path.insert(0, {str(Path(__file__).resolve().parents[2])!r})
from ingestion.archive import RawArchive
from ingestion.catalog import load_catalog
spec = load_catalog().dataset("statbel_population").file("pop_struct")
archive = RawArchive({str(archive.root)!r})
with archive.transaction():
    archive.store({str(write(tmp_path / 'p.zip', population_zip(2024)))!r}, spec=spec, year=2024, origin="source_dir")
    os.kill(os.getpid(), signal.SIGKILL)  # killed before the transaction ends
"""
    subprocess.run([sys.executable, "-c", child], check=False)
    assert [e.year for e in archive.entries()] == [2024]  # left behind by the killed writer
    removed = archive.undo_interrupted()
    assert sorted(p.name for p in removed) == ["TF_SOC_POP_STRUCT_2024.zip", "TF_SOC_POP_STRUCT_2024.zip.meta.json"]
    assert archive.entries() == ()


def test_a_file_that_unpacks_beyond_its_dataset_limit_is_refused(tmp_path: Path) -> None:
    document = {
        "datasets": [
            {
                "id": "statbel_population", "publisher": "Statbel", "title": "t", "licence": "l", "attribution": "a",
                "landing_page": "https://statbel.example", "domain": "demography", "cadence": "yearly",
                "max_unpacked_mb": 1,
                "files": [{
                    "id": "pop_struct", "layout": "statbel_pop_struct", "filename": "TF_SOC_POP_STRUCT_{year}.zip",
                    "url": None, "years": [2015, 2026], "vintage": "{year}", "member": "TF_SOC_POP_STRUCT_{year}.txt",
                    "map_vintage": {"..": 565},
                }],
            }
        ]
    }
    small = parse_catalog(document)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive_zip:
        # A header and 2 MB of blank padding: 2 KB packed, 2 MB unpacked.
        archive_zip.writestr("TF_SOC_POP_STRUCT_2025.txt", f"{POP_HEADER}\r\n21001|A|A|M|BEL|30|2\r\n" + " " * 2_000_000)
    folder = tmp_path / "downloads"
    bomb = write(folder / "TF_SOC_POP_STRUCT_2025.zip", buffer.getvalue())
    assert unpacked_size(bomb) > 2_000_000 > bomb.stat().st_size * 100
    (item,) = fetch(small, RawArchive(tmp_path / "raw"), source_dir=folder).items
    assert (item.status, item.reason) == (
        "failed",
        "TF_SOC_POP_STRUCT_2025.zip unpacks to 2 MB, above the catalog's limit of 1 MB for dataset "
        "statbel_population (max_unpacked_mb); nothing was archived",
    )


def test_every_dataset_of_the_catalog_declares_its_unpacked_limit(catalog: Catalog) -> None:
    assert {d.id: d.max_unpacked_mb is not None for d in catalog.datasets} == {d.id: True for d in catalog.datasets}
    with pytest.raises(CatalogError, match=r"max_unpacked_mb must be a whole number of MB above 0, found -5"):
        parse_catalog({"datasets": [{
            "id": "schools", "publisher": "p", "title": "t", "licence": "l", "attribution": "a",
            "landing_page": "https://x.example", "domain": "d", "cadence": "yearly", "max_unpacked_mb": -5,
            "files": [{"id": "counts", "layout": "canonical_csv", "filename": "schools_{year}.csv", "url": None,
                       "years": [2015, 2026], "vintage": "{year}", "map_vintage": {"..": 565}}],
        }]})
