"""ingestion/reference.py: the one accessor of the seeds and ingestion's reference tables."""

from __future__ import annotations

import pytest

from ingestion import reference


def test_codes_stay_text_with_their_leading_zero_and_empty_cells_stay_empty():
    regions = reference.seed("provinces_regions").set_index("code")
    assert "02000" in regions.index  # the Flemish Region, never the number 2000
    assert not reference.seed("measures").isna().any().any()


def test_a_seed_is_a_copy_its_reader_may_change():
    first = reference.seed("crosswalk_2024_2025")
    first.loc[:, "to_nis"] = "changed"
    assert "changed" not in set(reference.seed("crosswalk_2024_2025")["to_nis"])
    assert len(reference.seed("crosswalk_2024_2025")) == 30


def test_an_unknown_table_is_an_error_naming_it():
    with pytest.raises(FileNotFoundError, match="dbt seed 'crosswalks': no file .*seeds/crosswalks.csv"):
        reference.seed("crosswalks")
    with pytest.raises(FileNotFoundError, match="reference table 'labels.csv': no file"):
        reference.reference_csv("labels.csv")


def test_ingestion_reference_tables_are_read_as_text():
    labels = reference.reference_csv("swing_labels.csv")
    assert {"label", "dataset", "measure"} <= set(labels.columns) and not labels.isna().any().any()


def test_additive_flags_and_units_come_from_the_measures_seed():
    assert "population_total" in reference.additive_measures("statbel_population")
    assert "median_income_per_declaration" not in reference.additive_measures("statbel_income")
    assert "unemployment_rate" not in reference.additive_measures("employment")
    assert reference.measure_units("schools")["pupils"] == "pupils"
    assert "pupils" in reference.measures_by_dataset()["schools"]
