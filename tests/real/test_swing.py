"""Swing exports (provincies.incijfers.be): the published truths of the three real exports in
../shared/data-real (SOURCES.md 10.0-10.3), then small synthetic files for the layout's quirks and
its bad inputs (those run without the real files). ``data_real`` comes from tests/real/conftest.py."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import xlsxwriter

from ingestion.errors import ParseError
from ingestion.parsers.swing import parse_swing_csv, parse_swing_xlsx

BRUSSELS = 19


def one(frame: pd.DataFrame, code: str, period: str, measure: str) -> pd.Series:
    hit = frame[(frame.nis_code == code) & (frame.period == period) & (frame.measure == measure)]
    assert len(hit) == 1, (code, period, measure)
    return hit.iloc[0]


# --- real files -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def newcomers(data_real) -> pd.DataFrame:
    return parse_swing_csv(data_real / "pinc-abii-nieuwkomers" / "nieuwkomers - gemeenten.csv", dataset="arrivals")


@pytest.fixture(scope="module")
def vdab(data_real) -> pd.DataFrame:
    return parse_swing_xlsx(
        data_real / "pinc-vdab-werkzoekenden" / "unemployment_jobseekers_data.xlsx", dataset="employment"
    )


@pytest.fixture(scope="module")
def home_language(data_real) -> pd.DataFrame:
    return parse_swing_csv(data_real / "pinc-onderwijs-thuistaal" / "flanders_youth.csv", dataset="schools")


@pytest.mark.real
def test_newcomers_truths(newcomers):
    assert newcomers["nis_code"].nunique() == 304 and newcomers.attrs["matched_communes"] == 304
    assert newcomers.attrs["dropped"] == {"totals_rows": 0, "pseudo_codes": 4}
    assert one(newcomers, "41002", "2014", "newcomers_adults")["value"] == 444  # Aalst
    assert one(newcomers, "11002", "2024", "newcomers_adults")["value"] == 9778  # Antwerpen
    assert one(newcomers, "23106", "2014", "newcomers_adults")["value"] == 37  # Pajottegem, restated
    herstappe = newcomers[newcomers.nis_code == "73028"]
    assert herstappe["status"].eq("published").all() and herstappe["value"].eq(0).all() and len(herstappe) == 11
    brussels = newcomers[newcomers.nis_code.str.startswith("21")]
    assert brussels["nis_code"].nunique() == BRUSSELS
    assert brussels["status"].eq("no_value").all() and brussels["value"].isna().all()
    assert newcomers.status.value_counts().to_dict() == {"published": (304 - BRUSSELS) * 11, "no_value": BRUSSELS * 11}
    assert set(newcomers["map_vintage"]) == {565} and set(newcomers["unit"]) == {"persons"}


@pytest.mark.real
def test_vdab_truths(vdab):
    assert vdab["nis_code"].nunique() == 285 and vdab.attrs["matched_communes"] == 285
    assert vdab.attrs["dropped"]["pseudo_codes"] == 4
    aalst_rate = one(vdab, "41002", "2014", "unemployment_rate")
    assert (aalst_rate["value"], aalst_rate["unit"]) == (9.6, "percent")  # stored as the fraction 0.096
    assert one(vdab, "41002", "2014", "jobseekers")["value"] == 3749
    assert one(vdab, "73028", "2023", "unemployment_rate")[["value", "status"]].tolist() == [0.0, "published"]
    assert one(vdab, "73028", "2024", "jobseekers")["status"] == "suppressed"  # `x`
    assert one(vdab, "73028", "2014", "jobseekers")["status"] == "no_value"  # `-`
    assert sorted(vdab["period"].unique()) == [str(y) for y in range(2014, 2025)]
    # 21 labels, all in the label table: 3 loaded, 18 known and skipped (incl. the one with a double space).
    assert sorted(vdab["measure"].unique()) == ["jobseekers", "unemployment_rate", "unemployment_rate_18_24"]
    assert (vdab.attrs["skipped_labels"], vdab.attrs["unknown_labels"]) == (18, [])
    assert len(vdab) == 285 * 11 * 3
    youth = one(vdab, "41002", "2014", "unemployment_rate_18_24")
    assert youth["unit"] == "percent" and 0 < youth["value"] < 100


@pytest.mark.real
def test_home_language_truths(home_language):
    assert home_language["nis_code"].nunique() == 304
    assert one(home_language, "41002", "2014", "share_home_language_other_primary")["value"] == 0.229
    assert one(home_language, "21001", "2014", "share_home_language_other_primary")["value"] == 0.733
    assert one(home_language, "73028", "2024", "share_home_language_other_primary")[["value", "status"]].tolist() == [
        0.0, "published"]
    assert home_language["value"].dropna().between(0, 1).all()
    assert (home_language.attrs["skipped_labels"], home_language.attrs["unknown_labels"]) == (5, [])
    assert len(home_language) == 304 * 11 * 2  # primary and secondary shares
    assert home_language.attrs["dropped"]["pseudo_codes"] == 4  # incl. `Buiten Vlaanderen en Brussel` with values


NEWCOMERS = {
    # file: (measure, Aalst 2014, Antwerpen 2024)
    "nieuwkomers - gemeenten.csv": ("newcomers_adults", 444, 9778),
    "nieuwkomers niet-EU - gemeenten.csv": ("newcomers_adults_non_eu", None, None),
    "nieuwkomers per 1.000 inwoners 18_ jaar - gemeenten.csv": ("newcomers_per_1000_adults", None, None),
    "nieuwkomers niet-EU per 1.000 inwoners 18_ jaar niet-EU -%2.csv": (
        "newcomers_non_eu_per_1000_adults_non_eu", None, None),
}


@pytest.mark.real
@pytest.mark.parametrize("name", sorted(NEWCOMERS))
def test_every_newcomers_export_parses_into_its_own_measure(data_real, name):
    frame = parse_swing_csv(data_real / "pinc-abii-nieuwkomers" / name, dataset="arrivals")
    measure, aalst, antwerpen = NEWCOMERS[name]
    assert set(frame["measure"]) == {measure} and len(frame) == 304 * 11
    assert frame.attrs["unknown_labels"] == [] and frame.attrs["dropped"]["pseudo_codes"] == 4
    assert set(frame.loc[frame.nis_code.str.startswith("21"), "status"]) <= {"no_value", "missing"}  # Flemish only
    if aalst is not None:
        assert one(frame, "41002", "2014", measure)["value"] == aalst
        assert one(frame, "11002", "2024", measure)["value"] == antwerpen


@pytest.mark.real
def test_the_rates_keep_their_published_values(data_real):
    folder = data_real / "pinc-abii-nieuwkomers"
    non_eu = parse_swing_csv(folder / "nieuwkomers niet-EU per 1.000 inwoners 18_ jaar niet-EU -%2.csv",
                             dataset="arrivals")
    assert one(non_eu, "44084", "2016", "newcomers_non_eu_per_1000_adults_non_eu")["value"] == 198.9  # Aalter
    assert one(non_eu, "31006", "2016", "newcomers_non_eu_per_1000_adults_non_eu")["value"] == 2596.6  # Damme
    assert set(non_eu["unit"]) == {"per_1000"}


@pytest.mark.real
def test_a_label_of_another_dataset_is_an_error_naming_both(data_real):
    path = data_real / "pinc-abii-nieuwkomers" / "nieuwkomers niet-EU - gemeenten.csv"
    with pytest.raises(ParseError) as caught:
        parse_swing_csv(path, dataset="employment")
    assert str(caught.value) == (
        "dataset employment, file nieuwkomers niet-EU - gemeenten.csv, row 1, column 'nieuwkomers niet-EU': the "
        "label 'nieuwkomers niet-EU' is mapped to dataset arrivals (measure newcomers_adults_non_eu) in "
        "swing_labels.csv, not to employment: this is a file of dataset arrivals"
    )


@pytest.mark.real
def test_year_keeps_one_year(data_real):
    path = data_real / "pinc-abii-nieuwkomers" / "nieuwkomers - gemeenten.csv"
    frame = parse_swing_csv(path, dataset="arrivals", year=2024)
    assert set(frame["period"]) == {"2024"} and len(frame) == 304


# --- synthetic files: the quirks ----------------------------------------------------------------

LABEL_RATE = "werkzoekendengraad (jaargemiddelde) [%]"
LABEL_COUNT = "werkzoekenden zonder werk (jaargemiddelde) [aantal]"
LABEL_OTHER = "WZW [aantal] (1)"


def write_csv(path: Path, rows: list[list[object]], header: list[str] | None = None, sep: str = ";") -> Path:
    header = header or ["gemeenten", "nieuwkomers|2023", "nieuwkomers|2024"]

    def cell(value: object) -> str:
        return f'"{value}"' if isinstance(value, str) else str(value).replace(".", ",")

    lines = [sep.join(f'"{h}"' for h in header), *(sep.join(cell(v) for v in row) for row in rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_xlsx(path: Path, rows: list[list[object]], blocks: list[tuple[str, list[str]]], *,
               label_last: bool = True) -> Path:
    """A Swing xlsx: title, a labels row (label in each block's LAST column), a years row as text."""
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Werkloosheid gemeenten")
    sheet.write(0, 0, "Werkloosheid - gemeenten")
    column = 1
    for label, years in blocks:
        sheet.write(1, column + (len(years) - 1 if label_last else 0), label)
        for offset, year in enumerate(years):
            sheet.write_string(2, column + offset, year)
        column += len(years)
    for r, row in enumerate(rows, start=3):
        for c, value in enumerate(row):
            if value is not None:
                sheet.write(r, c, value)
    end = 3 + len(rows) + 1
    sheet.write(end, 0, "Speciale waarden")
    sheet.write(end, 1, "- Geen waarde")
    sheet.write(end + 1, 0, "Bron")
    sheet.write(end + 1, 1, "VDAB | provincies.incijfers.be")
    book.close()
    return path


BLOCKS = [(LABEL_RATE, ["2023", "2024"]), (LABEL_OTHER, ["2023", "2024"]), (LABEL_COUNT, ["2023", "2024"])]
XLSX_ROWS = [
    ["Aalst", 0.072, 0.076, 10, 11, 3011, 3246],
    ["Herstappe", 0, "x", "-", "-", "x", 4],
    ["Pajottegem", 0.04, "?", 1, 2, 800, "nvt"],
    ["Buiten Vlaanderen en Brussel", "-", "-", "-", "-", "-", "-"],
    ["Niet te lokaliseren - Vlaanderen", "-", "-", "-", "-", "-", "-"],
]


def test_xlsx_labels_attach_to_the_columns_on_their_left(tmp_path):
    frame = parse_swing_xlsx(write_xlsx(tmp_path / "w.xlsx", XLSX_ROWS, BLOCKS), dataset="employment",
                             sha256="0" * 64)
    assert one(frame, "41002", "2023", "unemployment_rate")["value"] == 7.2
    assert one(frame, "41002", "2024", "unemployment_rate")["value"] == 7.6
    assert one(frame, "41002", "2024", "jobseekers")["value"] == 3246  # not the WZW block next to it
    assert (frame.attrs["skipped_labels"], frame.attrs["unknown_labels"]) == (1, [])  # LABEL_OTHER is known
    assert frame.attrs["dropped"] == {"totals_rows": 0, "pseudo_codes": 2}


def test_special_values_are_never_zero(tmp_path):
    frame = parse_swing_xlsx(write_xlsx(tmp_path / "w.xlsx", XLSX_ROWS, BLOCKS), dataset="employment",
                             sha256="0" * 64)
    statuses = {(r.nis_code, r.period, r.measure): r.status for r in frame.itertuples()}
    assert statuses[("73028", "2023", "unemployment_rate")] == "published"  # a true 0
    assert statuses[("73028", "2024", "unemployment_rate")] == "suppressed"
    assert statuses[("23106", "2024", "unemployment_rate")] == "missing"
    assert statuses[("23106", "2024", "jobseekers")] == "not_applicable"
    assert frame.loc[frame.status != "published", "value"].isna().all()
    assert one(frame, "73028", "2023", "unemployment_rate")["value"] == 0


def test_xlsx_labels_in_the_first_column_are_refused(tmp_path):
    path = write_xlsx(tmp_path / "w.xlsx", XLSX_ROWS, BLOCKS, label_last=False)
    with pytest.raises(ParseError, match=r"row 2, column 'D': the years under label 'WZW \[aantal\] \(1\)' are not "
                                         r"increasing \(\[2024, 2023\]\)"):
        parse_swing_xlsx(path, dataset="employment", sha256="0" * 64)


def test_xlsx_rate_above_one_is_not_a_fraction(tmp_path):
    rows = [["Aalst", 7.2, 7.6, 1, 1, 1, 1]]
    with pytest.raises(ParseError, match=r"row 4, column 'B': expected a fraction between 0 and 1"):
        parse_swing_xlsx(write_xlsx(tmp_path / "w.xlsx", rows, BLOCKS), dataset="employment", sha256="0" * 64)


def test_csv_decimal_comma_and_percent_to_share(tmp_path):
    label = "leerlingen basisonderwijs die thuis geen Nederlands spreken (t.o.v. lln bo) - WP"
    path = write_csv(tmp_path / "s.csv", [["Aalst", 22.9, 24.0], ["Herstappe", 0.0, "x"]],
                     header=["gemeenten", f"{label}|2023", f"{label}|2024"])
    frame = parse_swing_csv(path, dataset="schools", sha256="0" * 64)
    assert one(frame, "41002", "2023", "share_home_language_other_primary")["value"] == 0.229
    assert one(frame, "73028", "2024", "share_home_language_other_primary")["status"] == "suppressed"


def test_declared_year_absent_names_both_years(tmp_path):
    path = write_csv(tmp_path / "n.csv", [["Aalst", 646, 662]])
    with pytest.raises(ParseError, match=r"the catalog declares year 2019 but the file has years 2023, 2024"):
        parse_swing_csv(path, dataset="arrivals", sha256="0" * 64, year=2019)


# --- bad inputs: each message names the dataset, the file and the row or column -------------


def message(parse, path: Path, dataset: str = "arrivals") -> str:
    with pytest.raises(ParseError) as info:
        parse(path, dataset=dataset, sha256="0" * 64)
    return str(info.value)


def test_csv_missing_area_column(tmp_path):
    path = write_csv(tmp_path / "n.csv", [[646, 662]], header=["nieuwkomers|2023", "nieuwkomers|2024"])
    assert message(parse_swing_csv, path) == (
        "dataset arrivals, file n.csv, row 1, column 'nieuwkomers|2023': column 1 must name the areas "
        "(for example 'gemeenten'), found the indicator column 'nieuwkomers|2023'"
    )


def test_csv_header_without_year(tmp_path):
    path = write_csv(tmp_path / "n.csv", [["Aalst", 646]], header=["gemeenten", "nieuwkomers"])
    assert message(parse_swing_csv, path) == (
        "dataset arrivals, file n.csv, row 1, column 'nieuwkomers': expected a header '<indicator label>|<year>', "
        "found 'nieuwkomers'"
    )


def test_csv_wrong_delimiter(tmp_path):
    path = write_csv(tmp_path / "n.csv", [["Aalst", 646, 662]], sep=",")
    assert message(parse_swing_csv, path).startswith(
        "dataset arrivals, file n.csv, row 1: the header is one single column")
    assert message(parse_swing_csv, path).endswith("(is the delimiter ';'?)")


def test_csv_empty_file(tmp_path):
    path = tmp_path / "n.csv"
    path.write_text("")
    assert message(parse_swing_csv, path) == (
        'dataset arrivals, file n.csv, row 1: the file is empty; expected a header "gemeenten";"<indicator>|<year>";…'
    )


def test_csv_unmatched_commune_name(tmp_path):
    path = write_csv(tmp_path / "n.csv", [["Aalst", 646, 662], ["Borsbeek", 12, 14], ["Antwerpen", 8961, 9778]])
    assert message(parse_swing_csv, path) == (
        "dataset arrivals, file n.csv, row 3, column 'gemeenten': 1 name(s) match no commune of the 565 map: "
        "'Borsbeek' (row 3); expected Dutch or French commune names of the 565-commune map (2025)"
    )


def test_csv_text_in_a_value_cell(tmp_path):
    path = write_csv(tmp_path / "n.csv", [["Aalst", 646, "n.b."]])
    assert message(parse_swing_csv, path) == (
        "dataset arrivals, file n.csv, row 2, column 'nieuwkomers|2024': expected a number (decimal comma) or "
        "one of ['-', '?', 'nvt', 'x'], found 'n.b.'"
    )


def test_csv_duplicated_commune(tmp_path):
    path = write_csv(tmp_path / "n.csv", [["Aalst", 646, 662], ["Aalst", 1, 2]])
    assert message(parse_swing_csv, path) == (
        "dataset arrivals, file n.csv, row 3, column 'gemeenten': area 'Aalst' appears twice (also row 2)"
    )


def test_dataset_without_swing_labels(tmp_path):
    path = write_csv(tmp_path / "n.csv", [["Aalst", 646, 662]])
    assert message(parse_swing_csv, path, dataset="statbel_income") == (
        "dataset statbel_income, file n.csv, row 1, column 'nieuwkomers': the label 'nieuwkomers' is mapped to "
        "dataset arrivals (measure newcomers_adults) in swing_labels.csv, not to statbel_income: this is a file of "
        "dataset arrivals"
    )


def test_unknown_labels_are_reported_and_never_loaded(tmp_path):
    header = ["gemeenten", "nieuwkomers|2024", "bewoners met een groene wagen|2024"]
    path = write_csv(tmp_path / "n.csv", [["Aalst", 662, 12]], header=header)
    frame = parse_swing_csv(path, dataset="arrivals", sha256="0" * 64)
    assert frame.attrs["unknown_labels"] == ["bewoners met een groene wagen"]
    assert set(frame["measure"]) == {"newcomers_adults"} and len(frame) == 1


def test_a_file_with_only_unknown_labels_is_an_error(tmp_path):
    path = write_csv(tmp_path / "n.csv", [["Aalst", 12]], header=["gemeenten", "bewoners met een groene wagen|2024"])
    assert message(parse_swing_csv, path) == (
        "dataset arrivals, file n.csv, row 1: none of the file's 1 indicator label(s) ('bewoners met een groene "
        "wagen') is in the Swing label table swing_labels.csv; add each with its dataset and measure (or an empty "
        "measure and a note): labels are never guessed"
    )


def test_xlsx_missing_label(tmp_path):
    path = write_xlsx(tmp_path / "w.xlsx", XLSX_ROWS, [*BLOCKS[:2], ("", ["2023", "2024"])])
    assert message(parse_swing_xlsx, path, "employment") == (
        "dataset employment, file w.xlsx, row 2, column 'G': columns F–G have years but no indicator label in "
        "row 2 (a block's label is in its last column)"
    )


def test_xlsx_given_a_csv(tmp_path):
    path = write_csv(tmp_path / "w.xlsx", [["Aalst", 646, 662]])
    assert message(parse_swing_xlsx, path, "employment").startswith(
        "dataset employment, file w.xlsx: not a readable xlsx workbook")


def test_xlsx_empty_file(tmp_path):
    path = tmp_path / "w.xlsx"
    path.write_bytes(b"")
    assert message(parse_swing_xlsx, path, "employment").startswith(
        "dataset employment, file w.xlsx: not a readable xlsx workbook")


def test_xlsx_unmatched_commune_name(tmp_path):
    rows = [XLSX_ROWS[0], ["Galmaarden", 0.05, 0.05, 1, 1, 100, 100]]
    assert message(parse_swing_xlsx, write_xlsx(tmp_path / "w.xlsx", rows, BLOCKS), "employment") == (
        "dataset employment, file w.xlsx, row 5, column 'A': 1 name(s) match no commune of the 565 map: "
        "'Galmaarden' (row 5); expected Dutch or French commune names of the 565-commune map (2025)"
    )


def test_xlsx_table_cut_by_a_blank_row(tmp_path):
    rows = [XLSX_ROWS[0], [None] * 7, XLSX_ROWS[2]]
    assert message(parse_swing_xlsx, write_xlsx(tmp_path / "w.xlsx", rows, BLOCKS), "employment") == (
        "dataset employment, file w.xlsx, row 6, column 'A': row 6 ('Pajottegem') holds numbers below the blank "
        "row 5 that ends the table; remove the blank row"
    )
