"""Swing exports in the long shape (one row per commune and year), written by the tests: with and
without a NIS column, footers, decimal comma, special values, and what is refused."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import xlsxwriter

from ingestion.errors import ParseError
from ingestion.parsers.swing import parse_swing_csv, parse_swing_xlsx

HOME = "leerlingen basisonderwijs die thuis geen Nederlands spreken (t.o.v. lln bo) - WP"
SECONDARY = "leerlingen secundair onderwijs die thuis geen Nederlands spreken (t.o.v. lln so) - WP"
ORIGIN = "0-24 jaar Maghreb herkomst (t.o.v. 0-24 jaar)"  # known, not used


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def value(frame: pd.DataFrame, code: str, period: str, measure: str) -> tuple[float | None, str]:
    hit = frame[(frame.nis_code == code) & (frame.period == period) & (frame.measure == measure)]
    assert len(hit) == 1, (code, period, measure)
    row = hit.iloc[0]
    return (None if pd.isna(row["value"]) else row["value"]), row["status"]


WITH_NIS = (
    f'"NIS";"gemeente";"jaar";"{HOME}";"{SECONDARY}";"{ORIGIN}"\n'
    '"41002";"Aalst";"2023";33,8;20,1;5,0\n'
    '"41002";"Aalst";"2024";35,9;21,4;"x"\n'
    '"21001";"Anderlecht";"2024";73,3;"?";"?"\n'
    '"73028";"Herstappe";"2024";0,0;"-";"nvt"\n'
    '"99999";"Buiten Vlaanderen en Brussel";"2024";42,4;"-";"-"\n'
    "\n"
    '"Geen selecties"\n'
    '"Bron";"AgODi | provincies.incijfers.be"\n'
    '"Datum export";"donderdag 21 mei 2026"\n'
)


def test_long_with_a_nis_column(tmp_path):
    frame = parse_swing_csv(write(tmp_path / "t.csv", WITH_NIS), dataset="schools", sha256="0" * 64)
    assert value(frame, "41002", "2023", "share_home_language_other_primary") == (0.338, "published")
    assert value(frame, "41002", "2024", "share_home_language_other_secondary") == (0.214, "published")
    assert value(frame, "21001", "2024", "share_home_language_other_secondary") == (None, "missing")
    assert value(frame, "73028", "2024", "share_home_language_other_primary") == (0.0, "published")  # a true 0
    assert value(frame, "73028", "2024", "share_home_language_other_secondary") == (None, "no_value")
    assert len(frame) == 4 * 2 and set(frame["map_vintage"]) == {565}
    assert frame.attrs["dropped"] == {"totals_rows": 0, "pseudo_codes": 1}  # 99999, with values, dropped
    assert (frame.attrs["skipped_labels"], frame.attrs["unknown_labels"]) == (1, [])


def test_long_without_a_nis_column_matches_names(tmp_path):
    text = (
        f'"gemeenten";"perioden";"{HOME}"\n'
        '"Aalst";"2024";35,9\n'
        '"Pajottegem";"2024";12,5\n'
        '"Sint-Genesius-Rode";"2024";48,0\n'
        '"Niet te lokaliseren - Vlaanderen";"2024";"-"\n'
        '"Datum export";"donderdag 21 mei 2026"\n'
    )
    frame = parse_swing_csv(write(tmp_path / "t.csv", text), dataset="schools", sha256="0" * 64)
    assert sorted(frame["nis_code"]) == ["23101", "23106", "41002"]
    assert value(frame, "23106", "2024", "share_home_language_other_primary") == (0.125, "published")
    assert frame.attrs["dropped"]["pseudo_codes"] == 1


def test_long_counts_with_a_decimal_comma_and_a_code_without_its_leading_zero(tmp_path):
    text = '"niscode";"naam";"jaar";"nieuwkomers";"nieuwkomers niet-EU"\n11002;"Antwerpen";2024;9778;6128\n'
    frame = parse_swing_csv(write(tmp_path / "n.csv", text), dataset="arrivals", sha256="0" * 64)
    assert value(frame, "11002", "2024", "newcomers_adults") == (9778.0, "published")
    assert value(frame, "11002", "2024", "newcomers_adults_non_eu") == (6128.0, "published")
    text = '"geoitem code";"jaar";"nieuwkomers"\n"4002";"2024";15\n'  # 04002: no commune on any map
    with pytest.raises(ParseError) as caught:
        parse_swing_csv(write(tmp_path / "n.csv", text), dataset="arrivals", sha256="0" * 64)
    assert str(caught.value) == "dataset arrivals, file n.csv: 1 code(s) are communes of no map: 04002"


def test_the_code_decides_and_must_agree_with_the_name(tmp_path):
    text = f'"NIS";"gemeente";"jaar";"{HOME}"\n"41002";"Aalter";"2024";35,9\n'
    with pytest.raises(ParseError) as caught:
        parse_swing_csv(write(tmp_path / "t.csv", text), dataset="schools", sha256="0" * 64)
    assert str(caught.value) == (
        "dataset schools, file t.csv, row 2, column 'gemeente': the name 'Aalter' is not commune 41002 of the 565 "
        "map (NIS column 'NIS'); the code and the name must agree"
    )


def test_a_data_row_after_the_footer_is_refused(tmp_path):
    text = f'"NIS";"gemeente";"jaar";"{HOME}"\n"41002";"Aalst";"2024";35,9\n"Geen selecties"\n"44084";"Aalter";"2024";10,0\n'
    with pytest.raises(ParseError) as caught:
        parse_swing_csv(write(tmp_path / "t.csv", text), dataset="schools", sha256="0" * 64)
    assert str(caught.value) == (
        "dataset schools, file t.csv, row 4: a data row follows the footer line 3; the footer must come after the data"
    )


def test_a_commune_year_twice_and_a_bad_year_are_refused(tmp_path):
    text = f'"NIS";"gemeente";"jaar";"{HOME}"\n"41002";"Aalst";"2024";35,9\n"41002";"Aalst";"2024";36,0\n'
    with pytest.raises(ParseError) as caught:
        parse_swing_csv(write(tmp_path / "t.csv", text), dataset="schools", sha256="0" * 64)
    assert str(caught.value) == "dataset schools, file t.csv, row 3, column 'NIS': area '41002' year 2024 appears twice (also row 2)"
    text = f'"NIS";"gemeente";"jaar";"{HOME}"\n"41002";"Aalst";"2023-2024";35,9\n'
    with pytest.raises(ParseError) as caught:
        parse_swing_csv(write(tmp_path / "t.csv", text), dataset="schools", sha256="0" * 64)
    assert str(caught.value) == "dataset schools, file t.csv, row 2, column 'jaar': expected a year, found '2023-2024'"


def test_the_year_argument_keeps_one_year_of_a_long_file(tmp_path):
    frame = parse_swing_csv(write(tmp_path / "t.csv", WITH_NIS), dataset="schools", sha256="0" * 64, year=2023)
    assert set(frame["period"]) == {"2023"} and set(frame["nis_code"]) == {"41002"}
    with pytest.raises(ParseError, match=r"the catalog declares year 2019 but the file has years 2023, 2024$"):
        parse_swing_csv(write(tmp_path / "t.csv", WITH_NIS), dataset="schools", sha256="0" * 64, year=2019)


def test_a_long_xlsx_stores_percentages_as_fractions(tmp_path):
    path = tmp_path / "t.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Thuistaal")
    sheet.write_row(0, 0, ["Thuistaal - gemeenten"])
    sheet.write_row(1, 0, ["geoitem code", "naam", "jaar", HOME])
    sheet.write_row(2, 0, ["41002", "Aalst", "2024", 0.359])
    sheet.write_row(3, 0, ["44084", "Aalter", 2024, "x"])
    sheet.write_row(5, 0, ["Bron", "AgODi | provincies.incijfers.be"])
    book.close()
    frame = parse_swing_xlsx(path, dataset="schools", sha256="0" * 64)
    assert value(frame, "41002", "2024", "share_home_language_other_primary") == (0.359, "published")
    assert value(frame, "44084", "2024", "share_home_language_other_primary") == (None, "suppressed")
