"""The raw archive keeps every file byte for byte and never overwrites or deletes."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
from pathlib import Path

import pandas as pd
import pytest

from ingestion.archive import MANIFEST_COLUMNS, RawArchive, manifest_frame
from ingestion.catalog import Catalog, FileSpec, load_catalog
from ingestion.errors import ArchiveError

FIXED = "2025-03-01T10:00:00Z"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture
def pop(catalog: Catalog) -> FileSpec:
    return catalog.dataset("statbel_population").file("pop_struct")


@pytest.fixture
def rates(catalog: Catalog) -> FileSpec:
    return catalog.dataset("employment").file("onem_rates")


def write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


def tree(root: Path) -> dict[str, str]:
    """Every file under ``root`` with the SHA-256 of its bytes."""
    files = sorted(p for p in root.rglob("*") if p.is_file())
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def test_store_writes_the_file_and_its_sidecar(tmp_path: Path, pop: FileSpec) -> None:
    archive = RawArchive(tmp_path / "raw")
    source = write(tmp_path / "TF_SOC_POP_STRUCT_2015.zip", b"first bytes")
    result = archive.store(source, spec=pop, year=2015, origin="download", retrieved_at=FIXED, etag='"e1"')
    entry = result.entry
    assert result.created
    assert entry.path == tmp_path / "raw/statbel_population/2015/TF_SOC_POP_STRUCT_2015.zip"
    assert entry.path.read_bytes() == b"first bytes"
    meta = json.loads((entry.path.parent / "TF_SOC_POP_STRUCT_2015.zip.meta.json").read_text())
    assert meta == {
        "dataset": "statbel_population",
        "file_id": "pop_struct",
        "layout": "statbel_pop_struct",
        "vintage": "2015",
        "year": 2015,
        "filename": "TF_SOC_POP_STRUCT_2015.zip",
        "url": pop.url_for(2015),
        "size": 11,
        "sha256": hashlib.sha256(b"first bytes").hexdigest(),
        "retrieved_at": "2025-03-01T10:00:00Z",
        "etag": '"e1"',
        "last_modified": None,
        "origin": "download",
        "recognised_by": None,
    }
    assert not entry.path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)  # read-only
    assert entry.source_file.name == "TF_SOC_POP_STRUCT_2015.zip"
    assert archive.entries() == (entry,)
    assert not list((tmp_path / "raw").rglob("*.part"))


def test_same_bytes_again_is_a_no_op(tmp_path: Path, pop: FileSpec) -> None:
    archive = RawArchive(tmp_path / "raw")
    source = write(tmp_path / "a.zip", b"same")
    first = archive.store(source, spec=pop, year=2015, origin="download", retrieved_at=FIXED)
    before = tree(tmp_path / "raw")
    again = archive.store(source, spec=pop, year=2015, origin="source_dir", retrieved_at="2026-01-01T00:00:00Z")
    assert (again.created, again.entry) == (False, first.entry)
    assert again.entry.origin == "download"  # the existing entry, untouched
    assert tree(tmp_path / "raw") == before


def test_other_bytes_go_beside_under_a_new_vintage(tmp_path: Path, pop: FileSpec) -> None:
    archive = RawArchive(tmp_path / "raw")
    old_file = write(tmp_path / "a.zip", b"old release")
    old = archive.store(old_file, spec=pop, year=2015, origin="download", retrieved_at=FIXED)
    new_sha = hashlib.sha256(b"restated release").hexdigest()
    new = archive.store(
        write(tmp_path / "b.zip", b"restated release"), spec=pop, year=2015, origin="download",
        retrieved_at="2025-06-01T10:00:00Z",
    )
    assert new.created and new.entry.vintage == f"2015+{new_sha[:8]}"
    assert new.entry.path == tmp_path / f"raw/statbel_population/2015+{new_sha[:8]}/TF_SOC_POP_STRUCT_2015.zip"
    assert old.entry.path.read_bytes() == b"old release"  # intact
    assert [e.vintage for e in archive.entries("statbel_population")] == ["2015", f"2015+{new_sha[:8]}"]
    assert archive.latest("statbel_population", "pop_struct", 2015) == new.entry
    assert archive.latest("statbel_population", "pop_struct", 2016) is None


def test_a_fixed_url_file_is_archived_under_its_utc_retrieval_date(tmp_path: Path, rates: FileSpec) -> None:
    archive = RawArchive(tmp_path / "raw")
    entry = archive.store(
        write(tmp_path / "r.csv", b"jaar;maand\n"),
        spec=rates,
        origin="download",
        retrieved_at="2025-03-01T23:30:00-02:00",
    ).entry
    assert (entry.vintage, entry.retrieved_at, entry.year) == ("2025-03-02", "2025-03-02T01:30:00Z", None)
    assert entry.path.relative_to(tmp_path / "raw").as_posix() == "employment/2025-03-02/interact_taux_V1.csv"


def test_a_fixed_retrieved_at_gives_byte_identical_archives(tmp_path: Path, rates: FileSpec) -> None:
    source = write(tmp_path / "r.csv", b"jaar;maand\n")
    for name in ("one", "two"):
        RawArchive(tmp_path / name).store(source, spec=rates, origin="sample", retrieved_at=FIXED)
    assert tree(tmp_path / "one") == tree(tmp_path / "two")


def test_a_time_without_zone_is_refused(tmp_path: Path, rates: FileSpec) -> None:
    with pytest.raises(ArchiveError, match=r"^retrieved_at 2025-03-01T10:00:00 has no time zone; pass a UTC time$"):
        RawArchive(tmp_path / "raw").store(
            write(tmp_path / "r.csv", b"x"), spec=rates, origin="download", retrieved_at="2025-03-01T10:00:00"
        )


def test_a_checksum_mismatch_archives_nothing(tmp_path: Path, rates: FileSpec) -> None:
    with pytest.raises(ArchiveError, match=r"changed after it was read .* nothing was archived$"):
        RawArchive(tmp_path / "raw").store(
            write(tmp_path / "r.csv", b"x"), spec=rates, origin="download", expected_sha256="0" * 64
        )
    assert not (tmp_path / "raw").exists() or not any((tmp_path / "raw").rglob("*"))


def test_an_interrupted_store_is_completed_not_duplicated(tmp_path: Path, rates: FileSpec) -> None:
    archive = RawArchive(tmp_path / "raw")
    first = archive.store(write(tmp_path / "r.csv", b"rates"), spec=rates, origin="download", retrieved_at=FIXED)
    meta = first.entry.path.with_name("interact_taux_V1.csv.meta.json")
    meta.unlink()  # what a crash between the data file and its sidecar leaves
    again = archive.store(tmp_path / "r.csv", spec=rates, origin="download", retrieved_at=FIXED)
    assert again.created and again.entry.path == first.entry.path and meta.exists()
    assert [e.vintage for e in archive.entries()] == ["2025-03-01"]


def test_a_damaged_sidecar_is_reported(tmp_path: Path, rates: FileSpec) -> None:
    archive = RawArchive(tmp_path / "raw")
    entry = archive.store(write(tmp_path / "r.csv", b"rates"), spec=rates, origin="download", retrieved_at=FIXED).entry
    meta = entry.path.with_name("interact_taux_V1.csv.meta.json")
    os.chmod(meta, 0o644)
    meta.write_text("{}")
    with pytest.raises(ArchiveError, match=r"archive sidecar .*interact_taux_V1.csv.meta.json is unreadable"):
        archive.entries()


def test_unknown_origin_is_refused(tmp_path: Path, rates: FileSpec) -> None:
    expected = r"^origin must be one of \['download', 'sample', 'source_dir'\], found 'ftp'$"
    with pytest.raises(ArchiveError, match=expected):
        RawArchive(tmp_path / "raw").store(write(tmp_path / "r.csv", b"x"), spec=rates, origin="ftp")


def test_manifest_frame_is_the_sources_table(tmp_path: Path, catalog: Catalog, pop: FileSpec) -> None:
    archive = RawArchive(tmp_path / "raw")
    archive.store(write(tmp_path / "p.zip", b"pop"), spec=pop, year=2015, origin="download", retrieved_at=FIXED)
    counts = catalog.dataset("schools").file("counts")
    archive.store(write(tmp_path / "s.csv", b"nis_code\n"), spec=counts, year=2024, origin="source_dir",
                  retrieved_at=FIXED)  # fmt: skip
    frame = manifest_frame(archive, catalog)
    assert tuple(frame.columns) == MANIFEST_COLUMNS
    assert frame[["dataset", "vintage", "file", "origin"]].values.tolist() == [
        ["schools", "2024", "schools_2024.csv", "source_dir"],
        ["statbel_population", "2015", "TF_SOC_POP_STRUCT_2015.zip", "download"],
    ]
    assert frame.loc[0, "licence"] == "as stated by the data team for each delivery"  # the file's own terms
    assert pd.isna(frame.loc[0, "url"])
    assert frame.loc[1, "licence"] == "CC BY 4.0"
    assert frame.loc[1, "size"] == 3
    assert frame.loc[1, "retrieved_at"] == pd.Timestamp("2025-03-01T10:00:00Z")


def test_manifest_of_an_empty_archive_has_the_columns(tmp_path: Path, catalog: Catalog) -> None:
    frame = manifest_frame(RawArchive(tmp_path / "nothing"), catalog)
    assert tuple(frame.columns) == MANIFEST_COLUMNS and len(frame) == 0


# ---- a file's own name, and the sample never beside real files ------------------------------------


def test_a_recognised_file_is_archived_under_its_own_name(tmp_path: Path, catalog: Catalog) -> None:
    archive = RawArchive(tmp_path / "raw")
    spec = catalog.dataset("arrivals").file("newcomers_non_eu_rate")
    own = "nieuwkomers niet-EU per 1.000 inwoners 18_ jaar niet-EU -%2.csv"
    entry = archive.store(write(tmp_path / "x.csv", b"rates"), spec=spec, origin="source_dir", retrieved_at=FIXED,
                          filename=own, recognised_by="content").entry  # fmt: skip
    assert entry.path.relative_to(tmp_path / "raw").as_posix() == f"arrivals/2025-03-01/{own}"
    meta = json.loads(entry.path.with_name(own + ".meta.json").read_text())
    assert (meta["filename"], meta["layout"], meta["recognised_by"]) == (own, "swing_csv", "content")
    assert archive.entries() == (entry,)


@pytest.mark.parametrize("name", ["../escape.csv", "a/b.csv", ".hidden.csv", "x\\y.csv", "name.", "tab\there.csv", ""])
def test_a_name_that_could_leave_the_archive_is_refused(tmp_path: Path, rates: FileSpec, name: str) -> None:
    with pytest.raises(ArchiveError, match=r"cannot be used as an archive folder or file name$"):
        RawArchive(tmp_path / "raw").store(write(tmp_path / "r.csv", b"x"), spec=rates, origin="download",
                                           filename=name)  # fmt: skip
    assert not (tmp_path / "raw").exists()


def test_real_files_are_refused_into_an_archive_that_holds_the_sample(tmp_path: Path, rates: FileSpec,
                                                                       pop: FileSpec) -> None:  # fmt: skip
    archive = RawArchive(tmp_path / "raw")
    archive.store(write(tmp_path / "s.csv", b"synthetic"), spec=rates, origin="sample", retrieved_at=FIXED)
    before = tree(tmp_path / "raw")
    for origin in ("download", "source_dir"):
        with pytest.raises(ArchiveError) as caught:
            archive.store(write(tmp_path / "p.zip", b"real"), spec=pop, year=2015, origin=origin)
        assert str(caught.value) == (
            f"the archive {tmp_path / 'raw'} holds the synthetic sample (1 files); real files cannot be mixed with "
            "it: use another COHESION_DATA_DIR"
        )
    assert tree(tmp_path / "raw") == before


def test_the_sample_is_refused_into_an_archive_of_real_files(tmp_path: Path, rates: FileSpec, pop: FileSpec) -> None:
    archive = RawArchive(tmp_path / "raw")
    archive.store(write(tmp_path / "p.zip", b"real"), spec=pop, year=2015, origin="download", retrieved_at=FIXED)
    before = tree(tmp_path / "raw")
    with pytest.raises(ArchiveError) as caught:
        archive.store(write(tmp_path / "s.csv", b"synthetic"), spec=rates, origin="sample", retrieved_at=FIXED)
    assert str(caught.value) == (
        f"the archive {tmp_path / 'raw'} holds real publisher files (1 files); the synthetic sample cannot be mixed "
        "with them: use another COHESION_DATA_DIR"
    )
    assert tree(tmp_path / "raw") == before


def test_an_archive_mixed_by_hand_is_refused(tmp_path: Path, rates: FileSpec, pop: FileSpec) -> None:
    real = RawArchive(tmp_path / "real")
    real.store(write(tmp_path / "p.zip", b"real"), spec=pop, year=2015, origin="download", retrieved_at=FIXED)
    sample = RawArchive(tmp_path / "sample")
    sample.store(write(tmp_path / "s.csv", b"synthetic"), spec=rates, origin="sample", retrieved_at=FIXED)
    shutil.copytree(tmp_path / "sample" / "employment", tmp_path / "real" / "employment")  # copied by hand
    with pytest.raises(ArchiveError) as caught:
        real.check_not_mixed()
    assert str(caught.value) == (
        f"the archive {tmp_path / 'real'} mixes the synthetic sample (1 files) with real files (1 files, e.g. "
        "statbel_population/2015/TF_SOC_POP_STRUCT_2015.zip); they cannot be loaded together: keep one kind per "
        "COHESION_DATA_DIR"
    )
    sample.check_not_mixed()  # one kind only: fine
