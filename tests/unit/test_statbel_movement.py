"""Statbel population-movement workbook (pop1992-mov_fr.xlsx): a small workbook written here with
the header texts and merged cells SOURCES.md 10.3 quotes verbatim from the real file."""

from __future__ import annotations

from pathlib import Path

import pytest
import xlsxwriter

from ingestion.errors import ParseError
from ingestion.files import sha256_of
from ingestion.parsers.statbel_movement import normalise_header, parse_statbel_movement

ROW2 = [  # (first column, last column, text), 0-based columns A-Y
    (0, 0, "CODE INS"),
    (1, 1, "LIEU DE RESIDENCE"),
    (2, 2, "POPULATION AU 1 JANVIER"),
    (3, 5, "MOUVEMENT NATUREL"),
    (6, 8, "MOUVEMENT MIGRATOIRE INTERNE"),
    (9, 15, "MOUVEMENT MIGRATOIRE INTERNATIONAL"),
    (16, 18, "TOTAL DES MOUVEMENTS DE POPULATION"),
    (19, 19, "AJUSTEMENT STATISTIQUE"),
    (20, 21, "CHANGEMENTS DE NATIONALITE"),
    (22, 22, "POPULATION AU 31 DECEMBRE (SOIT AU 1/1 DE L'ANNEE SUIVANTE)"),
    (23, 24, "ACCROISSEMENT"),
]
ROW3 = [(9, 11, "ENTREES"), (12, 14, "SORTIES"), (15, 15, "SOLDE")]
ROW4 = {
    3: "NAISSANCES", 4: "DECES", 5: "SOLDE", 6: "ENTREES", 7: "SORTIES", 8: "SOLDE",
    9: "IMMIGRATIONS", 10: "CHANGE-MENTS REGISTRE (ENTREES)", 11: "REINSCRITS AYANT ETE RAYES",
    12: "EMIGRATIONS", 13: "CHANGE-MENTS REGISTRE (SORTIES)", 14: "RAYES D'OFFICE",
    16: "ENTREES", 17: "SORTIES", 18: "SOLDE", 20: "BELGE EN NON-BELGE", 21: "NON-BELGE EN BELGE",
    23: "TOTAL", 24: "INDICE",
}


def commune_row(code, name, pop, births, deaths, int_in, int_out, imm, asy_in, rereg, emi, asy_out, struck):
    """Columns A-Y with the balances computed as Statbel does."""
    nat = births - deaths
    internal = int_in - int_out
    international = imm + asy_in + rereg - emi - asy_out - struck
    entries, exits = births + int_in + imm + asy_in + rereg, deaths + int_out + emi + asy_out + struck
    end = pop + entries - exits
    return [code, name, pop, births, deaths, nat, int_in, int_out, internal, imm, asy_in, rereg, emi, asy_out,
            struck, international, entries, exits, entries - exits, 0, 3, 40, end, end - pop, round(end / pop * 100, 2)]


NAMUR_2025 = commune_row("92094", "Namur", 113000, 1036, 1118, 5258, 5558, 1500, 150, 120, 600, 100, 244)
LIEGE_2025 = commune_row("62063", "Liège", 197000, 2016, 2024, 10411, 11704, 3500, 400, 300, 1200, 300, 565)
BASTOGNE_2024 = commune_row("82039", "Bastogne", 19000, 200, 150, 900, 950, 40, 0, 5, 30, 2, 25)  # net -12
PAJOTTEGEM_2024 = commune_row("23106", "Pajottegem", 38000, 350, 380, 1500, 1300, 90, 1, 10, 60, 3, 20)
BORSBEEK_2018 = commune_row(11007, "Borsbeek", 10800, 100, 110, 600, 580, 30, 0, 2, 15, 0, 9)
PUURS_2018 = commune_row(12041, "Puurs-Sint-Amands", 25000, 250, 230, 1100, 1000, 60, 2, 4, 40, 1, 12)


def totals(code, name):
    return [code, name, *[1000] * 23]


def kingdom(code, *communes):
    """The Belgium row: the sum of the sheet's communes, column by column (as in the real file)."""
    return [code, "ROYAUME", *(sum(row[c] for row in communes) for c in range(2, 25))]


SHEETS = {
    "2018": [kingdom(1000, BORSBEEK_2018, PUURS_2018), totals(2000, "REGION FLAMANDE"), totals(10000, "PROVINCE D'ANVERS"),
             totals(11000, "Arrondissement d'Anvers"), BORSBEEK_2018, totals(12000, "Arrondissement de Malines"),
             PUURS_2018],
    "2024": [kingdom("01000", PAJOTTEGEM_2024, BASTOGNE_2024), totals("20001", "PROVINCE DU BRABANT FLAMAND"), PAJOTTEGEM_2024,
             totals("82000", "Arrondissement de Bastogne"), BASTOGNE_2024],
    "2025": [kingdom("01000", LIEGE_2025, NAMUR_2025), totals("03000", "REGION WALLONNE"), totals("60000", "PROVINCE DE LIEGE"),
             totals("62000", "Arrondissement de Liège"), LIEGE_2025, totals("90000", "PROVINCE DE NAMUR"),
             totals("92000", "Arrondissement de Namur"), NAMUR_2025],
}


def write_workbook(path: Path, sheets: dict[str, list[list]] = SHEETS, *, row4: dict[int, str] = ROW4,
                   title: str = "Mouvement de la population en {year}", extra_sheet: bool = True) -> Path:
    book = xlsxwriter.Workbook(str(path))
    for year, rows in sheets.items():
        sheet = book.add_worksheet(year)
        sheet.write(0, 0, title.format(year=year))
        # Single columns are merged down over the header rows, groups across: as in the real file.
        for first, last, text in ROW2:
            sheet.merge_range(1, first, 3 if first == last else 1, last, text)
        for first, last, text in ROW3:
            sheet.merge_range(2, first, 3 if first == last else 2, last, text)
        for column, text in row4.items():
            sheet.write(3, column, text)
        for r, row in enumerate(rows, start=4):
            for c, value in enumerate(row):
                sheet.write(r, c, value)
        sheet.write(4 + len(rows) + 1, 0, "Source: Statbel (Direction générale Statistique - Statistics Belgium)")
    if extra_sheet:
        book.add_worksheet("Notes").write(0, 0, "Définitions")
    book.close()
    return path


@pytest.fixture(scope="module")
def workbook(tmp_path_factory) -> Path:
    return write_workbook(tmp_path_factory.mktemp("movement") / "pop1992-mov_fr.xlsx")


@pytest.fixture(scope="module")
def frame(workbook):
    return parse_statbel_movement(workbook, dataset="arrivals", sha256="0" * 64)


def value(frame, code, period, measure):
    hit = frame[(frame.nis_code == code) & (frame.period == period) & (frame.measure == measure)]
    assert len(hit) == 1, (code, period, measure)
    return hit.iloc[0]


def test_namur_and_liege_values_land_in_their_measures(frame):
    namur = {m: value(frame, "92094", "2025", m)["value"] for m in
             ("births", "deaths", "internal_in", "internal_out", "international_net", "immigrations")}
    assert namur == {"births": 1036, "deaths": 1118, "internal_in": 5258, "internal_out": 5558,
                     "international_net": 826, "immigrations": 1500}
    liege = {m: value(frame, "62063", "2025", m)["value"] for m in
             ("population_1jan", "asylum_register_in", "reregistrations", "emigrations", "asylum_register_out",
              "struck_off", "international_net")}
    assert liege == {"population_1jan": 197000, "asylum_register_in": 400, "reregistrations": 300,
                     "emigrations": 1200, "asylum_register_out": 300, "struck_off": 565, "international_net": 2135}


def test_every_commune_gets_the_twelve_measures_in_persons(frame):
    assert frame.groupby(["nis_code", "period"]).size().eq(12).all()
    assert set(frame["unit"]) == {"persons"} and set(frame["status"]) == {"published"}
    assert sorted(frame["nis_code"].unique()) == ["11007", "12041", "23106", "62063", "82039", "92094"]


def test_map_vintage_is_detected_per_sheet(frame):
    assert frame.attrs["map_vintages"] == {"2018": 581, "2024": 565, "2025": 565}
    assert frame.groupby("period")["map_vintage"].unique().map(list).to_dict() == {
        "2018": [581], "2024": [565], "2025": [565]}


def test_totals_rows_are_dropped_and_counted(frame):
    assert frame.attrs["dropped"] == {"totals_rows": 5 + 3 + 6, "pseudo_codes": 0}
    assert frame.attrs["ignored_sheets"] == ["Notes"]


def test_net_balance_can_be_negative(frame):
    assert value(frame, "82039", "2024", "international_net")["value"] == -12


def test_year_parses_only_that_sheet(workbook):
    only = parse_statbel_movement(workbook, dataset="arrivals", sha256="0" * 64, year=2018)
    assert set(only["period"]) == {"2018"} and set(only["map_vintage"]) == {581}
    assert value(only, "11007", "2018", "births")["value"] == 100


def test_missing_year_sheet_is_an_error(workbook):
    with pytest.raises(ParseError, match=r"file pop1992-mov_fr\.xlsx: the catalog declares year 2019 but the "
                                         r"workbook has no sheet 2019; year sheets: 2018–2025"):
        parse_statbel_movement(workbook, dataset="arrivals", sha256="0" * 64, year=2019)


def test_blank_cell_is_missing_not_zero(tmp_path):
    row = list(NAMUR_2025)
    row[9] = None  # IMMIGRATIONS
    path = write_workbook(tmp_path / "m.xlsx", {"2025": [row]})
    got = value(parse_statbel_movement(path, dataset="arrivals", sha256="0" * 64), "92094", "2025", "immigrations")
    assert got["status"] == "missing" and got["value"] != got["value"]  # NaN


def test_header_text_is_normalised():
    assert normalise_header("CHANGE-\nMENTS  registre (entrées)") == "CHANGE-MENTS REGISTRE (ENTREES)"
    assert normalise_header("DÉCÈS") == "DECES"
    assert normalise_header("RAYÉS D’OFFICE") == "RAYES D'OFFICE"


# --- bad inputs: each message names the dataset, the file and the row or column -----------


def test_missing_column_names_sheet_and_header(tmp_path):
    path = write_workbook(tmp_path / "m.xlsx", {"2025": [NAMUR_2025]}, row4={**ROW4, 9: "IMMIGRANTS"})
    with pytest.raises(ParseError) as info:
        parse_statbel_movement(path, dataset="arrivals", sha256="0" * 64)
    assert str(info.value) == (
        "dataset arrivals, file m.xlsx, row 2, column 'MOUVEMENT MIGRATOIRE INTERNATIONAL / ENTREES / IMMIGRATIONS': "
        "sheet '2025': no column headed 'MOUVEMENT MIGRATOIRE INTERNATIONAL / ENTREES / IMMIGRATIONS' in header rows 2-4"
    )


def test_a_csv_instead_of_a_workbook_is_rejected(tmp_path):
    path = tmp_path / "m.xlsx"
    path.write_text("CODE INS;LIEU DE RESIDENCE\n92094;Namur\n")
    with pytest.raises(ParseError, match=r"^dataset arrivals, file m\.xlsx: not a readable xlsx workbook"):
        parse_statbel_movement(path, dataset="arrivals", sha256="0" * 64)


def test_empty_file_is_rejected(tmp_path):
    path = tmp_path / "m.xlsx"
    path.write_bytes(b"")
    with pytest.raises(ParseError, match=r"^dataset arrivals, file m\.xlsx: not a readable xlsx workbook"):
        parse_statbel_movement(path, dataset="arrivals", sha256="0" * 64)


def test_unknown_commune_code_names_code_and_row(tmp_path):
    path = write_workbook(tmp_path / "m.xlsx", {"2025": [totals("03000", "REGION WALLONNE"), NAMUR_2025,
                                                        ["92999", "Atlantis", *NAMUR_2025[2:]]]})
    with pytest.raises(ParseError) as info:
        parse_statbel_movement(path, dataset="arrivals", sha256="0" * 64)
    assert str(info.value) == "dataset arrivals, file m.xlsx, row 7, column 'A': sheet '2025': code 92999 is not a commune of the 565 map"


def test_text_in_a_value_cell_names_row_and_column(tmp_path):
    row = list(LIEGE_2025)
    row[3] = "n.d."
    path = write_workbook(tmp_path / "m.xlsx", {"2025": [row]})
    with pytest.raises(ParseError) as info:
        parse_statbel_movement(path, dataset="arrivals", sha256="0" * 64)
    assert str(info.value) == ("dataset arrivals, file m.xlsx, row 5, column 'D': sheet '2025', "
                               "MOUVEMENT NATUREL / NAISSANCES: expected a number, found 'n.d.'")


def test_sha256_is_computed_when_not_given(tmp_path):
    path = write_workbook(tmp_path / "m.xlsx", {"2025": [NAMUR_2025]})
    assert set(parse_statbel_movement(path, dataset="arrivals")["file_sha256"]) == {sha256_of(path)}


# --- reconciliation with the publisher's Belgium row (01000) ------------------------------------


def test_every_measure_of_every_sheet_reconciles_with_the_belgium_row(frame):
    reconciliation = frame.attrs["reconciliation"]
    assert sorted(reconciliation) == ["2018", "2024", "2025"]
    assert {outcome for sheet in reconciliation.values() for outcome in sheet.values()} == {"reconciled"}
    assert len(reconciliation["2025"]) == 12


def test_a_commune_missing_from_the_sheet_is_caught_by_the_belgium_row(tmp_path):
    # Liège's row lost on the way (a filtered export, a row deleted by hand): the kingdom row
    # still counts it, so the immigrations of the remaining communes fall short.
    path = write_workbook(tmp_path / "m.xlsx", {"2025": [kingdom("01000", LIEGE_2025, NAMUR_2025), NAMUR_2025]})
    with pytest.raises(ParseError) as info:
        parse_statbel_movement(path, dataset="arrivals", sha256="0" * 64)
    assert str(info.value) == (
        "dataset arrivals, file m.xlsx, row 5, column 'C': sheet '2025', POPULATION AU 1 JANVIER: "
        "the communes (1 rows) add up to 113,000 but the publisher's Belgium row (01000) says 310,000 "
        "(a commune missing, counted twice or shifted?)"
    )


def test_a_value_in_the_wrong_commune_column_is_caught(tmp_path):
    namur = list(NAMUR_2025)
    namur[9], namur[12] = namur[12], namur[9]  # immigrations and emigrations swapped in one row
    path = write_workbook(tmp_path / "m.xlsx", {"2025": [kingdom("01000", LIEGE_2025, NAMUR_2025), LIEGE_2025, namur]})
    with pytest.raises(ParseError, match=r"row 5, column 'J': sheet '2025', .* / IMMIGRATIONS: the communes \(2 rows\) add up "
                                         r"to 4,100 but the publisher's Belgium row \(01000\) says 5,000"):
        parse_statbel_movement(path, dataset="arrivals", sha256="0" * 64)


def test_rows_without_a_commune_may_complete_the_national_total(tmp_path):
    unknown = ["99999", "Commune inconnue", *(1 if c != 24 else None for c in range(2, 25))]
    national = kingdom("01000", NAMUR_2025)
    national[2:24] = [v + 1 for v in national[2:24]]
    path = write_workbook(tmp_path / "m.xlsx", {"2025": [national, NAMUR_2025, unknown]})
    frame = parse_statbel_movement(path, dataset="arrivals", sha256="0" * 64)
    assert set(frame.attrs["reconciliation"]["2025"].values()) == {"reconciled with 1 row(s) without a commune"}
    assert frame.attrs["dropped"]["pseudo_codes"] == 1


def test_a_blank_commune_cell_or_no_belgium_row_is_reported_not_checked(tmp_path):
    row = list(NAMUR_2025)
    row[9] = None
    path = write_workbook(tmp_path / "m.xlsx", {"2025": [kingdom("01000", NAMUR_2025), row], "2024": [BASTOGNE_2024]})
    reconciliation = parse_statbel_movement(path, dataset="arrivals", sha256="0" * 64).attrs["reconciliation"]
    assert reconciliation["2025"]["immigrations"] == "not checked: a commune cell is blank"
    assert reconciliation["2025"]["births"] == "reconciled"
    assert set(reconciliation["2024"].values()) == {"not checked: no Belgium row (01000)"}
