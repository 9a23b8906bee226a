"""Commune name -> NIS matching on the 565 map (ingestion/names.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from ingestion.errors import ParseError
from ingestion.names import match_names, normalise_name

REPO = Path(__file__).resolve().parents[2]


def test_dutch_and_french_names():
    assert match_names(["Aalst", "Alost", "Luik", "Liège", "Sint-Jans-Molenbeek", "Molenbeek-Saint-Jean"],
                       dataset="d", file="f") == {
        "Aalst": "41002", "Alost": "41002", "Luik": "62063", "Liège": "62063",
        "Sint-Jans-Molenbeek": "21012", "Molenbeek-Saint-Jean": "21012"}


def test_case_accents_apostrophes_and_hyphens_are_forgiven():
    got = match_names(["LIEGE", "braine-l'alleud", "Braine-l’Alleud", "’s Gravenbrakel", "Sint Jans Molenbeek"],
                      dataset="d", file="f")
    assert got == {"LIEGE": "62063", "braine-l'alleud": "25014", "Braine-l’Alleud": "25014",
                   "’s Gravenbrakel": "55004", "Sint Jans Molenbeek": "21012"}


def test_tableau_suffix_is_ignored():
    assert match_names(["Aalst (Aalst)", "Kortrijk (Kortrijk)"], dataset="d", file="f") == {
        "Aalst (Aalst)": "41002", "Kortrijk (Kortrijk)": "34022"}


def test_the_two_saint_nicolas_are_told_apart():
    # ONEM prints Liège's Saint-Nicolas in French and writes the Flemish one Sint-Niklaas.
    assert match_names(["Saint-Nicolas", "Sint-Niklaas"], dataset="d", file="f") == {
        "Saint-Nicolas": "62093", "Sint-Niklaas": "46021"}


def test_merged_communes_of_2025_match_their_new_code():
    assert match_names(["Pajottegem", "Beveren-Kruibeke-Zwijndrecht", "Bastogne"], dataset="d", file="f") == {
        "Pajottegem": "23106", "Beveren-Kruibeke-Zwijndrecht": "46030", "Bastogne": "82039"}


def test_normalise_name():
    assert normalise_name("  Braine-l’Alleud ") == normalise_name("BRAINE L'ALLEUD") == "braine l alleud"


def test_unmatched_names_are_listed_never_dropped():
    with pytest.raises(ParseError) as info:
        match_names(["Aalst", "Atlantis", "Borsbeek", "Galmaarden"], dataset="arrivals", file="n.csv",
                    rows={"Atlantis": 3, "Borsbeek": 4, "Galmaarden": 5}, column="gemeenten")
    assert str(info.value) == (
        "dataset arrivals, file n.csv, row 3, column 'gemeenten': 3 name(s) match no commune of the 565 map: "
        "'Atlantis' (row 3), 'Borsbeek' (row 4), 'Galmaarden' (row 5); expected Dutch or French commune names "
        "of the 565-commune map (2025)"
    )


def test_unmatched_without_rows_still_names_dataset_and_file():
    with pytest.raises(ParseError, match=r"^dataset schools, file s\.csv: 1 name\(s\) match no commune .*'Nowhere'"):
        match_names(["Nowhere"], dataset="schools", file="s.csv")


# --- real file: Provincies in Cijfers' current commune list (SOURCES.md 1.4) ----------------


def _data_real() -> Path:
    base = os.environ.get("COHESION_SHARED_DIR")
    folder = Path(base) / "data-real" if base else REPO.parent / "shared" / "data-real"
    if not folder.is_dir():
        pytest.skip("../shared/data-real is absent: real-file tests skipped")
    return folder


@pytest.mark.real
def test_pinc_commune_list_matches_with_the_files_own_codes():
    sheet = pd.read_excel(_data_real() / "pinc-gebiedsniveaus" / "gebiedsdefinities_gemeente.xlsx", engine="calamine")
    assert len(sheet) == 308
    communes = sheet[sheet["geoitem code"] < 99990]  # the 4 pseudo-areas are 99991..99999
    assert len(communes) == 304
    matched = match_names(communes["name"], dataset="reference", file="gebiedsdefinities_gemeente.xlsx")
    assert len(matched) == 304
    assert matched == {name: str(code) for name, code in zip(communes["name"], communes["geoitem code"], strict=True)}


@pytest.mark.real
def test_pinc_pseudo_areas_match_no_commune():
    sheet = pd.read_excel(_data_real() / "pinc-gebiedsniveaus" / "gebiedsdefinities_gemeente.xlsx", engine="calamine")
    pseudo = sheet.loc[sheet["geoitem code"] > 99990, "name"].tolist()
    with pytest.raises(ParseError, match=r"4 name\(s\) match no commune of the 565 map: 'Buiten Vlaanderen en Brussel'"):
        match_names(pseudo, dataset="reference", file="gebiedsdefinities_gemeente.xlsx")
