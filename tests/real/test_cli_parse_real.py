"""`cohesion parse` on the publishers' real files, asserting published truths.

Each real file is parsed once per module: the parser is wrapped with a cache, so that the
several command lines run on one file (plain, --harmonise, --out) pay for one parse.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd
import pytest

import ingestion.parsers
from cli.ingest import register

BELGIUM_2015 = 11_209_044  # residents on 1 January 2015 (Statbel)
POPULATION_2015 = "statbel-population/TF_SOC_POP_STRUCT_2015.zip"
FISC_2022 = "statbel-income/fisc2022_C_NL.xls"
IMMO_QUARTERLY = "statbel-immo/FR_immo_statbel_trimestre_par_commune.xlsx"
IMMO_ANNUAL = "statbel-immo/NL_immo_statbel_jaar.xlsx"

pytestmark = pytest.mark.real


@pytest.fixture(scope="module", autouse=True)
def parse_each_file_once():
    real_parser_for = ingestion.parsers.parser_for
    parsed: dict[tuple, pd.DataFrame] = {}

    def cached_parser_for(layout: str):
        parse = real_parser_for(layout)

        def cached(path, **kwargs):
            key = (layout, str(path), *sorted(kwargs.items()))
            if key not in parsed:
                parsed[key] = parse(path, **kwargs)
            frame = parsed[key]
            copy = frame.copy()
            copy.attrs = {k: dict(v) if isinstance(v, dict) else v for k, v in frame.attrs.items()}
            return copy

        return cached

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ingestion.parsers, "parser_for", cached_parser_for)
        yield


def cohesion(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="cohesion")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    code = args.func(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def parse_json(argv: list[str], capsys) -> dict:
    code, out, err = cohesion(["parse", *argv, "--json"], capsys)
    assert (code, err) == (0, "")
    return json.loads(out)


def test_population_2015_has_589_communes_and_the_belgian_total(data_real: Path, capsys):
    document = parse_json(["statbel_population", str(data_real / POPULATION_2015)], capsys)
    summary = document["summary"]
    assert (document["file_id"], document["year"], document["declared_map"]) == ("pop_struct", 2015, 589)
    assert (summary["communes"], summary["map_vintages"], summary["periods"]) == (589, [589], ["2015"])
    assert summary["rows"] == 589 * 12 and summary["statuses"] == {"published": 589 * 12}
    assert summary["totals"]["population_total"] == {"2015": BELGIUM_2015}
    assert summary["total_gaps"] == {} and document["harmonised"] is None


def test_population_2015_harmonised_has_565_communes_and_the_same_total(data_real: Path, capsys):
    document = parse_json(["statbel_population", str(data_real / POPULATION_2015), "--harmonise"], capsys)
    harmonised, report = document["harmonised"]["summary"], document["harmonised"]["report"]
    assert (harmonised["communes"], harmonised["map_vintages"]) == (565, [565])
    assert harmonised["totals"]["population_total"] == {"2015": BELGIUM_2015}
    assert harmonised["totals"] == document["summary"]["totals"]  # every additive measure keeps its total
    # 589 -> 565: the 15 communes merged in 2019 and the 30 merged in 2025 make 21 targets.
    assert report["rows_in"] == {"589": 589 * 12} and report["rows_out"] == 565 * 12
    assert len(report["merged_targets"]) == 21 and report["absent_parts"] == 0 and report["withheld"] == 0


def test_population_2015_harmonised_rows_are_written(data_real: Path, tmp_path: Path, capsys):
    out = tmp_path / "population_2015.parquet"
    argv = ["parse", "statbel_population", str(data_real / POPULATION_2015), "--harmonise", "--out", str(out)]
    code, text, _ = cohesion(argv, capsys)
    assert code == 0 and f"written: {out} (6,780 rows)" in text
    assert "harmonised onto the 565 map: 7,068 rows (589 communes) on map 589 -> 6,780 rows (565 communes)" in text
    frame = pd.read_parquet(out)
    totals = frame[frame["measure"] == "population_total"]
    assert totals["value"].sum() == BELGIUM_2015 and totals["nis_code"].nunique() == 565


def test_fiscal_workbook_2022_has_581_communes(data_real: Path, capsys):
    document = parse_json(["statbel_income", str(data_real / FISC_2022)], capsys)
    summary = document["summary"]
    assert (document["file_id"], document["year"], document["declared_map"]) == ("fisc_workbook_xls", 2022, 581)
    assert (summary["communes"], summary["map_vintages"], summary["periods"]) == (581, [581], ["2022"])
    # Country, 3 regions, 10 provinces and 43 arrondissements are totals rows, dropped and counted.
    assert summary["dropped"]["totals_rows"] == 1 + 3 + 10 + 43
    assert summary["belgium_totals"] == "3 reconciled, 2 not checked: 2 commune(s) suppressed"


def test_annual_real_estate_text_summary_says_the_communes_add_up_to_the_belgium_sheet(data_real: Path, capsys):
    code, out, err = cohesion(["parse", "statbel_real_estate", str(data_real / IMMO_ANNUAL)], capsys)
    assert (code, err) == (0, "")
    assert "against the publisher's Belgium totals: 60 reconciled" in out.splitlines()


def test_quarterly_real_estate_is_565_communes_times_61_quarters(data_real: Path, capsys):
    document = parse_json(["statbel_real_estate", str(data_real / IMMO_QUARTERLY)], capsys)
    summary = document["summary"]
    assert (document["file_id"], document["year"], document["declared_map"]) == ("quarterly", None, None)
    assert (summary["communes"], summary["map_vintages"], len(summary["periods"])) == (565, [565], 61)
    assert (summary["periods"][0], summary["periods"][-1]) == ("2010Q1", "2025Q1")
    assert summary["rows"] == 565 * 61 * len(summary["measures"])
    assert summary["suppressed"] > 0  # blank prices: few sales, hidden by Statbel


def test_a_real_file_given_to_another_dataset_exits_2(data_real: Path, capsys):
    path = data_real / POPULATION_2015
    code, out, err = cohesion(["parse", "statbel_income", str(path)], capsys)
    assert (code, out) == (2, "")
    assert err.startswith(
        "cohesion parse: dataset statbel_income, file TF_SOC_POP_STRUCT_2015.zip: this is a file of dataset "
        "statbel_population"
    )


def test_a_missing_real_file_exits_2(data_real: Path, capsys):
    path = data_real / "statbel-income" / "fisc2021_C_NL.xls"
    code, _, err = cohesion(["parse", "statbel_income", str(path)], capsys)
    assert code == 2 and err == f"cohesion parse: dataset statbel_income, file {path}: no such file\n"


def test_a_real_layout_with_a_missing_column_exits_2_naming_it(tmp_path: Path, capsys):
    # The ONEM rates file without its `graad` (rate) column.
    path = tmp_path / "interact_taux_V1.csv"
    path.write_text("jaar;maand;level;zonegeog;diff1an\n2024;13;5;21001;\n", encoding="utf-8")
    code, _, err = cohesion(["parse", "employment", str(path)], capsys)
    assert code == 2
    assert err.startswith(
        "cohesion parse: dataset employment, file interact_taux_V1.csv, row 1, column 'graad': no column 'graad'"
    )
    assert err.count("\n") == 1


def test_parse_without_a_dataset_recognises_the_renamed_income_panel(data_real: Path, capsys):
    path = data_real / "statbel-income" / "TF_PSNL_INC_TAX_MUNTY_2005_2013.zip"
    code, out, err = cohesion(["parse", str(path)], capsys)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].startswith("statbel_income/panel: TF_PSNL_INC_TAX_MUNTY_2005_2013.zip (layout statbel_income_panel, ")
    assert lines[1] == "recognised by its content"
    assert lines[2].startswith("21,204 rows, 589 communes, map 589, 9 period(s) 2005..2013, 4 measure(s)")


def test_parse_of_a_real_non_data_file_explains_each_layout(data_real: Path, capsys):
    path = data_real / "statbel-dictionaries" / "fiscales_variables_vers2_tcm325-272527.xlsx"
    code, out, err = cohesion(["parse", str(path)], capsys)
    assert (code, out) == (2, "")
    lines = err.splitlines()
    assert lines[0] == (
        "cohesion parse: file fiscales_variables_vers2_tcm325-272527.xlsx: an Excel workbook (.xlsx) that matches "
        "none of the 13 layouts"
    )
    assert lines[1] == "  pinc_crosswalk: the first row of sheet 'Sheet1' has 4 filled cells; a crosswalk has 2"
    assert "  statbel_fisc_workbook: has no sheet 'Totaal' or 'Total' (sheets: 'Sheet1', 'Sheet2', 'Sheet3')" in lines
    assert lines[-1] == "  swing_csv: expects a text file; this is an Excel workbook (.xlsx)"
    assert len(lines) == 1 + 13


def test_parse_of_the_refnis_list_says_it_is_a_reference_table(data_real: Path, capsys):
    code, out, err = cohesion(["parse", str(data_real / "statbel-refnis" / "TU_COM_REFNIS.txt"), "--json"], capsys)
    assert (code, err) == (0, "")
    document = json.loads(out)
    assert (document["dataset"], document["file_id"], document["layout"]) == ("statbel_refnis", "refnis", "statbel_refnis")
    assert document["reference_rows"] == 2_769 and document["recognised"] == "recognised by its content"
