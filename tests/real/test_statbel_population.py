"""TF_SOC_POP_STRUCT: the real 2015 file (older layout, SOURCES.md 4.1), then small synthetic
files in the newer 21-column layout, of which no real file is available."""

from __future__ import annotations

import time
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from ingestion.errors import ParseError
from ingestion.parsers.statbel_population import AGE_BANDS, parse_statbel_pop_struct

DATASET = "statbel_population"
BELGIUM_2015 = 11_209_044  # residents on 1 January 2015 (Statbel)
BRUSSELS_2015 = 1_175_173


@pytest.fixture(scope="module")
def pop2015(data_real: Path) -> pd.DataFrame:
    started = time.perf_counter()
    frame = parse_statbel_pop_struct(
        data_real / "statbel-population" / "TF_SOC_POP_STRUCT_2015.zip", dataset=DATASET
    )
    frame.attrs["seconds"] = time.perf_counter() - started
    return frame


@pytest.fixture(scope="module")
def wide2015(pop2015: pd.DataFrame) -> pd.DataFrame:
    return pop2015.pivot(index="nis_code", columns="measure", values="value")


@pytest.mark.real
def test_2015_has_the_589_communes_of_the_old_map(pop2015):
    assert pop2015["nis_code"].nunique() == 589
    assert set(pop2015["map_vintage"]) == {589}
    assert set(pop2015["period"]) == {"2015"}
    assert len(pop2015) == 589 * 12
    assert pop2015.attrs["dropped"] == {"totals_rows": 0, "pseudo_codes": 0}
    assert set(pop2015["status"]) == {"published"} and set(pop2015["unit"]) == {"persons"}


@pytest.mark.real
def test_total_is_belgium_on_1_january_2015(wide2015):
    assert wide2015["population_total"].sum() == BELGIUM_2015
    # Brussels rows have a blank province in the raw file; they must all be there.
    brussels = wide2015.loc[wide2015.index.str.startswith("21"), "population_total"]
    assert len(brussels) == 19 and brussels.sum() == BRUSSELS_2015


@pytest.mark.real
def test_non_belgian_share_top_communes_match_sources(wide2015):
    share = (wide2015["population_non_belgian"] / wide2015["population_total"]).sort_values(ascending=False)
    top = [(code, round(100 * value, 1)) for code, value in share.head(4).items()]
    # Baerle-Duc, Raeren, Saint-Gilles, Ixelles (SOURCES.md 4.1)
    assert top == [("13002", 49.3), ("63061", 48.5), ("21013", 48.2), ("21009", 47.6)]


@pytest.mark.real
def test_sexes_nationalities_and_age_bands_each_sum_to_the_total(wide2015):
    total = wide2015["population_total"]
    pd.testing.assert_series_equal(
        wide2015["population_male"] + wide2015["population_female"], total, check_names=False
    )
    pd.testing.assert_series_equal(
        wide2015["population_belgian"] + wide2015["population_non_belgian"], total, check_names=False
    )
    bands = wide2015[[band for band, _, _ in AGE_BANDS]].sum(axis=1)
    pd.testing.assert_series_equal(bands, total, check_names=False)


@pytest.mark.real
def test_a_few_communes_as_published(wide2015):
    assert wide2015.loc["21004", "population_total"] == 175_534  # Bruxelles
    assert wide2015.loc["11002", "population_total"] == 513_570  # Antwerpen
    assert wide2015.loc["13002", "population_total"] == 2_680  # Baerle-Duc


@pytest.mark.real
def test_the_103_mb_file_parses_in_seconds(pop2015):
    # A few seconds on a laptop; the bound leaves room for a slow CI machine.
    assert pop2015.attrs["seconds"] < 20


# --- the newer layout (CD_REFNIS, TX_DESCR_*, 21 columns, no CD_YEAR) ----------------------

NEW_HEADER = (
    "CD_REFNIS|TX_DESCR_NL|TX_DESCR_FR|CD_DSTR_REFNIS|TX_ADM_DSTR_DESCR_NL|TX_ADM_DSTR_DESCR_FR|"
    "CD_PROV_REFNIS|TX_PROV_DESCR_NL|TX_PROV_DESCR_FR|CD_RGN_REFNIS|TX_RGN_DESCR_NL|TX_RGN_DESCR_FR|"
    "CD_SEX|CD_NATLTY|TX_NATLTY_NL|TX_NATLTY_FR|CD_CIV_STS|TX_CIV_STS_NL|TX_CIV_STS_FR|CD_AGE|MS_POPULATION"
)
# (code, name, province, sex, nationality, age, people); 46030 exists only on the 565 map.
NEW_ROWS = [
    ("11002", "Antwerpen", "10000", "M", "BEL", 1, 10),
    ("11002", "Antwerpen", "10000", "F", "ETR", 30, 7),
    ("11002", "Antwerpen", "10000", "F", "BEL", 100, 2),
    ("21001", "Anderlecht", "", "M", "ETR", 4, 5),  # Brussels: blank province
    ("46030", "Beveren-Kruibeke-Zwijndrecht", "40000", "F", "BEL", 70, 3),
]


def _new_layout_text() -> bytes:
    lines = [NEW_HEADER]
    for code, name, province, sex, nat, age, people in NEW_ROWS:
        lines.append(
            f"{code}|{name}|{name}|{code[:2]}000|Arr|Arr|{province}|Prov|Prov|02000|Gewest|Région|"
            f"{sex}|{nat}|x|x|10|Ongehuwd|Célibataire|{age}|{people}"
        )
    return b"\xef\xbb\xbf" + "\r\n".join(lines).encode("utf-8") + b"\r\n"


def _write_zip(folder: Path, year: int) -> Path:
    path = folder / f"TF_SOC_POP_STRUCT_{year}.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"TF_SOC_POP_STRUCT_{year}.txt", _new_layout_text())
    return path


def test_newer_layout_zip_takes_its_year_from_the_file_name(tmp_path):
    frame = parse_statbel_pop_struct(_write_zip(tmp_path, 2026), dataset=DATASET)
    wide = frame.pivot(index="nis_code", columns="measure", values="value")
    assert set(frame["period"]) == {"2026"}
    assert set(frame["map_vintage"]) == {565}
    assert wide.loc["11002", "population_total"] == 19
    assert wide.loc["11002", "population_non_belgian"] == 7
    assert wide.loc["11002", "population_age_00_02"] == 10
    assert wide.loc["11002", "population_age_65_plus"] == 2
    assert wide.loc["21001", "population_age_03_05"] == 5
    assert wide.loc["21001", "population_belgian"] == 0  # absent combination = nobody
    assert wide.loc["46030", "population_female"] == 3


def test_newer_layout_txt_with_a_matching_year_argument(tmp_path):
    path = tmp_path / "TF_SOC_POP_STRUCT_2026.txt"
    path.write_bytes(_new_layout_text())
    frame = parse_statbel_pop_struct(path, dataset=DATASET, year=2026, map_vintage=565)
    assert frame.loc[frame["measure"] == "population_total", "value"].sum() == 27


def test_newer_layout_year_argument_disagreeing_with_the_file_name_is_an_error(tmp_path):
    with pytest.raises(ParseError) as caught:
        parse_statbel_pop_struct(_write_zip(tmp_path, 2026), dataset=DATASET, year=2025)
    message = str(caught.value)
    assert message == (
        "dataset statbel_population, file TF_SOC_POP_STRUCT_2026.zip: "
        "the year argument says 2025 but the file name says 2026"
    )


def test_newer_layout_without_any_year_asks_for_one(tmp_path):
    path = tmp_path / "population.txt"
    path.write_bytes(_new_layout_text())
    with pytest.raises(ParseError, match="no CD_YEAR column .* pass year"):
        parse_statbel_pop_struct(path, dataset=DATASET)
    frame = parse_statbel_pop_struct(path, dataset=DATASET, year=2026)
    assert set(frame["period"]) == {"2026"}
