"""Statbel's per-commune population table (layout statbel_pop_totals) on small files written by the
tests: xlsx sheets per year and the CSV form, reconciliation with the table's own Belgium and
region rows, and the messages a user gets."""

from __future__ import annotations

from pathlib import Path

import pytest
import xlsxwriter

from ingestion.errors import ParseError
from ingestion.geography import iso_region
from ingestion.parsers.statbel_pop_totals import parse_statbel_pop_totals

DATASET = "statbel_population_totals"
HEADER_EN = ["Refnis", "Municipality FR", "Municipality NL", "Population", "Size in km²", "Population / km²"]
HEADER_NL = ["Refnis", "Gemeente FR", "Gemeente NL", "Bevolking", "Oppervlakte in km²", "Bevolking / km²"]
# Three communes, one per region, with their region rows and the Belgium row.
COMMUNES = {"11002": 529_247, "21004": 194_291, "62063": 197_013}


REGION_ROWS = {"02000": "BE-VLG", "03000": "BE-WAL", "04000": "BE-BRU"}


def rows(communes: dict[str, int], *, belgium: int | None = None, regions: dict[str, int] | None = None) -> list:
    """Belgium, the three regions, a province, then the communes (totals computed unless given)."""
    regions = regions or {
        code: sum(v for c, v in communes.items() if iso_region(c) == region) for code, region in REGION_ROWS.items()
    }
    total = belgium if belgium is not None else sum(communes.values())
    out = [["01000", "Belgique", "België", total, 30689.17, 383.3]]
    out += [[code, "R", "R", value, 1.0, 1.0] for code, value in regions.items()]
    out += [["10000", "Province d'Anvers", "Provincie Antwerpen", regions["02000"], 1.0, 1.0]]
    out += [[code, "C", "C", value, 1.0, 1.0] for code, value in communes.items()]
    return out


def workbook(path: Path, sheets: dict[str, list], *, header: list[str] = HEADER_EN, title: str | None = None) -> Path:
    book = xlsxwriter.Workbook(str(path))
    for name, body in sheets.items():
        sheet = book.add_worksheet(name)
        sheet.write(0, 0, title or f"Population density by municipality 1st January {name}")
        sheet.write_row(1, 0, header)
        for r, row in enumerate(body, start=2):
            sheet.write_string(r, 0, row[0])  # Refnis as text, as Statbel stores it
            sheet.write_row(r, 1, row[1:])
    book.close()
    return path


def parse(path: Path, **kwargs):
    return parse_statbel_pop_totals(path, dataset=DATASET, sha256="0" * 64, **kwargs)


def test_a_workbook_sheet_per_year_reconciles_and_drops_the_totals_rows(tmp_path):
    frame = parse(workbook(tmp_path / "p.xlsx", {"2023": rows(COMMUNES), "2024": rows(COMMUNES), "Notes": []}))
    assert sorted(frame["period"].unique()) == ["2023", "2024"] and len(frame) == 6
    assert set(frame["measure"]) == {"population_total"} and set(frame["unit"]) == {"persons"}
    assert frame.loc[frame.nis_code == "11002", "value"].tolist() == [529_247.0, 529_247.0]
    assert frame.attrs["dropped"] == {"totals_rows": 2 * 5, "pseudo_codes": 0}
    assert frame.attrs["map_vintages"] == {"2023": 565, "2024": 565}  # these three codes are on every map
    assert frame.attrs["ignored_sheets"] == ["Notes"]
    assert frame.attrs["reconciliation"]["2024"] == {
        "01000": "reconciled", "02000": "reconciled", "03000": "reconciled", "04000": "reconciled",
    }


def test_communes_that_do_not_add_up_to_the_belgium_row_name_both_numbers(tmp_path):
    path = workbook(tmp_path / "p.xlsx", {"2019": rows(COMMUNES, belgium=920_552)})
    with pytest.raises(ParseError) as caught:
        parse(path)
    assert str(caught.value) == (
        "dataset statbel_population_totals, file p.xlsx, row 3, column 'Population': sheet '2019': the 3 communes "
        "of Belgium (01000) add up to 920,551 but the table's own Belgium row says 920,552 (a commune missing, "
        "counted twice or in the wrong region?)"
    )


def test_a_region_row_that_does_not_match_its_communes_is_an_error(tmp_path):
    regions = {"02000": 529_247, "03000": 197_000, "04000": 194_304}  # Belgium still adds up
    path = workbook(tmp_path / "p.xlsx", {"2019": rows(COMMUNES, regions=regions)})
    with pytest.raises(ParseError) as caught:
        parse(path)
    assert str(caught.value) == (
        "dataset statbel_population_totals, file p.xlsx, row 5, column 'Population': sheet '2019': the 1 communes "
        "of BE-WAL (03000) add up to 197,013 but the table's own BE-WAL row says 197,000 (a commune missing, "
        "counted twice or in the wrong region?)"
    )


def test_a_2025_sheet_lands_on_the_565_map_and_a_2024_one_on_581(tmp_path):
    before = {**COMMUNES, "11007": 10_000}  # Borsbeek, merged into Antwerpen on 1 January 2025
    after = {**COMMUNES, "11002": COMMUNES["11002"] + 10_000}
    frame = parse(workbook(tmp_path / "p.xlsx", {"2024": rows(before), "2025": rows(after)}, header=HEADER_NL,
                           title="Bevolkingsdichtheid per gemeente"))  # fmt: skip
    assert frame.attrs["map_vintages"] == {"2024": 581, "2025": 565}
    assert sorted(frame.groupby("map_vintage")["nis_code"].nunique().items()) == [(565, 3), (581, 4)]


def test_a_title_that_states_another_year_than_the_sheet_is_refused(tmp_path):
    path = workbook(tmp_path / "p.xlsx", {"2020": rows(COMMUNES)}, title="Population density 1st January 2019")
    with pytest.raises(ParseError) as caught:
        parse(path)
    assert str(caught.value) == (
        "dataset statbel_population_totals, file p.xlsx, row 1: sheet '2020': the title says 2019 but the sheet is "
        "named 2020"
    )


def test_a_sheet_without_the_columns_and_a_code_outside_the_map(tmp_path):
    path = workbook(tmp_path / "p.xlsx", {"2020": rows(COMMUNES)}, header=["Code", "Name", "x", "Inhabitants"])
    with pytest.raises(ParseError, match=r"column 'Refnis': sheet '2020': no header row with a 'Refnis' and a "
                                         r"'Population' column in its first 10 rows$"):
        parse(path)
    path = workbook(tmp_path / "q.xlsx", {"2020": rows({**COMMUNES, "11007": 5})})  # Borsbeek in 2020: fine
    assert parse(path, year=2020)["nis_code"].nunique() == 4
    with pytest.raises(ParseError, match=r"row 11, column 'Refnis': sheet '2020': code 11007 is not a commune of "
                                         r"the 565 map$"):
        parse(path, map_vintage=565)
    twice = workbook(tmp_path / "r.xlsx", {"2020": [*rows(COMMUNES), ["62063", "C", "C", 0, 1.0, 1.0]]},
                     header=["NIS code", *HEADER_EN[1:]])  # fmt: skip
    with pytest.raises(ParseError, match=r"row 11, column 'NIS code': sheet '2020': code 62063 appears twice "
                                         r"\(also row 10\)$"):
        parse(twice)


@pytest.mark.parametrize(
    ("delimiter", "bom"), [(";", False), (",", True), ("|", False), ("\t", True)]
)
def test_the_csv_form_with_any_delimiter_and_encoding(tmp_path, delimiter, bom):
    lines = ["Refnis;Gemeente;Bevolking;Jaar"]
    for year in (2023, 2024):
        lines += [f"{code};{'B' if code == '01000' else 'C'};{value};{year}" for code, value, *_ in
                  [(r[0], r[3]) for r in rows(COMMUNES)]]  # fmt: skip
    text = "\n".join(line.replace(";", delimiter) for line in lines) + "\n"
    path = tmp_path / "population.csv"
    path.write_bytes(("\ufeff" if bom else "").encode() + text.encode("utf-8"))
    frame = parse(path)
    assert sorted(frame["period"].unique()) == ["2023", "2024"] and len(frame) == 6
    assert frame.attrs["reconciliation"]["2023"]["01000"] == "reconciled"


def test_the_csv_year_may_come_from_the_file_name_and_must_come_from_somewhere(tmp_path):
    body = "\n".join(f"{r[0]},{r[3]}" for r in rows(COMMUNES))
    named = tmp_path / "Pop_density_2024.csv"
    named.write_text(f"NIS code,Population\n{body}\n", encoding="utf-8")
    assert set(parse(named)["period"]) == {"2024"}
    unnamed = tmp_path / "population.csv"
    unnamed.write_text(f"NIS code,Population\n{body}\n", encoding="utf-8")
    with pytest.raises(ParseError) as caught:
        parse(unnamed)
    assert str(caught.value) == (
        "dataset statbel_population_totals, file population.csv, row 1: no year: the file has no Year (Jaar, Année) "
        "column and its name no single year (for example Pop_density_2024.csv)"
    )


def test_the_csv_refuses_a_population_that_is_not_a_whole_number(tmp_path):
    path = tmp_path / "population.csv"
    path.write_text("Refnis;Population;Year\n01000;10;2024\n11002;9,5;2024\n", encoding="utf-8")
    with pytest.raises(ParseError) as caught:
        parse(path)
    assert str(caught.value) == (
        "dataset statbel_population_totals, file population.csv, row 3, column 'Population': year 2024: expected "
        "the population (a whole number), found '9,5'"
    )
