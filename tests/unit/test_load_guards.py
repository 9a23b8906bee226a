"""What load_dataset refuses or reports before rows reach the warehouse: a national file missing a
whole region, an archive that mixes the synthetic sample with real files, and Swing labels no
table knows."""

from __future__ import annotations

import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from ingestion.archive import RawArchive
from ingestion.catalog import load_catalog
from ingestion.errors import ArchiveError, CoverageError
from ingestion.load import load_dataset

FIXED = "2025-03-01T10:00:00Z"
HEADER = "CD_REFNIS|TX_DESCR_NL|TX_DESCR_FR|CD_SEX|CD_NATLTY|CD_AGE|MS_POPULATION"


@dataclass(frozen=True)
class Paths:
    raw: Path


def population_zip(path: Path, codes: list[str], year: int = 2025) -> Path:
    rows = [f"{code}|x|x|M|BEL|30|{10 + i}" for i, code in enumerate(codes)]
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"TF_SOC_POP_STRUCT_{year}.txt", "\r\n".join([HEADER, *rows]) + "\r\n")
    return path


def store_population(tmp_path: Path, codes: list[str], origin: str = "download") -> RawArchive:
    tmp_path.mkdir(parents=True, exist_ok=True)
    archive = RawArchive(tmp_path / "raw")
    spec = load_catalog().dataset("statbel_population").file("pop_struct")
    source = population_zip(tmp_path / "TF_SOC_POP_STRUCT_2025.zip", codes)
    archive.store(source, spec=spec, year=2025, origin=origin, retrieved_at=FIXED)
    return archive


def test_a_national_file_with_a_whole_region_missing_is_refused(tmp_path):
    store_population(tmp_path, ["11002", "41002", "44021"])  # Antwerpen, Aalst, Gent: Flanders only
    with pytest.raises(CoverageError) as caught:
        load_dataset("statbel_population", Paths(tmp_path / "raw"))
    assert str(caught.value) == (
        "statbel_population: TF_SOC_POP_STRUCT_2025.zip covers only BE-VLG (3 communes); the catalog declares it "
        "national (every region): missing BE-WAL, BE-BRU"
    )


def test_a_national_file_with_every_region_loads(tmp_path):
    store_population(tmp_path, ["11002", "92094", "21004"])
    loaded = load_dataset("statbel_population", Paths(tmp_path / "raw"))
    assert sorted(loaded.frame["nis_code"].unique()) == ["11002", "21004", "92094"]


def test_a_regional_file_loads_with_its_region_only_and_reports_unknown_labels(tmp_path):
    archive = RawArchive(tmp_path / "raw")
    spec = load_catalog().dataset("arrivals").file("newcomers")
    source = tmp_path / "nieuwkomers - gemeenten.csv"
    source.write_text(
        '"gemeenten";"nieuwkomers|2024";"bewoners met een groene wagen|2024"\n"Aalst";662;3\n"Anderlecht";"-";4\n',
        encoding="utf-8",
    )
    entry = archive.store(source, spec=spec, origin="source_dir", retrieved_at=FIXED).entry
    loaded = load_dataset("arrivals", Paths(tmp_path / "raw"))  # BE-VLG only has values: declared regional
    assert loaded.files[0].unknown_labels == ("bewoners met een groene wagen",)
    assert loaded.describe() == [
        f"dataset arrivals: nieuwkomers - gemeenten.csv (vintage 2025-03-01, sha256 {entry.sha256[:12]}): 2 rows, "
        "map 565, periods 2024..2024, dropped {'totals_rows': 0, 'pseudo_codes': 0}, 1 unknown label(s) not loaded "
        "(add them to swing_labels.csv): 'bewoners met een groene wagen'; loaded vintage 2025-03-01 (the only copy, "
        "retrieved 2025-03-01T10:00:00Z)"
    ]
    assert loaded.metadata()["unknown_labels"] == "nieuwkomers - gemeenten.csv: 'bewoners met een groene wagen'"


def test_an_archive_mixing_the_sample_and_real_files_is_not_loaded(tmp_path):
    real = store_population(tmp_path / "real", ["11002", "92094", "21004"])
    sample = RawArchive(tmp_path / "sample" / "raw")
    rates = load_catalog().dataset("employment").file("onem_rates")
    source = tmp_path / "interact_taux_V1.csv"
    source.write_text("jaar;maand;level;zonegeog;graad;diff1an\n2025;13;5;92094;6.00;\n", encoding="utf-8")
    sample.store(source, spec=rates, origin="sample", retrieved_at=FIXED)
    shutil.copytree(sample.root / "employment", real.root / "employment")  # a hand-copied folder
    with pytest.raises(ArchiveError, match=r"mixes the synthetic sample \(1 files\) with real files \(1 files"):
        load_dataset("statbel_population", Paths(real.root))
