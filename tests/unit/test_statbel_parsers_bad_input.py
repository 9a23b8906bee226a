"""Bad inputs to the Statbel parsers, built as small files in tmp_path: each must fail with one
line that names the dataset, the file and where (row or column), and says what was expected."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xlsxwriter

from ingestion.errors import ParseError
from ingestion.parsers.statbel_income import parse_statbel_fisc_workbook, parse_statbel_income_panel
from ingestion.parsers.statbel_population import parse_statbel_pop_struct
from ingestion.parsers.statbel_real_estate import parse_statbel_immo_annual, parse_statbel_immo_quarterly
from ingestion.parsers.statbel_refnis import parse_crosswalk_workbook, parse_refnis_list

POP = "statbel_population"
INCOME = "statbel_income"
IMMO = "statbel_real_estate"

POP_HEADER = [
    "CD_MUNTY_REFNIS", "TX_MUNTY_DESCR_NL", "TX_MUNTY_DESCR_FR", "CD_DSTR_REFNIS", "TX_ADM_DSTR_DESCR_NL",
    "TX_ADM_DSTR_DESCR_FR", "CD_PROV_REFNIS", "TX_PROV_DESCR_NL", "TX_PROV_DESCR_FR", "CD_RGN_REFNIS",
    "TX_RGN_DESCR_NL", "TX_RGN_DESCR_FR", "CD_SEX", "CD_NATLTY", "TX_NATLTY_FR", "TX_NATLTY_NL", "CD_CIV_STS",
    "TX_CIV_STS_FR", "TX_CIV_STS_NL", "CD_AGE", "MS_POPULATION", "CD_YEAR",
]  # fmt: skip


def _pop_row(code: str = "61039", name: str = "Marchin", *, sex: str = "M", age: str = "31", people: str = "9",
             year: str = "2015") -> list[str]:  # fmt: skip
    return [code, name, name, "61000", "Arr Hoei", "Arr de Huy", "60000", "Prov Luik", "Prov de Liège", "03000",
            "Waals Gewest", "Région wallonne", sex, "BEL", "Belges", "Belgen", "20", "Marié", "Gehuwd", age, people,
            year]  # fmt: skip


def _pop_text(header: list[str] | None = None, rows: list[list[str]] | None = None, sep: str = "|") -> str:
    header = header or POP_HEADER
    rows = rows if rows is not None else [_pop_row(), _pop_row("61079", "Anthisnes", sex="F", age="77")]
    return "\r\n".join(sep.join(r) for r in [header, *rows]) + "\r\n"


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(b"\xef\xbb\xbf" + text.encode(encoding))
    return path


def _error(call, *args, **kwargs) -> str:
    with pytest.raises(ParseError) as caught:
        call(*args, **kwargs)
    message = str(caught.value)
    assert "\n" not in message
    return message


# --- TF_SOC_POP_STRUCT --------------------------------------------------------------------


def test_a_good_small_file_parses(tmp_path):
    frame = parse_statbel_pop_struct(_write(tmp_path / "TF_SOC_POP_STRUCT_2015.txt", _pop_text()), dataset=POP)
    assert frame.loc[frame["measure"] == "population_total", "value"].sum() == 18
    # Both codes exist on every map: detection takes the newest map that holds every code.
    assert set(frame["map_vintage"]) == {565}


def test_missing_column(tmp_path):
    header = [c for c in POP_HEADER if c != "MS_POPULATION"]
    rows = [r[:20] + r[21:] for r in (_pop_row(), _pop_row("61079"))]
    path = _write(tmp_path / "TF_SOC_POP_STRUCT_2015.txt", _pop_text(header, rows))
    message = _error(parse_statbel_pop_struct, path, dataset=POP)
    assert message.startswith(
        "dataset statbel_population, file TF_SOC_POP_STRUCT_2015.txt, column 'MS_POPULATION': column is missing"
    )


def test_renamed_column(tmp_path):
    header = ["CD_NATIONALITY" if c == "CD_NATLTY" else c for c in POP_HEADER]
    path = _write(tmp_path / "TF_SOC_POP_STRUCT_2015.txt", _pop_text(header))
    message = _error(parse_statbel_pop_struct, path, dataset=POP)
    assert "file TF_SOC_POP_STRUCT_2015.txt, column 'CD_NATLTY': column is missing" in message
    assert "CD_NATIONALITY" in message  # what was found instead


def test_wrong_delimiter(tmp_path):
    path = _write(tmp_path / "TF_SOC_POP_STRUCT_2015.txt", _pop_text(sep=";"))
    message = _error(parse_statbel_pop_struct, path, dataset=POP)
    assert message.startswith(
        "dataset statbel_population, file TF_SOC_POP_STRUCT_2015.txt, row 1: "
        "expected '|' between columns; the header line has no '|' but ';'"
    )


def test_latin1_bytes_where_utf8_is_declared(tmp_path):
    path = _write(tmp_path / "TF_SOC_POP_STRUCT_2015.txt", _pop_text(), encoding="latin-1")
    message = _error(parse_statbel_pop_struct, path, dataset=POP)
    # 'è' of "Liège" on the first data line (line 2)
    assert message.startswith("dataset statbel_population, file TF_SOC_POP_STRUCT_2015.txt, row 2: byte b'\\xe8'")
    assert "not UTF-8" in message


def test_latin1_bytes_inside_a_zip_are_named_as_bytes(tmp_path):
    # A zip member is decompressed into a buffer of its own (not bytes): the message still quotes
    # the byte as Python writes bytes.
    path = tmp_path / "TF_SOC_POP_STRUCT_2015.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("TF_SOC_POP_STRUCT_2015.txt", b"\xef\xbb\xbf" + _pop_text().encode("latin-1"))
    message = _error(parse_statbel_pop_struct, path, dataset=POP)
    assert message.startswith(
        "dataset statbel_population, file TF_SOC_POP_STRUCT_2015.zip, row 2: byte b'\\xe8' is not UTF-8"
    )


def _zip(path: Path, members: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, text in members.items():
            archive.writestr(name, b"\xef\xbb\xbf" + text.encode("utf-8"))
    return path


def test_zip_parses_like_the_txt(tmp_path):
    path = _zip(tmp_path / "TF_SOC_POP_STRUCT_2015.zip", {"TF_SOC_POP_STRUCT_2015.txt": _pop_text()})
    assert parse_statbel_pop_struct(path, dataset=POP)["value"].max() == 9


def test_truncated_zip(tmp_path):
    path = _zip(tmp_path / "TF_SOC_POP_STRUCT_2015.zip", {"TF_SOC_POP_STRUCT_2015.txt": _pop_text() * 50})
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    message = _error(parse_statbel_pop_struct, path, dataset=POP)
    assert message.startswith(
        "dataset statbel_population, file TF_SOC_POP_STRUCT_2015.zip: "
        "is not a readable zip archive (truncated or corrupt"
    )


def test_zip_without_the_expected_member(tmp_path):
    path = _zip(tmp_path / "TF_SOC_POP_STRUCT_2015.zip", {"readme.md": "x", "data.xml": "<x/>"})
    message = _error(parse_statbel_pop_struct, path, dataset=POP)
    assert message == (
        "dataset statbel_population, file TF_SOC_POP_STRUCT_2015.zip: "
        "zip holds no TF_SOC_POP_STRUCT*.txt member(s); found ['readme.md', 'data.xml']"
    )


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"\r\n"])
def test_empty_file(tmp_path, content):
    path = tmp_path / "TF_SOC_POP_STRUCT_2015.txt"
    path.write_bytes(content)
    message = _error(parse_statbel_pop_struct, path, dataset=POP)
    assert message == (
        "dataset statbel_population, file TF_SOC_POP_STRUCT_2015.txt: is empty; expected a '|'-separated Statbel table"
    )


def test_header_without_rows(tmp_path):
    path = _write(tmp_path / "TF_SOC_POP_STRUCT_2015.txt", _pop_text(rows=[]))
    message = _error(parse_statbel_pop_struct, path, dataset=POP)
    assert message.endswith("file TF_SOC_POP_STRUCT_2015.txt: the table has a header but no data rows")


def test_year_disagreeing_with_the_file_name(tmp_path):
    path = _write(tmp_path / "TF_SOC_POP_STRUCT_2016.txt", _pop_text())
    message = _error(parse_statbel_pop_struct, path, dataset=POP)
    assert message == (
        "dataset statbel_population, file TF_SOC_POP_STRUCT_2016.txt: "
        "the file name says 2016 but CD_YEAR (row 2) says 2015"
    )


def test_year_argument_disagreeing_with_cd_year(tmp_path):
    path = _write(tmp_path / "population.txt", _pop_text())
    message = _error(parse_statbel_pop_struct, path, dataset=POP, year=2019)
    assert message.endswith("file population.txt: the year argument says 2019 but CD_YEAR (row 2) says 2015")


def test_ragged_row_names_its_line(tmp_path):
    text = _pop_text(rows=[_pop_row(), _pop_row()[:-1]])
    message = _error(parse_statbel_pop_struct, _write(tmp_path / "TF_SOC_POP_STRUCT_2015.txt", text), dataset=POP)
    assert message.endswith("row 3: expected 22 '|'-separated fields as in the header, found 21")


def test_population_that_is_not_a_number(tmp_path):
    text = _pop_text(rows=[_pop_row(), _pop_row(people="n/a")])
    message = _error(parse_statbel_pop_struct, _write(tmp_path / "TF_SOC_POP_STRUCT_2015.txt", text), dataset=POP)
    assert message.endswith("row 3, column 'MS_POPULATION': expected a whole number, found 'n/a'")


def test_unknown_sex_code(tmp_path):
    text = _pop_text(rows=[_pop_row(sex="X")])
    message = _error(parse_statbel_pop_struct, _write(tmp_path / "TF_SOC_POP_STRUCT_2015.txt", text), dataset=POP)
    assert message.endswith("row 2, column 'CD_SEX': expected one of ['F', 'M'], found 'X'")


def test_year_that_is_not_a_year_names_its_cell(tmp_path):
    text = _pop_text(rows=[_pop_row(), _pop_row(year="15")])
    message = _error(parse_statbel_pop_struct, _write(tmp_path / "TF_SOC_POP_STRUCT_2015.txt", text), dataset=POP)
    assert message.endswith("row 3, column 'CD_YEAR': expected a year, found '15'")


def test_code_outside_the_declared_map(tmp_path):
    # Borsbeek (11007) merged into Antwerpen on 1 January 2025.
    text = _pop_text(rows=[_pop_row("11002", "Antwerpen"), _pop_row("11007", "Borsbeek")])
    path = _write(tmp_path / "TF_SOC_POP_STRUCT_2015.txt", text)
    message = _error(parse_statbel_pop_struct, path, dataset=POP, map_vintage=565)
    assert message == (
        "dataset statbel_population, file TF_SOC_POP_STRUCT_2015.txt, row 3, column 'CD_MUNTY_REFNIS': "
        "code 11007 is not a commune of the 565-commune map (1 such code(s): 11007)"
    )


def test_code_of_no_map(tmp_path):
    text = _pop_text(rows=[_pop_row("11002"), _pop_row("12345")])
    message = _error(parse_statbel_pop_struct, _write(tmp_path / "TF_SOC_POP_STRUCT_2015.txt", text), dataset=POP)
    assert message == (
        "dataset statbel_population, file TF_SOC_POP_STRUCT_2015.txt: 1 code(s) are communes of no map: 12345"
    )


def test_a_negative_population_cell_is_refused_before_it_is_summed(tmp_path):
    # Summed into the commune's totals, -2,697 would only lower them: every later check passes.
    rows = [_pop_row("11002", "Antwerpen", people="3000"), _pop_row("11002", "Antwerpen", age="32", people="-2697")]
    message = _error(parse_statbel_pop_struct, _write(tmp_path / "TF_SOC_POP_STRUCT_2015.txt", _pop_text(rows=rows)),
                     dataset=POP)  # fmt: skip
    assert message == (
        "dataset statbel_population, file TF_SOC_POP_STRUCT_2015.txt, row 3, column 'MS_POPULATION': commune 11002: "
        "a count cannot be negative, found -2697 (1 negative cell(s); they are summed into the commune's totals by "
        "nationality, sex and age, which they would lower silently)"
    )


def test_totals_and_pseudo_codes_are_dropped_and_counted(tmp_path):
    rows = [_pop_row(), _pop_row("61000", "Arrondissement"), _pop_row("01000", "Belgique"), _pop_row("99991")]
    frame = parse_statbel_pop_struct(_write(tmp_path / "TF_SOC_POP_STRUCT_2015.txt", _pop_text(rows=rows)), dataset=POP)
    assert set(frame["nis_code"]) == {"61039"}
    assert frame.attrs["dropped"] == {"totals_rows": 2, "pseudo_codes": 1}


def _both_paths(path: Path, monkeypatch, **kwargs):
    """The parse as it runs (Arrow sums when every cell is clean), and with the row-by-row checks."""
    import ingestion.parsers.statbel_population as population

    arrow_sums, taken = population._sums_of_clean_table, []

    def spied(*args, **kw):
        taken.append(arrow_sums(*args, **kw))
        return taken[-1]

    monkeypatch.setattr(population, "_sums_of_clean_table", spied)
    fast = parse_statbel_pop_struct(path, dataset=POP, **kwargs)
    monkeypatch.setattr(population, "_sums_of_clean_table", lambda *args, **kw: None)
    checked = parse_statbel_pop_struct(path, dataset=POP, **kwargs)
    fast.attrs["arrow sums"] = taken[0] is not None
    return fast, checked


def test_the_arrow_sums_equal_the_checked_sums(tmp_path, monkeypatch):
    rows = [
        _pop_row("61039", sex=sex, age=age, people=people)
        for sex, age, people in (("M", "0", "3"), ("F", "2", "4"), ("M", "3", "0"), ("F", "64", "12"), ("F", "65", "7"),
                                 ("M", "100", "1"), ("F", "17", "5"))
    ] + [_pop_row("61079", "Anthisnes", sex="F", age="77"), _pop_row("61000", "Arrondissement"), _pop_row("99991")]
    rows.append([*_pop_row("61079", "Anthisnes", age="77")[:13], "ETR", *_pop_row()[14:]])
    path = _write(tmp_path / "TF_SOC_POP_STRUCT_2015.txt", _pop_text(rows=rows))
    fast, checked = _both_paths(path, monkeypatch)
    assert fast.attrs.pop("arrow sums")
    pd.testing.assert_frame_equal(fast, checked)
    assert fast.attrs == checked.attrs == {"dropped": {"totals_rows": 1, "pseudo_codes": 1}}
    assert fast.loc[(fast["nis_code"] == "61039") & (fast["measure"] == "population_age_65_plus"), "value"].item() == 8


@pytest.mark.parametrize("people", ["7.0", "+7", "007"])
def test_cells_the_arrow_sums_leave_to_the_checks_give_the_same_rows(tmp_path, monkeypatch, people):
    # Not plain digits: the row-by-row path reads them (as float() does), and the result is the same.
    path = _write(tmp_path / "TF_SOC_POP_STRUCT_2015.txt", _pop_text(rows=[_pop_row(people=people), _pop_row(age="1")]))
    fast, checked = _both_paths(path, monkeypatch)
    assert fast.attrs.pop("arrow sums") is (people == "007")  # 007 is plain digits: summed by Arrow as 7
    pd.testing.assert_frame_equal(fast, checked)
    assert fast.loc[fast["measure"] == "population_total", "value"].item() == 16


# --- TF_PSNL_INC_TAX_MUNTY -----------------------------------------------------------------

PANEL_HEADER = "CD_YEAR|CD_MUNTY_REFNIS|MS_NBR_NON_ZERO_INC|MS_NBR_ZERO_INC|MS_TOT_NET_TAXABLE_INC|MS_TOT_RESIDENTS"


def _panel(tmp_path: Path, rows: list[str], name: str = "TF_PSNL_INC_TAX_MUNTY.txt") -> Path:
    return _write(tmp_path / name, "\r\n".join([PANEL_HEADER, *rows]) + "\r\n")


def test_panel_star_and_blank_are_suppressed_nulls(tmp_path):
    path = _panel(tmp_path, ["2021|73028|41|*|1921379.5|77", "2021|11001|8581|325||14752"])
    frame = parse_statbel_income_panel(path, dataset=INCOME)
    rows = frame.set_index(["nis_code", "measure"])
    assert rows.loc[("73028", "declarations_zero_income"), "status"] == "suppressed"
    assert np.isnan(rows.loc[("73028", "declarations_total"), "value"])  # a part is hidden
    assert rows.loc[("73028", "residents"), "value"] == 77
    assert rows.loc[("11001", "net_taxable_income_total"), "status"] == "suppressed"
    assert rows.loc[("11001", "declarations_total"), "value"] == 8_906


def test_panel_value_that_is_not_a_number(tmp_path):
    path = _panel(tmp_path, ["2021|11001|8581|325|1,5|14752"])
    message = _error(parse_statbel_income_panel, path, dataset=INCOME)
    assert message == (
        "dataset statbel_income, file TF_PSNL_INC_TAX_MUNTY.txt, row 2, column 'MS_TOT_NET_TAXABLE_INC': "
        "expected a number or '*', found '1,5'"
    )


def test_panel_year_that_is_not_a_year_names_its_cell(tmp_path):
    path = _panel(tmp_path, ["2021|11001|8581|325|1|14752", "21|11002|1|1|1|1"])
    message = _error(parse_statbel_income_panel, path, dataset=INCOME)
    assert message == (
        "dataset statbel_income, file TF_PSNL_INC_TAX_MUNTY.txt, row 3, column 'CD_YEAR': expected a year, found '21'"
    )


def test_panel_years_outside_the_range_in_the_file_name(tmp_path):
    path = _panel(tmp_path, ["2013|11001|1|1|1|1", "2014|11001|1|1|1|1"], name="TF_PSNL_INC_TAX_MUNTY_2005_2013.txt")
    message = _error(parse_statbel_income_panel, path, dataset=INCOME)
    assert message.endswith("the file name says 2005-2013 but CD_YEAR says 2014 (row 3)")


def test_panel_negative_declarations_are_refused_before_they_are_added(tmp_path):
    path = _panel(tmp_path, ["2021|73028|41|3|1921379.5|77", "2021|11001|8581|-325|1|14752"])
    message = _error(parse_statbel_income_panel, path, dataset=INCOME)
    assert message == (
        "dataset statbel_income, file TF_PSNL_INC_TAX_MUNTY.txt, row 3, column 'MS_NBR_ZERO_INC': commune 11001: a "
        "count cannot be negative, found -325 (1 negative cell(s); they are summed into declarations_total, which "
        "they would lower silently)"
    )


def test_panel_commune_year_twice(tmp_path):
    path = _panel(tmp_path, ["2013|11001|1|1|1|1", "2013|11001|2|2|2|2"])
    message = _error(parse_statbel_income_panel, path, dataset=INCOME)
    assert message.endswith("row 3: CD_MUNTY_REFNIS 11001, CD_YEAR 2013 appears twice")


# --- fiscYYYY workbook ---------------------------------------------------------------------

NL_GROUPS = [
    ("Administratieve Eenheid", None), ("NIS code", None),
    ("Aantal aangiften met nul totaal netto belastbaar inkomen", None),
    ("Aantal aangiften (zonder nul-inkomen)", "Totaal"), (None, "< 10.000 EUR"),
    (None, "vanaf 10.001 tem 20.000 EUR"), ("Aantal inwoners", None), ("Totaal netto belastbaar inkomen", None),
    ("Gemiddelde waarden", "Gemiddeld inkomen per aangifte"), (None, "Mediaan inkomen per aangifte"),
    (None, "Gemiddeld inkomen per inwoner"), ("Welvaartsindex", None),
]  # fmt: skip
FR_GROUPS = [
    ("Entités administratives", None), ("Code INS", None),
    ("Nombre de déclarations avec un revenu total net imposable nul", None),
    ("Nombre de déclarations (sans revenu nul)", "Total"), (None, "< 10.000 EUR"),
    ("Nombre d'habitants", None), ("Revenu total net imposable", None),
    ("Valeurs moyennes", "Revenu moyen par déclaration"), (None, "Revenu médian par déclaration"),
    (None, "Revenu moyen par habitant"), ("Indice de richesse", None),
]  # fmt: skip
# name, code, zero, non-zero, <10k, [10-20k,] residents, income, mean/decl, median, mean/inh, index
FISC_ROWS = [
    # The Belgium row adds up the communes below, as Statbel's does (the parser reconciles them).
    ["België", 1000.0, 525, 13622, 1676, 1500, 24829, 600725104, 37000, 28000, 21000, 100],
    ["Duitstalige Gemeenschap", 3001.0, 10, 40, 6, 7, 79, 1600, 37000, 28000, 21000, 97],
    ["Arrondissement Antwerpen", 11000.0, 50, 600, 90, 70, 1100, 25000, 37000, 28000, 21000, 100],
    ["Aartselaar", 11001.0, 325, 8581, 1076, 1000, 14752, 398803725, 46475, 34397, 27034, 124],
    ["Borsbeek", 11007.0, 200, 5000, 600, 500, 10000, 200000000, 40000, 30000, 20000, 95],
    ["Herstappe", 73028.0, "*", 41, "*", "*", 77, 1921379, 46863, 42022, 24953, 115],
]  # fmt: skip


def _fisc(path: Path, groups=NL_GROUPS, rows=FISC_ROWS, *, title: str = "Inkomstenjaar 2022",
          order: list[int] | None = None, french: bool = False) -> Path:  # fmt: skip
    order = order or list(range(len(groups)))
    # The FR table below has no "10.001-20.000" column: pick the values around it.
    pick = [0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11] if french else list(range(len(groups)))
    with xlsxwriter.Workbook(str(path)) as book:
        book.add_worksheet("Home").write(0, 0, "Statbel")
        sheet = book.add_worksheet("Total" if french else "Totaal")
        sheet.write(0, 0, "Tabel C.1")
        sheet.write(2, 0, title)
        for out, source in enumerate(order):
            group, sub = groups[source]
            if group:
                sheet.write(5, out, group)
            if sub:
                sheet.write(6, out, sub)
            for r, row in enumerate(rows):
                sheet.write(7 + r, out, row[pick[source]])
        sheet.write(7 + len(rows), 0, "* = confidentieel")
        sheet.write(9 + len(rows), 0, "Begrippenlijst")
    return path


def test_fisc_workbook_parses_and_drops_totals(tmp_path):
    frame = parse_statbel_fisc_workbook(_fisc(tmp_path / "fisc2022_C_NL.xlsx"), dataset=INCOME)
    assert sorted(frame["nis_code"].unique()) == ["11001", "11007", "73028"]
    assert set(frame["map_vintage"]) == {581}  # Borsbeek exists until 2024
    assert frame.attrs["dropped"] == {"totals_rows": 2, "pseudo_codes": 1}
    herstappe = frame[frame["nis_code"] == "73028"].set_index("measure")
    assert herstappe.loc["declarations_under_10k", "status"] == "suppressed"
    assert herstappe.loc["median_income_per_declaration", "value"] == 42_022


def test_fisc_workbook_with_reordered_columns_parses_the_same(tmp_path):
    straight = parse_statbel_fisc_workbook(_fisc(tmp_path / "fisc2022_C_NL.xlsx"), dataset=INCOME)
    order = [11, 1, 7, 0, 6, 2, 8, 9, 10, 3, 4, 5]  # groups keep their sub-columns behind them
    shuffled = parse_statbel_fisc_workbook(_fisc(tmp_path / "fisc2022_C_NL_b.xlsx", order=order), dataset=INCOME)
    cols = ["nis_code", "period", "measure", "value", "status"]
    assert shuffled[cols].equals(straight[cols])


def test_fisc_workbook_in_french(tmp_path):
    frame = parse_statbel_fisc_workbook(
        _fisc(tmp_path / "fisc2022_C_FR.xlsx", FR_GROUPS, title="Année de revenus 2022", french=True), dataset=INCOME
    )
    aartselaar = frame[frame["nis_code"] == "11001"].set_index("measure")["value"]
    assert aartselaar["prosperity_index"] == 124 and aartselaar["declarations_total"] == 8_906


def test_fisc_workbook_missing_column(tmp_path):
    groups = [g if g[0] != "Welvaartsindex" else ("Index", None) for g in NL_GROUPS]
    message = _error(parse_statbel_fisc_workbook, _fisc(tmp_path / "fisc2022_C_NL.xlsx", groups), dataset=INCOME)
    assert message == (
        "dataset statbel_income, file fisc2022_C_NL.xlsx, row 6, column 'Welvaartsindex': "
        "header not found (searched by its text, in any position)"
    )


def test_fisc_workbook_year_disagreeing_with_the_file_name(tmp_path):
    message = _error(parse_statbel_fisc_workbook, _fisc(tmp_path / "fisc2021_C_NL.xlsx"), dataset=INCOME)
    assert message == (
        "dataset statbel_income, file fisc2021_C_NL.xlsx: the file name says 2021 but the sheet title says 2022"
    )


def test_fisc_workbook_text_in_a_number_column(tmp_path):
    rows = [*FISC_ROWS[:3], [*FISC_ROWS[3][:6], "veel", *FISC_ROWS[3][7:]]]
    message = _error(parse_statbel_fisc_workbook, _fisc(tmp_path / "fisc2022_C_NL.xlsx", rows=rows), dataset=INCOME)
    assert message == (
        "dataset statbel_income, file fisc2022_C_NL.xlsx, row 11, column 'Aantal inwoners': "
        "expected a number or '*', found 'veel'"
    )


def test_fisc_workbook_without_its_sheet(tmp_path):
    path = tmp_path / "fisc2022_C_NL.xlsx"
    with xlsxwriter.Workbook(str(path)) as book:
        book.add_worksheet("Home")
    message = _error(parse_statbel_fisc_workbook, path, dataset=INCOME)
    assert message == (
        "dataset statbel_income, file fisc2022_C_NL.xlsx: no sheet named 'Totaal' or 'Total'; found sheets ['Home']"
    )


def test_fisc_workbook_that_is_not_a_workbook(tmp_path):
    path = tmp_path / "fisc2022_C_NL.xls"
    path.write_bytes(b"<html>captcha</html>")
    message = _error(parse_statbel_fisc_workbook, path, dataset=INCOME)
    assert message.startswith("dataset statbel_income, file fisc2022_C_NL.xls: cannot be read as an Excel workbook")


# --- real-estate workbooks -----------------------------------------------------------------

IMMO_GROUPS = [
    "Toutes les maisons avec 2, 3, 4 ou plus de façades (excl. appartements)",
    "Maisons avec 2 ou 3 façades (type fermé + type demi-fermé)",
    "Maisons avec 4 ou plus de façades (type ouvert)",
    "Appartements",
]
IMMO_FIELDS = [
    "nombre transactions", "prix médian(€)", "prix premier quartile(€)", "prix troisième quartile(€)"
]  # fmt: skip


def _immo(
    path: Path, rows: list[list[object]], groups: list[str] = IMMO_GROUPS, *, country: list[list[object]] | None = None
) -> Path:
    """The commune sheet, and with ``country`` the annual workbook's Belgium sheet before it."""
    with xlsxwriter.Workbook(str(path)) as book:
        sheets = ([("Belgique", country)] if country is not None else []) + [("Par commune", rows)]
        for name, sheet_rows in sheets:
            sheet = book.add_worksheet(name)
            sheet.write(0, 0, "Catégories immobilières")
            for i, label in enumerate(["refnis", "localité", "année", "période"]):
                sheet.write(2, i, label)
            for g, group in enumerate(groups):
                start = 5 + 5 * g  # a blank separator column before each group
                sheet.write(1, start, group)
                for f, field in enumerate(IMMO_FIELDS):
                    sheet.write(2, start + f, field)
            sheet.write(2, 27, 0)
            for r, row in enumerate(sheet_rows):
                for c, value in enumerate(row):
                    if value is not None:
                        sheet.write(3 + r, c, value)
                sheet.write_formula(3 + r, 27, f"=ROW()-{3 + r}", None, 1)
    return path


def _immo_row(code: str, year: str, period: str, houses: list[object]) -> list[object]:
    return [code, "X", year, period, None, *houses, None, *houses, None, *[None] * 4, None, *[None] * 4]


def test_immo_blank_count_is_zero_and_blank_price_is_suppressed(tmp_path):
    rows = [
        _immo_row("11001", "2010", "Q1", [29, 252000, 225000, 290000]),
        _immo_row("13002", "2010", "Q1", [3, None, None, None]),
    ]
    frame = parse_statbel_immo_quarterly(_immo(tmp_path / "immo.xlsx", rows), dataset=IMMO)
    rows = frame.set_index(["nis_code", "period", "measure"])
    assert rows.loc[("11001", "2010Q1", "price_median_houses"), "value"] == 252_000
    assert rows.loc[("11001", "2010Q1", "sales_apartments"), ["value", "status"]].tolist() == [0, "published"]
    assert rows.loc[("13002", "2010Q1", "price_q3_houses"), "status"] == "suppressed"
    assert set(frame["map_vintage"]) == {565}


def test_immo_star_count_stays_suppressed(tmp_path):
    path = _immo(tmp_path / "immo.xlsx", [_immo_row("11001", "2010", "Y", ["*", None, None, None])])
    frame = parse_statbel_immo_annual(path, dataset=IMMO).set_index("measure")
    assert frame.loc["sales_houses", "status"] == "suppressed" and np.isnan(frame.loc["sales_houses", "value"])
    assert frame.loc["sales_apartments", ["value", "status"]].tolist() == [0, "published"]


def test_immo_missing_property_group(tmp_path):
    groups = [*IMMO_GROUPS[:3], "Studios"]
    path = _immo(tmp_path / "immo.xlsx", [_immo_row("11001", "2010", "Q1", [1, 2, 3, 4])], groups)
    message = _error(parse_statbel_immo_quarterly, path, dataset=IMMO)
    assert message == (
        "dataset statbel_real_estate, file immo.xlsx, row 3, column 'Appartements / nombre transactions': "
        "header not found (searched by its text, in any position)"
    )


ANNUAL_COMMUNES = [
    _immo_row("11001", "2010", "Y", [120, 252000, 225000, 290000]),
    _immo_row("13002", "2010", "Y", [3, None, None, None]),
    _immo_row("11001", "2011", "Y", [110, 255000, 226000, 291000]),
    _immo_row("13002", "2011", "Y", [None, None, None, None]),
]


def test_immo_annual_sales_reconcile_with_the_belgium_sheet(tmp_path):
    country = [_immo_row("01000", "2010", "Y", [123, 250000, 220000, 290000]),
               _immo_row("01000", "2011", "Y", [110, 255000, 226000, 291000])]  # fmt: skip
    path = _immo(tmp_path / "immo.xlsx", ANNUAL_COMMUNES, country=country)
    reconciliation = parse_statbel_immo_annual(path, dataset=IMMO).attrs["reconciliation"]
    assert reconciliation["sales_houses"] == {"2010": "reconciled", "2011": "reconciled"}
    # The empty apartment counts are 0 on both sheets.
    assert reconciliation["sales_apartments"] == {"2010": "reconciled", "2011": "reconciled"}


def test_immo_annual_commune_missing_against_the_belgium_sheet(tmp_path):
    country = [_immo_row("01000", "2010", "Y", [123, 250000, 220000, 290000]),
               _immo_row("01000", "2011", "Y", [140, 255000, 226000, 291000])]  # fmt: skip
    path = _immo(tmp_path / "immo.xlsx", ANNUAL_COMMUNES, country=country)
    message = _error(parse_statbel_immo_annual, path, dataset=IMMO)
    assert message == (
        "dataset statbel_real_estate, file immo.xlsx, row 5, column "
        "'Toutes les maisons avec 2, 3, 4 ou plus de façades (excl. appartements) / nombre transactions': "
        "sheet 'Belgique', 2011: the communes' sales add up to 110 but the publisher's Belgium row says 140 "
        "(a commune missing or counted twice?)"
    )


def test_immo_annual_suppressed_count_or_no_belgium_sheet_is_not_checked(tmp_path):
    rows = [*ANNUAL_COMMUNES[:3], _immo_row("13002", "2011", "Y", ["*", None, None, None])]
    country = [_immo_row("01000", "2011", "Y", [999, 255000, 226000, 291000])]
    reconciliation = parse_statbel_immo_annual(
        _immo(tmp_path / "immo.xlsx", rows, country=country), dataset=IMMO
    ).attrs["reconciliation"]
    assert reconciliation["sales_houses"] == {
        "2010": "not checked: no Belgium row for the year",
        "2011": "not checked: a commune count is suppressed",
    }
    alone = parse_statbel_immo_annual(_immo(tmp_path / "alone.xlsx", ANNUAL_COMMUNES), dataset=IMMO)
    assert alone.attrs["reconciliation"]["sales_houses"] == {"*": "not checked: no België sheet"}


def test_immo_annual_period_in_a_quarterly_parse(tmp_path):
    rows = [_immo_row("11001", "2010", "Q1", [1, 2, 3, 4]), _immo_row("11001", "2010", "Y", [1, 2, 3, 4])]
    path = _immo(tmp_path / "immo.xlsx", rows)
    message = _error(parse_statbel_immo_annual, path, dataset=IMMO)
    assert message == (
        "dataset statbel_real_estate, file immo.xlsx, row 4, column 'période': "
        "expected Y in the annual layout, found 'Q1'"
    )


def test_immo_code_outside_the_declared_map(tmp_path):
    rows = [_immo_row("11001", "2010", "Q1", [1, 2, 3, 4]), _immo_row("11007", "2010", "Q1", [1, 2, 3, 4])]
    path = _immo(tmp_path / "immo.xlsx", rows)
    message = _error(parse_statbel_immo_quarterly, path, dataset=IMMO, map_vintage=565)
    assert message.startswith(
        "dataset statbel_real_estate, file immo.xlsx, row 5, column 'refnis': code 11007 is not a commune of the 565"
    )


# --- reference frames ----------------------------------------------------------------------

REFNIS_HEADER = "LVL_REFNIS|CD_REFNIS|CD_SUP_REFNIS|TX_REFNIS_DE|TX_REFNIS_FR|TX_REFNIS_NL|DT_VLDT_START|DT_VLDT_END"


def test_refnis_bad_date(tmp_path):
    lines = ["1|02000|-|F|R|V|01/01/1970|31/12/9999", "4|11001|11000|A|A|A|1970-01-01|31/12/9999"]
    text = "\r\n".join([REFNIS_HEADER, *lines])
    message = _error(parse_refnis_list, _write(tmp_path / "TU_COM_REFNIS.txt", text))
    assert message == (
        "dataset statbel_refnis, file TU_COM_REFNIS.txt, row 3, column 'DT_VLDT_START': "
        "expected a date DD/MM/YYYY, found '1970-01-01'"
    )


def _crosswalk(path: Path, rows: list[list[object]]) -> Path:
    with xlsxwriter.Workbook(str(path)) as book:
        sheet = book.add_worksheet("cw")
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                sheet.write(r, c, value)
    return path


def test_crosswalk_numbers_become_text_and_pseudo_codes_keep_their_length(tmp_path):
    path = _crosswalk(tmp_path / "cw.xlsx", [["gemeente2024", "gemeente"], [11007, 11002], ["9999", "9999"]])
    frame = parse_crosswalk_workbook(path)
    assert frame.to_dict("list") == {"from_nis": ["11007", "9999"], "to_nis": ["11002", "9999"]}


def test_crosswalk_with_a_code_twice(tmp_path):
    path = _crosswalk(tmp_path / "cw.xlsx", [["gemeente2024", "gemeente"], ["11007", "11002"], ["11007", "11007"]])
    message = _error(parse_crosswalk_workbook, path)
    assert message == (
        "dataset statbel_refnis, file cw.xlsx, row 3, column 'gemeente2024': expected each old code once, found '11007'"
    )


def test_crosswalk_with_three_columns(tmp_path):
    path = _crosswalk(tmp_path / "cw.xlsx", [["a", "b", "c"], ["11007", "11002", "x"]])
    message = _error(parse_crosswalk_workbook, path)
    assert message == (
        "dataset statbel_refnis, file cw.xlsx: sheet 'cw' has 3 filled columns; expected 2 (old code, new code)"
    )


def test_fisc_workbook_figures_without_a_code(tmp_path):
    rows = [*FISC_ROWS, ["Onbekend", None, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]]
    message = _error(parse_statbel_fisc_workbook, _fisc(tmp_path / "fisc2022_C_NL.xlsx", rows=rows), dataset=INCOME)
    assert message == (
        "dataset statbel_income, file fisc2022_C_NL.xlsx, row 14, column 'NIS code': row has figures but no NIS code"
    )
