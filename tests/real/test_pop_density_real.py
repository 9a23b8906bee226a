"""Statbel's population-density table (SOURCES.md 4.2, Pop_density_en.xlsx): published truths,
reconciled with the table's own Belgium and region rows, and loaded through the archive."""

from __future__ import annotations

import pandas as pd
import pytest

from ingestion.archive import RawArchive
from ingestion.catalog import load_catalog
from ingestion.fetch import fetch
from ingestion.load import load_dataset
from ingestion.parsers.statbel_pop_totals import parse_statbel_pop_totals

pytestmark = pytest.mark.real
DATASET = "statbel_population_totals"


@pytest.fixture(scope="module")
def totals(data_real) -> pd.DataFrame:
    return parse_statbel_pop_totals(data_real / "statbel-population" / "Pop_density_en.xlsx", dataset=DATASET)


def test_581_communes_every_year_2019_to_2024(totals):
    assert totals.groupby("period")["nis_code"].nunique().to_dict() == {str(y): 581 for y in range(2019, 2025)}
    assert totals.attrs["map_vintages"] == {str(y): 581 for y in range(2019, 2025)}
    # Belgium, 3 regions, 10 provinces, 43 arrondissements per sheet: dropped and counted.
    assert totals.attrs["dropped"] == {"totals_rows": 6 * 57, "pseudo_codes": 0}
    assert totals["status"].eq("published").all() and set(totals["unit"]) == {"persons"}


def test_the_published_totals(totals):
    by_year = totals.groupby("period")["value"].sum().astype(int).to_dict()
    assert by_year["2019"] == 11_431_406
    assert by_year["2024"] == 11_763_650
    antwerpen = totals[(totals.nis_code == "11002") & (totals.period == "2019")]["value"]
    assert antwerpen.tolist() == [525_935]
    viroinval = totals[(totals.nis_code == "93090") & (totals.period == "2019")]["value"]
    assert viroinval.tolist() == [5_659]


def test_every_year_reconciles_with_belgium_and_the_three_regions(totals):
    assert totals.attrs["reconciliation"] == {
        str(y): {"01000": "reconciled", "02000": "reconciled", "03000": "reconciled", "04000": "reconciled"}
        for y in range(2019, 2025)
    }


def test_archived_under_its_own_name_and_loaded(data_real, tmp_path):
    folder = tmp_path / "downloads"
    folder.mkdir()
    (folder / "Pop_density_en.xlsx").write_bytes((data_real / "statbel-population" / "Pop_density_en.xlsx").read_bytes())
    archive = RawArchive(tmp_path / "data" / "raw")
    (item,) = fetch(load_catalog(), archive, source_dir=folder, retrieved_at="2025-03-01T10:00:00Z").items
    assert (item.dataset, item.file_id, item.status) == (DATASET, "pop_density", "stored")

    class Paths:
        raw = tmp_path / "data" / "raw"

    loaded = load_dataset(DATASET, Paths())
    assert loaded.describe() == [
        f"dataset {DATASET}: Pop_density_en.xlsx (vintage 2025-03-01, sha256 {item.entry.sha256[:12]}): 3486 rows, "
        "map 581, periods 2019..2024, dropped {'totals_rows': 342, 'pseudo_codes': 0}, Belgium totals: 24 reconciled; "
        "loaded vintage 2025-03-01 (the only copy, retrieved 2025-03-01T10:00:00Z)"
    ]
