"""Every real file of ../shared/data-real recognised by its content (ingestion/recognise.py): under
a neutral name the data files are the right layout, dataset and year; the other files (column
dictionaries, geometry, hand-made lists, the Flanders-only crosswalk) match nothing, with reasons;
no file matches two layouts; and all of it is fast."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import python_calamine

from ingestion.archive import RawArchive
from ingestion.catalog import load_catalog
from ingestion.errors import UnmatchedFileError
from ingestion.fetch import fetch
from ingestion.filehead import HEAD_ROWS, FileHead
from ingestion.recognise import recognise, sniff

pytestmark = pytest.mark.real

# Real file -> (layout, dataset/file id, year).
DATA_FILES = {
    "statbel-population/TF_SOC_POP_STRUCT_2015.zip": ("statbel_pop_struct", "statbel_population/pop_struct", 2015),
    "statbel-population/Pop_density_en.xlsx": ("statbel_pop_totals", "statbel_population_totals/pop_density", None),
    "statbel-income/TF_PSNL_INC_TAX_MUNTY_2005_2013.zip": ("statbel_income_panel", "statbel_income/panel", None),
    "statbel-income/fisc2022_C_NL.xls": ("statbel_fisc_workbook", "statbel_income/fisc_workbook_xls", 2022),
    "statbel-immo/FR_immo_statbel_trimestre_par_commune.xlsx": (
        "statbel_immo_quarterly", "statbel_real_estate/quarterly", None),
    "statbel-immo/NL_immo_statbel_jaar.xlsx": ("statbel_immo_annual", "statbel_real_estate/annual", None),
    "statbel-refnis/TU_COM_REFNIS.txt": ("statbel_refnis", "statbel_refnis/refnis", None),
    "pinc-gebiedsniveaus/gemeentenbe2024_gemeentenbe.xlsx": ("pinc_crosswalk", "statbel_refnis/crosswalk_2024_2025", None),
    "pinc-gebiedsniveaus/gemeentenbe2018_gemeentenbe2024 archief.xlsx": (
        "pinc_crosswalk", "statbel_refnis/crosswalk_2018_2019", None),
    "pinc-abii-nieuwkomers/nieuwkomers - gemeenten.csv": ("swing_csv", "arrivals/newcomers", None),
    "pinc-abii-nieuwkomers/nieuwkomers niet-EU - gemeenten.csv": ("swing_csv", "arrivals/newcomers_non_eu", None),
    "pinc-abii-nieuwkomers/nieuwkomers per 1.000 inwoners 18_ jaar - gemeenten.csv": (
        "swing_csv", "arrivals/newcomers_rate", None),
    "pinc-abii-nieuwkomers/nieuwkomers niet-EU per 1.000 inwoners 18_ jaar niet-EU -%2.csv": (
        "swing_csv", "arrivals/newcomers_non_eu_rate", None),
    "pinc-vdab-werkzoekenden/unemployment_jobseekers_data.xlsx": ("swing_xlsx", "employment/vdab_jobseekers", None),
    "pinc-onderwijs-thuistaal/flanders_youth.csv": ("swing_csv", "schools/home_language", None),
}
OTHER_FILES = {
    "statbel-dictionaries/Columns description_tcm325-274249.xlsx",
    "statbel-dictionaries/fiscales_variables_vers2_tcm325-272527.xlsx",
    "statbel-sectors-doc/columns_description_0.xlsx",
    "geo-topojson-bmesuere/belgium.json",
    "pinc-gebiedsniveaus/gemeente_2025_vl_bru.geojson.txt",
    "pinc-gebiedsniveaus/gebiedsdefinities_gemeente.xlsx",
    "pinc-gebiedsniveaus/gemeentenbe2018_definitie.xlsx",
    "pinc-gebiedsniveaus/gemeente2024_gemeente.xlsx",
    "statbel-refnis/REFNIS_2019.csv",
    "embuild-nis/fusies-2025.csv",
}


@pytest.fixture(scope="module")
def every_file(data_real) -> list[Path]:
    files = sorted(p for p in data_real.rglob("*") if p.is_file() and p.name != "SOURCES.md")
    assert {p.relative_to(data_real).as_posix() for p in files} == set(DATA_FILES) | OTHER_FILES
    return files


@pytest.fixture(scope="module")
def neutral(data_real, tmp_path_factory) -> dict[str, Path]:
    """Every real file copied as file1, file2, ... (its extension kept): the name says nothing."""
    folder = tmp_path_factory.mktemp("neutral")
    copies = {}
    for number, name in enumerate(sorted(set(DATA_FILES) | OTHER_FILES), start=1):
        copy = folder / f"file{number}{Path(name).suffix}"
        shutil.copyfile(data_real / name, copy)
        copies[name] = copy
    return copies


@pytest.mark.parametrize("name", sorted(DATA_FILES))
def test_a_data_file_under_a_neutral_name_is_recognised(neutral, name):
    found = recognise(neutral[name], load_catalog())
    assert (found.layout, found.spec.label, found.year, found.basis) == (*DATA_FILES[name], "content")


def test_without_an_extension_the_content_still_decides(data_real, tmp_path):
    for number, name in enumerate(sorted(DATA_FILES)):
        copy = tmp_path / f"download{number}"
        shutil.copyfile(data_real / name, copy)
        found = recognise(copy, load_catalog())
        assert (found.layout, found.spec.label, found.year) == DATA_FILES[name]


def test_no_real_file_has_the_signature_of_two_layouts(every_file):
    for path in every_file:
        matches = [v.layout for v in sniff(FileHead(path)) if v.reason is None]
        assert len(matches) <= 1, (path.name, matches)


def test_the_years_come_from_the_content(neutral):
    population = recognise(neutral["statbel-population/TF_SOC_POP_STRUCT_2015.zip"], load_catalog())
    assert population.year_from == "CD_YEAR (row 2)"
    fiscal = recognise(neutral["statbel-income/fisc2022_C_NL.xls"], load_catalog())
    assert fiscal.year_from == "the title of sheet 'Totaal'"


@pytest.mark.parametrize("name", sorted(OTHER_FILES))
def test_the_other_files_match_nothing_and_say_why(neutral, name):
    with pytest.raises(UnmatchedFileError) as caught:
        recognise(neutral[name], load_catalog())
    error = caught.value
    assert error.problem.endswith("that matches none of the 13 layouts")
    assert len(error.verdicts) == 13 and all(v.reason for v in error.verdicts)


def test_the_flanders_only_crosswalk_is_not_the_national_one(neutral):
    with pytest.raises(UnmatchedFileError) as caught:
        recognise(neutral["pinc-gebiedsniveaus/gemeente2024_gemeente.xlsx"], load_catalog())
    reasons = {v.layout: v.reason for v in caught.value.verdicts}
    assert reasons["pinc_crosswalk"] == (
        "its header 'gemeente2024 | gemeente' is not a Belgium-wide PinC crosswalk (gemeentenbe<year> | gemeentenbe…)"
    )
    assert reasons["statbel_movement"] == "has no sheet named by a year (sheets: 'Sheet1')"


def test_the_quarterly_and_annual_workbooks_are_told_apart_by_their_periods(neutral):
    quarterly = sniff(FileHead(neutral["statbel-immo/FR_immo_statbel_trimestre_par_commune.xlsx"]))
    annual = sniff(FileHead(neutral["statbel-immo/NL_immo_statbel_jaar.xlsx"]))
    assert {v.layout: v.reason for v in quarterly}["statbel_immo_annual"] == (
        "the first period of sheet 'Par commune' is 'Q1', not Y (annual data)"
    )
    assert {v.layout: v.reason for v in annual}["statbel_immo_quarterly"] == (
        "the first period of sheet 'Per gemeente' is 'Y', not Q1 or Q2 or Q3 or Q4 (quarterly data)"
    )


def test_the_streamed_xlsx_head_equals_calamine(every_file):
    """The head reader streams each sheet's first rows; it must read what calamine reads."""

    def trimmed(rows):
        rows = [list(r) for r in rows]
        for row in rows:
            while row and row[-1] == "":
                row.pop()
        while rows and not rows[-1]:
            rows.pop()
        return rows

    for path in (p for p in every_file if p.suffix == ".xlsx"):
        head = FileHead(path)
        book = python_calamine.CalamineWorkbook.from_path(str(path))
        assert head.sheet_names == tuple(book.sheet_names), path.name
        for sheet in head.sheet_names:
            expected = book.get_sheet_by_name(sheet).to_python(nrows=HEAD_ROWS, skip_empty_area=False)
            assert trimmed(head.rows(sheet)) == trimmed(expected), (path.name, sheet)


def test_the_whole_real_folder_is_recognised_and_archived_in_one_go(every_file, tmp_path):
    folder = tmp_path / "everything"
    folder.mkdir()
    for path in every_file:
        shutil.copyfile(path, folder / path.name)
    # Recognition reads signatures only (the 30 MB quarterly sheet is streamed, not loaded); its
    # speed is the bench's business, not a timed test's.
    recognised = 0
    for path in sorted(folder.iterdir()):
        try:
            recognise(path, load_catalog())
            recognised += 1
        except UnmatchedFileError:
            pass
    assert recognised == 15
    report = fetch(load_catalog(), RawArchive(tmp_path / "raw"), source_dir=folder, retrieved_at="2025-03-01T10:00:00Z")
    assert (len(report.stored), len(report.unmatched), len(report.failed)) == (15, 10, 0), report.summary()
    assert {i.filename for i in report.unmatched} == {Path(name).name for name in OTHER_FILES}
