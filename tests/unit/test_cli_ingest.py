"""`cohesion fetch` and `cohesion parse` (cli/ingest.py) and the parse summary
(ingestion/summary.py), on small files written by the tests. The real files are in
tests/real/test_cli_parse_real.py."""

from __future__ import annotations

import argparse
import json
import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from ingestion.canonical import SourceFile, make_frame
from ingestion.catalog import load_catalog
from ingestion.errors import RecognitionError
from ingestion.fetch import FetchItem, FetchReport
from ingestion.summary import summarise
from cli.ingest import register, resolve_file

# Schools counts for 2018 are on the 589 map (catalog): Puurs and Sint-Amands merged in 2019 into
# Puurs-Sint-Amands (12041); Anderlecht never changed. 12034 has a suppressed delay count.
SCHOOLS_2018 = (
    "nis_code,map_vintage,year,pupils,pupils_delayed\n"
    "12030,589,2018,2100,300\n"
    "12034,589,2018,1100,x\n"
    "21001,589,2018,15000,4000\n"
    "10000,589,2018,18200,4300\n"
)


def run(argv: list[str]) -> int:
    """The `cohesion` parser with only the subcommands under test, as cli.py will wire them."""
    parser = argparse.ArgumentParser(prog="cohesion")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


@pytest.fixture
def schools_file(tmp_path: Path) -> Path:
    path = tmp_path / "schools_2018.csv"
    path.write_text(SCHOOLS_2018, encoding="utf-8")
    return path


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "data"
    monkeypatch.setenv("COHESION_DATA_DIR", str(folder))
    return folder


# ---- summary -----------------------------------------------------------------------------


def test_summary_counts_rows_communes_and_sums_only_additive_measures():
    cells = [
        ("21001", "2023", "declarations_total", 100.0, "published"),
        ("21002", "2023", "declarations_total", None, "suppressed"),
        ("21003", "2023", "declarations_total", 50.0, "published"),
        ("21001", "2022", "declarations_total", None, "missing"),
        ("21001", "2023", "median_income_per_declaration", 30000.5, "published"),
    ]
    units = {"declarations_total": "declarations", "median_income_per_declaration": "EUR"}
    rows = [
        {"nis_code": c, "period": p, "measure": m, "value": v, "unit": units[m], "status": s}
        for c, p, m, v, s in cells
    ]
    frame = make_frame(rows, source=SourceFile("statbel_income", "x.xls", "0" * 64), map_vintage=581)
    frame.attrs["dropped"] = {"totals_rows": 57, "pseudo_codes": 1}
    summary = summarise(frame)
    assert (summary.rows, summary.communes) == (5, 3)
    assert (summary.map_vintages, summary.periods) == ((581,), ("2022", "2023"))
    assert summary.dropped == {"totals_rows": 57, "pseudo_codes": 1}
    assert (summary.suppressed, summary.missing) == (1, 1)
    assert summary.total("declarations_total", "2023") == 150
    assert summary.total("declarations_total", "2022") is None  # no valued cell: no total, not 0
    assert summary.total("median_income_per_declaration", "2023") is None  # not additive
    data = json.loads(summary.as_json())
    assert data["totals"] == {"declarations_total": {"2022": None, "2023": 150}}
    assert data["total_gaps"] == {"declarations_total": {"2022": 1, "2023": 1}}
    text = summary.text()
    assert "5 rows, 3 communes, map 581, 2 period(s) 2022..2023, 2 measure(s)" in text
    assert "dropped: 1 pseudo codes, 57 totals rows" in text
    assert "declarations_total  2023" in text and "150  (1 NULL cell(s) not included)" in text


# ---- parse -------------------------------------------------------------------------------


def test_parse_prints_the_summary_of_a_file(schools_file: Path, capsys: pytest.CaptureFixture[str]):
    assert run(["parse", "schools", str(schools_file)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("schools/counts: schools_2018.csv (layout canonical_csv, year 2018, map 589 per the catalog")
    assert "6 rows, 3 communes, map 589, 1 period(s) 2018, 2 measure(s)" in out
    assert "dropped: 0 pseudo codes, 1 totals rows" in out
    assert re.search(r"^  pupils +2018 +18,200$", out, re.MULTILINE)
    assert re.search(r"^  pupils_delayed +2018 +4,300  \(1 NULL cell\(s\) not included\)$", out, re.MULTILINE)


def test_parse_json_with_harmonise_gives_both_maps(schools_file: Path, capsys: pytest.CaptureFixture[str]):
    assert run(["parse", "schools", str(schools_file), "--harmonise", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert (document["dataset"], document["file_id"], document["year"], document["declared_map"]) == (
        "schools", "counts", 2018, 589,
    )
    assert document["summary"]["communes"] == 3 and document["summary"]["totals"]["pupils"] == {"2018": 18200}
    harmonised = document["harmonised"]
    assert harmonised["summary"]["communes"] == 565 and harmonised["summary"]["map_vintages"] == [565]
    # Puurs + Sint-Amands = 3,200 pupils in Puurs-Sint-Amands; the other communes are missing.
    assert harmonised["summary"]["totals"]["pupils"] == {"2018": 18200}
    assert harmonised["summary"]["total_gaps"]["pupils"] == {"2018": 565 - 2}
    assert "12041" in harmonised["report"]["merged_targets"]
    assert harmonised["report"]["rows_in"] == {"589": 6} and harmonised["report"]["rows_out"] == 2 * 565


def test_parse_writes_the_harmonised_rows(schools_file: Path, tmp_path: Path, capsys):
    parquet, csv = tmp_path / "out.parquet", tmp_path / "out.csv"
    assert run(["parse", "schools", str(schools_file), "--harmonise", "--out", str(parquet)]) == 0
    assert f"written: {parquet} (1,130 rows)" in capsys.readouterr().out
    frame = pd.read_parquet(parquet)
    merged = frame[(frame["nis_code"] == "12041") & (frame["measure"] == "pupils")].iloc[0]
    assert (merged["value"], merged["flags"], merged["sources_expected"]) == (3200, "merged_sum", 2)
    hidden = frame[(frame["nis_code"] == "12041") & (frame["measure"] == "pupils_delayed")].iloc[0]
    assert pd.isna(hidden["value"]) and hidden["status"] == "suppressed"
    assert run(["parse", "schools", str(schools_file), "--out", str(csv)]) == 0
    assert len(pd.read_csv(csv, dtype={"nis_code": str})) == 6
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv", "out.parquet", "schools_2018.csv"]


def test_a_missing_file_exits_2_naming_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    missing = tmp_path / "schools_2018.csv"
    assert run(["parse", "schools", str(missing)]) == 2
    assert capsys.readouterr().err == f"cohesion parse: dataset schools, file {missing}: no such file\n"


POP_TEXT = (
    "CD_REFNIS|TX_DESCR_NL|TX_DESCR_FR|CD_SEX|CD_NATLTY|CD_AGE|MS_POPULATION\r\n"
    "21001|Anderlecht|Anderlecht|M|BEL|30|12\r\n"
)


def population_zip(path: Path, member: str = "TF_SOC_POP_STRUCT_2024.txt") -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(member, POP_TEXT)
    return path


def test_a_file_of_another_dataset_exits_2_saying_whose_it_is(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    path = population_zip(tmp_path / "download.zip")  # the content says what it is, not the name
    assert run(["parse", "statbel_income", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(
        "cohesion parse: dataset statbel_income, file download.zip: this is a file of dataset "
        "statbel_population (statbel_population/pop_struct), not of statbel_income; "
        "run: cohesion parse statbel_population "
    )
    assert err.count("\n") == 1


def test_parse_without_a_dataset_says_what_the_file_is(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    path = tmp_path / "file1.csv"
    path.write_text(SCHOOLS_2018, encoding="utf-8")
    assert run(["parse", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("schools/counts: file1.csv (layout canonical_csv, year 2018, map 589 per the catalog, ")
    assert out[1] == "recognised by its content, year 2018 from the year column (row 2)"
    assert out[2] == "6 rows, 3 communes, map 589, 1 period(s) 2018, 2 measure(s)"


def test_parse_of_a_file_that_matches_nothing_explains_each_layout(tmp_path: Path, capsys):
    path = tmp_path / "notes.pdf"
    path.write_bytes(b"%PDF-1.7\n\x00\x01binary")
    assert run(["parse", str(path)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "cohesion parse: file notes.pdf: a binary file of no known kind that matches none of the 13 layouts"
    assert len(err) == 1 + 13
    assert err[1] == (
        "  canonical_csv: expects a text file; this is a binary file of no known kind"
    )
    assert "  statbel_pop_totals: expects a text file or a legacy Excel workbook (.xls) or an Excel workbook (.xlsx); " \
        "this is a binary file of no known kind" in err


def test_a_csv_with_a_missing_column_exits_2_naming_row_and_column(tmp_path: Path, capsys):
    path = tmp_path / "schools_2018.csv"
    path.write_text("nis_code,map_vintage,pupils\n21001,589,15000\n", encoding="utf-8")
    assert run(["parse", "schools", str(path), "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(
        "cohesion parse: dataset schools, file schools_2018.csv, row 1, column 'year': column 3 must be 'year', "
        "found 'pupils'"
    )


def test_a_file_whose_content_and_name_match_nothing_is_explained_layout_by_layout(tmp_path: Path, capsys):
    path = tmp_path / "movement.xlsx"
    path.write_bytes(b"not read")
    assert run(["parse", "arrivals", str(path)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "cohesion parse: dataset arrivals, file movement.xlsx: a text file that matches none of the 13 layouts"
    # The layouts that read text files first, each with its reason; then the others.
    assert err[1] == "  canonical_csv: its header does not start with nis_code,map_vintage,year (found 'not read')"
    assert err[-1] == "  swing_xlsx: expects an Excel workbook (.xlsx); this is a text file"


def test_an_unknown_dataset_exits_2_listing_the_known_ones(schools_file: Path, capsys):
    assert run(["parse", "school", str(schools_file)]) == 2
    assert "unknown dataset 'school'; the catalog has: statbel_refnis, statbel_population" in capsys.readouterr().err


def test_bad_out_is_refused_before_parsing(schools_file: Path, tmp_path: Path, capsys):
    assert run(["parse", "schools", str(schools_file), "--out", str(tmp_path / "out.xlsx")]) == 2
    assert capsys.readouterr().err == "cohesion parse: --out must end in .parquet or .csv, found 'out.xlsx'\n"
    nowhere = tmp_path / "no" / "out.csv"
    assert run(["parse", "schools", str(schools_file), "--out", str(nowhere)]) == 2
    expected = f"cohesion parse: cannot write {nowhere}: the folder {nowhere.parent} does not exist\n"
    assert capsys.readouterr().err == expected


def test_the_year_comes_from_the_content_else_the_name_else_year(tmp_path: Path):
    catalog = load_catalog()
    # Recognised by its content, the year in its zip member: no --year needed, a disagreeing one refused.
    dated = population_zip(tmp_path / "population.zip", member="TF_SOC_POP_STRUCT_2016.txt")
    resolved = resolve_file(catalog, "statbel_population", dated)
    assert (resolved.spec.id, resolved.year, resolved.map_vintage) == ("pop_struct", 2016, 589)
    assert resolved.recognised() == "recognised by its content, year 2016 from the zip member TF_SOC_POP_STRUCT_2016.txt"
    with pytest.raises(RecognitionError) as caught:
        resolve_file(catalog, None, dated, 2022)
    assert str(caught.value) == (
        "file population.zip: is statbel_population/pop_struct, but the zip member TF_SOC_POP_STRUCT_2016.txt says "
        "2016 and --year says 2022"
    )
    # Nothing in the content: the year comes from --year, and nothing at all is an error.
    undated = population_zip(tmp_path / "undated.zip", member="table.txt")
    assert resolve_file(catalog, None, undated, 2021).year == 2021
    with pytest.raises(RecognitionError, match=r"one file per year \(TF_SOC_POP_STRUCT_\{year\}\.zip\), but neither"):
        resolve_file(catalog, "statbel_population", undated)
    # A file whose content matches no layout but whose dataset has one file only is that file.
    broken = tmp_path / "population.txt"
    broken.write_text("CD_REFNIS|MS_POPULATION\r\n", encoding="utf-8")
    resolved = resolve_file(catalog, "statbel_population", broken, 2024)
    assert (resolved.spec.id, resolved.year, resolved.recognition.basis) == ("pop_struct", 2024, "dataset")
    # A file on one fixed URL takes no map from the catalog: the parser reads the codes.
    panel = tmp_path / "TF_PSNL_INC_TAX_MUNTY.zip"
    with zipfile.ZipFile(panel, "w") as archive:
        archive.writestr("TF_PSNL_INC_TAX_MUNTY.txt", "CD_YEAR|CD_MUNTY_REFNIS|MS_NBR_NON_ZERO_INC|MS_TOT_NET_TAXABLE_INC\r\n")
    resolved = resolve_file(catalog, "statbel_income", panel)
    assert (resolved.spec.id, resolved.year, resolved.map_vintage) == ("panel", None, None)


# ---- fetch -------------------------------------------------------------------------------


def test_fetch_from_a_folder_archives_the_files(schools_file: Path, data_dir: Path, capsys):
    assert run(["fetch", "--source-dir", str(schools_file.parent)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("fetch (source_dir): 1 stored, 0 unchanged, 0 missing, 0 failed, 0 unmatched")
    archived = list((data_dir / "raw" / "schools" / "2018").glob("schools_2018.csv"))
    assert len(archived) == 1
    assert run(["fetch", "--offline", "--dataset", "schools"]) == 0
    assert "unchanged schools/counts schools_2018.csv: archived as vintage 2018" in capsys.readouterr().out


def test_fetch_exits_1_with_one_line_per_failed_file(tmp_path: Path, data_dir: Path, capsys):
    folder = tmp_path / "downloads"
    folder.mkdir()
    # A challenge page saved under the publisher's name: refused, never archived.
    (folder / "TF_SOC_POP_STRUCT_2024.zip").write_bytes(b"<!DOCTYPE html><html><body>challenge</body></html>")
    (folder / "interact_taux_V1.csv").write_bytes(b"jaar;maand;level;zonegeog;graad;diff1an\n2025;13;5;92094;6.00;\n")
    assert run(["fetch", "--source-dir", str(folder)]) == 1
    captured = capsys.readouterr()
    # A fetch archives all of its files or none: the good rates file is held back, not archived.
    assert "0 stored, 0 unchanged, 0 missing, 1 failed, 0 unmatched, 1 held back" in captured.out
    assert "held back employment/onem_rates interact_taux_V1.csv: not archived: 1 other file(s) of the folder failed" in captured.out
    lines = captured.err.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("cohesion fetch: failed statbel_population/pop_struct TF_SOC_POP_STRUCT_2024.zip: ")
    assert not (data_dir / "raw" / "statbel_population").exists()
    assert not (data_dir / "raw" / "employment").exists()


def test_fetch_online_passes_the_scope_and_reports(data_dir: Path, monkeypatch, capsys):
    calls = []

    def fake_fetch(catalog, archive, **kwargs):
        calls.append((archive.root, kwargs))
        item = FetchItem(
            "statbel_income", "panel", None, "TF_PSNL_INC_TAX_MUNTY.zip", "unchanged", "not modified (HTTP 304)"
        )
        return FetchReport("online", (item,))

    monkeypatch.setattr("ingestion.fetch.fetch", fake_fetch)
    assert run(["fetch", "--dataset", "statbel_income", "--year", "2023"]) == 0
    assert calls == [
        (data_dir.resolve() / "raw", {"dataset": "statbel_income", "year": 2023, "mode": "online", "source_dir": None})
    ]
    out = capsys.readouterr().out
    assert "unchanged statbel_income/panel TF_PSNL_INC_TAX_MUNTY.zip: not modified (HTTP 304)" in out


def test_fetch_of_an_unknown_dataset_exits_2(data_dir: Path, capsys: pytest.CaptureFixture[str]):
    assert run(["fetch", "--offline", "--dataset", "income"]) == 2
    assert capsys.readouterr().err.startswith("cohesion fetch: unknown dataset 'income'; the catalog has: ")


def test_offline_and_source_dir_exclude_each_other(capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit) as exit_info:
        run(["fetch", "--offline", "--source-dir", "x"])
    assert exit_info.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_parse_reports_swing_labels_no_table_knows(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    path = tmp_path / "export.csv"
    path.write_text('"gemeenten";"nieuwkomers|2024";"bewoners met een groene wagen|2024"\n"Aalst";662;3\n',
                    encoding="utf-8")  # fmt: skip
    assert run(["parse", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("arrivals/newcomers: export.csv (layout swing_csv, ")
    assert (
        "unknown labels, not loaded (add them to ingestion/reference/swing_labels.csv): 'bewoners met een groene wagen'"
        in out
    )
    assert run(["parse", "arrivals", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["summary"]["unknown_labels"] == ["bewoners met een groene wagen"]


def test_year_selects_one_year_of_a_file_that_holds_many(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    path = tmp_path / "export.csv"
    path.write_text('"gemeenten";"nieuwkomers|2023";"nieuwkomers|2024"\n"Aalst";646;662\n', encoding="utf-8")
    assert run(["parse", str(path), "--year", "2023", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert (document["file_id"], document["year"], document["summary"]["periods"]) == ("newcomers", 2023, ["2023"])
    assert run(["parse", str(path), "--year", "2019"]) == 2
    assert capsys.readouterr().err == (
        "cohesion parse: dataset arrivals, file export.csv, row 1: the catalog declares year 2019 but the file has "
        "years 2023, 2024\n"
    )
