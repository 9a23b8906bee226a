"""Our canonical CSV layout (ingestion/CANONICAL_CSV.md): the happy path, every documented error, and the
documentation's own examples parsed as written."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from ingestion.errors import ParseError
from ingestion.parsers.canonical_csv import measure_units, parse_canonical_csv
from ingestion.reference import seed_path

DOCS = Path(__file__).resolve().parents[2] / "ingestion" / "CANONICAL_CSV.md"
EMPLOYMENT = """nis_code,map_vintage,year,jobseekers,active_population
92094,565,2024,4210.5,65880
62063,565,2024,x,98120
01000,565,2024,480000,5200000
23106,565,2024,,17000
"""


def write(tmp_path: Path, text: str, name: str = "employment_2024.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def parse(path: Path, **kwargs) -> pd.DataFrame:
    kwargs.setdefault("dataset", "employment")
    return parse_canonical_csv(path, sha256="0" * 64, **kwargs)


def cell(frame, code, measure):
    hit = frame[(frame.nis_code == code) & (frame.measure == measure)]
    assert len(hit) == 1
    return hit.iloc[0]


def test_values_statuses_and_units(tmp_path):
    frame = parse(write(tmp_path, EMPLOYMENT))
    assert len(frame) == 6  # 3 communes x 2 measures; the Belgium row is dropped
    assert cell(frame, "92094", "jobseekers")[["value", "status", "unit", "period"]].tolist() == [
        4210.5, "published", "persons", "2024"]
    suppressed = cell(frame, "62063", "jobseekers")
    assert suppressed["status"] == "suppressed" and pd.isna(suppressed["value"])
    assert cell(frame, "23106", "jobseekers")["status"] == "missing"
    assert frame.attrs["dropped"] == {"totals_rows": 1, "pseudo_codes": 0}
    assert set(frame["map_vintage"]) == {565}


def test_pseudo_codes_are_dropped_and_counted(tmp_path):
    text = "nis_code,map_vintage,year,jobseekers\n92094,565,2024,1\n99991,565,2024,3\n"
    assert parse(write(tmp_path, text)).attrs["dropped"] == {"totals_rows": 0, "pseudo_codes": 1}


def test_units_come_from_the_measures_registry():
    assert measure_units("schools")["pupils"] == "pupils"
    assert measure_units("employment")["unemployment_rate"] == "percent"
    assert seed_path("measures").name == "measures.csv"


def test_older_map_is_accepted_with_its_own_codes(tmp_path):
    text = "nis_code,map_vintage,year,pupils\n11007,581,2020,1200\n"  # Borsbeek, a commune until 2024
    frame = parse(write(tmp_path, text), dataset="schools")
    assert frame[["nis_code", "map_vintage", "value"]].values.tolist() == [["11007", 581, 1200.0]]


# --- bad inputs: each message names the dataset, the file and the row and column ----------


def error(tmp_path, text, **kwargs) -> str:
    with pytest.raises(ParseError) as info:
        parse(write(tmp_path, text), **kwargs)
    return str(info.value)


def test_missing_key_column(tmp_path):
    assert error(tmp_path, "nis_code,year,jobseekers\n92094,2024,1\n") == (
        "dataset employment, file employment_2024.csv, row 1, column 'map_vintage': column 2 must be "
        "'map_vintage', found 'year'; the header starts nis_code,map_vintage,year"
    )


def test_wrong_delimiter(tmp_path):
    assert error(tmp_path, "nis_code;map_vintage;year;jobseekers\n92094;565;2024;1\n") == (
        "dataset employment, file employment_2024.csv, row 1: the header is one single column "
        "'nis_code;map_vintage;year;jobseekers'; expected comma-separated columns nis_code,map_vintage,year,"
        "<measure>,... (is the delimiter a comma?)"
    )


def test_empty_file(tmp_path):
    assert error(tmp_path, "") == (
        "dataset employment, file employment_2024.csv, row 1: the file is empty; expected the header "
        "nis_code,map_vintage,year,<measure>,..."
    )


def test_header_without_rows(tmp_path):
    assert error(tmp_path, "nis_code,map_vintage,year,jobseekers\n").endswith(
        "row 2: the file has a header but no data row")


def test_unknown_measure(tmp_path):
    message = error(tmp_path, "nis_code,map_vintage,year,jobseekers,pupils\n92094,565,2024,1,2\n")
    assert message.startswith(
        "dataset employment, file employment_2024.csv, row 1, column 'pupils': unknown measure 'pupils' for "
        "dataset employment; expected one of ['active_population', 'active_population_under_25',")


def test_unknown_commune_code(tmp_path):
    assert error(tmp_path, "nis_code,map_vintage,year,jobseekers\n92094,565,2024,1\n92999,565,2024,1\n") == (
        "dataset employment, file employment_2024.csv, row 3, column 'nis_code': code 92999 is not a commune "
        "of the 565 map"
    )


def test_code_without_leading_zero(tmp_path):
    assert error(tmp_path, "nis_code,map_vintage,year,jobseekers\n1000,565,2024,1\n") == (
        "dataset employment, file employment_2024.csv, row 2, column 'nis_code': expected a 5-digit NIS code "
        "(with leading zeros), found '1000'"
    )


def test_duplicated_commune_year(tmp_path):
    text = "nis_code,map_vintage,year,jobseekers\n92094,565,2024,1\n62063,565,2024,1\n92094,565,2024,2\n"
    assert error(tmp_path, text) == (
        "dataset employment, file employment_2024.csv, row 4, column 'nis_code': commune 92094 year 2024 "
        "already appears on row 2"
    )


def test_mixed_map_vintages(tmp_path):
    text = "nis_code,map_vintage,year,jobseekers\n92094,565,2024,1\n62063,581,2024,1\n"
    assert error(tmp_path, text) == (
        "dataset employment, file employment_2024.csv, row 3, column 'map_vintage': mixed map vintages: 581 "
        "here, 565 on row 2; a file is on one map"
    )


def test_decimal_comma_is_rejected(tmp_path):
    assert error(tmp_path, 'nis_code,map_vintage,year,jobseekers\n92094,565,2024,"4210,5"\n') == (
        "dataset employment, file employment_2024.csv, row 2, column 'jobseekers': expected a number with a dot "
        "decimal (1234.5), an empty cell or 'x', found '4210,5'"
    )


def test_declared_year_and_map_must_agree(tmp_path):
    text = "nis_code,map_vintage,year,jobseekers\n92094,565,2024,1\n"
    assert error(tmp_path, text, year=2023).endswith(
        "row 2, column 'year': the catalog declares year 2023 but the file has year 2024")
    assert error(tmp_path, text, map_vintage=581).endswith(
        "row 2, column 'map_vintage': the catalog declares map 581 but the file declares map 565")


def test_short_row(tmp_path):
    assert error(tmp_path, "nis_code,map_vintage,year,jobseekers\n92094,565,2024\n") == (
        "dataset employment, file employment_2024.csv, row 2: expected 4 comma-separated fields as in the "
        "header, found 3"
    )


# --- the documentation ------------------------------------------------------------------------


def doc_examples() -> dict[str, str]:
    """The ```csv blocks of ingestion/CANONICAL_CSV.md, keyed by the dataset named in their header line."""
    text = DOCS.read_text(encoding="utf-8")
    return dict(re.findall(r"<!-- example: (\w+) -->\s*```csv\n(.*?)```", text, flags=re.S))


def test_documentation_examples_parse(tmp_path):
    examples = doc_examples()
    assert sorted(examples) == ["employment", "schools"]
    for dataset, text in examples.items():
        frame = parse(write(tmp_path, text, f"{dataset}.csv"), dataset=dataset)
        assert frame["nis_code"].nunique() == 3, dataset


def test_documentation_lists_every_measure_with_its_unit():
    from ingestion.swing_labels import swing_labels

    text = DOCS.read_text(encoding="utf-8")
    # Published rates come from ONEM and the Swing exports (their label table), not from this layout.
    published = {"unemployment_rate"} | {x.measure for x in swing_labels().values() if x.used and x.role == "rate"}
    for dataset in ("employment", "schools"):
        for measure, unit in measure_units(dataset).items():
            if measure in published:
                continue
            assert re.search(rf"\| `{measure}` \| {unit} \|", text), (dataset, measure)
