"""ONEM/RVA `interact_taux_V1.csv`: small files reproducing the reported layout (SOURCES.md 10.1)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingestion.errors import ParseError
from ingestion.parsers.onem import parse_onem_rates

HEADER = '"jaar";"maand";"level";"zonegeog";"graad";"diff1an"'
LINES = [
    "2025;6;1;99;6.28;-0.10",  # Belgium
    "2025;6;2;55;8.10;",  # ONEM's own region code (Wallonia without the German-speaking Community)
    "2025;6;3;29;5.00;",
    "2025;6;4;92;7.50;",
    "2025;6;5;92094;6.00;",  # the fixture line of the reporting repository: a month, not the year
    "2025;5;5;92094;6.10;0.20",
    "2024;13;1;99;6.31;",
    "2024;13;5;92094;6.42;-0.05",  # Namur, annual average
    "2024;13;5;62063;9.87;",
    "2024;13;5;73028;0.00;",  # Herstappe: a true 0
    "2024;13;5;23106;3.15;",  # Pajottegem exists only on the 565 map
    "2023;13;5;92094;6.80;",
    "2023;13;5;62063;10.02;",
    "2023;13;5;73028;1.20;",
    "2023;13;5;23106;3.40;",
]


def write(path: Path, lines: list[str], header: str = HEADER, bom: bool = True) -> Path:
    path.write_text(("\ufeff" if bom else "") + "\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


@pytest.fixture()
def rates(tmp_path) -> Path:
    return write(tmp_path / "interact_taux_V1.csv", LINES)


def rate(frame, code, period):
    hit = frame[(frame.nis_code == code) & (frame.period == period)]
    assert len(hit) == 1
    return hit.iloc[0]


def test_annual_commune_rates_are_kept(rates):
    frame = parse_onem_rates(rates, dataset="employment", sha256="0" * 64)
    assert len(frame) == 8
    assert rate(frame, "92094", "2024")["value"] == 6.42
    assert rate(frame, "62063", "2023")["value"] == 10.02
    assert set(frame["measure"]) == {"unemployment_rate"} and set(frame["unit"]) == {"percent"}
    assert set(frame["map_vintage"]) == {565}


def test_herstappe_zero_is_a_published_zero(rates):
    herstappe = rate(parse_onem_rates(rates, dataset="employment", sha256="0" * 64), "73028", "2024")
    assert (herstappe["value"], herstappe["status"]) == (0.0, "published")


def test_totals_and_monthly_rows_are_counted(rates):
    frame = parse_onem_rates(rates, dataset="employment", sha256="0" * 64)
    assert frame.attrs["dropped"] == {"totals_rows": 5, "pseudo_codes": 0}
    assert frame.attrs["ignored"] == {"monthly_rows": 2, "other_years": 0}


def test_year_keeps_only_that_year(rates):
    frame = parse_onem_rates(rates, dataset="employment", sha256="0" * 64, year=2023)
    assert set(frame["period"]) == {"2023"} and len(frame) == 4
    assert frame.attrs["ignored"]["other_years"] == 4


def test_year_absent_from_the_file_names_both_years(rates):
    with pytest.raises(ParseError, match=r"declares year 2019 but the file's annual commune rows are for 2023, 2024"):
        parse_onem_rates(rates, dataset="employment", sha256="0" * 64, year=2019)


def test_blank_rate_is_missing_never_zero(tmp_path):
    frame = parse_onem_rates(write(tmp_path / "r.csv", ["2024;13;5;23106;;"]), dataset="employment", sha256="0" * 64)
    got = rate(frame, "23106", "2024")
    assert got["status"] == "missing" and got["value"] != got["value"]


def test_only_monthly_rows_is_an_error(tmp_path):
    path = write(tmp_path / "r.csv", ["2025;6;5;92094;6.00;"])
    with pytest.raises(ParseError, match="no commune row \\(level 5\\) with the annual average \\(maand 13\\)"):
        parse_onem_rates(path, dataset="employment", sha256="0" * 64)


# --- bad inputs: each message names the dataset, the file and the row or column -----------


def test_missing_column(tmp_path):
    path = write(tmp_path / "r.csv", ["2024;13;5;92094;"], header='"jaar";"maand";"level";"zonegeog";"diff1an"')
    with pytest.raises(ParseError) as info:
        parse_onem_rates(path, dataset="employment", sha256="0" * 64)
    assert str(info.value) == (
        "dataset employment, file r.csv, row 1, column 'graad': no column 'graad' in the header "
        "'jaar;maand;level;zonegeog;diff1an'; expected jaar;maand;level;zonegeog;graad;diff1an"
    )


def test_wrong_delimiter(tmp_path):
    path = write(tmp_path / "r.csv", ["2024,13,5,92094,6.42,"], header="jaar,maand,level,zonegeog,graad,diff1an")
    with pytest.raises(ParseError) as info:
        parse_onem_rates(path, dataset="employment", sha256="0" * 64)
    assert str(info.value) == (
        "dataset employment, file r.csv, row 1: the header is one single column 'jaar,maand,level,zonegeog,graad,diff1an'; "
        "expected ';'-separated columns jaar;maand;level;zonegeog;graad;diff1an (is the delimiter ';'?)"
    )


def test_empty_file(tmp_path):
    path = tmp_path / "r.csv"
    path.write_bytes(b"")
    with pytest.raises(ParseError) as info:
        parse_onem_rates(path, dataset="employment", sha256="0" * 64)
    assert str(info.value) == (
        "dataset employment, file r.csv, row 1: the file is empty; expected the header jaar;maand;level;zonegeog;graad;diff1an"
    )


def test_unknown_commune_code_names_code_and_row(tmp_path):
    path = write(tmp_path / "r.csv", ["2024;13;5;92094;6.42;", "2024;13;5;92999;5.00;"])
    with pytest.raises(ParseError) as info:
        parse_onem_rates(path, dataset="employment", sha256="0" * 64)
    assert str(info.value) == (
        "dataset employment, file r.csv, row 3, column 'zonegeog': code 92999 is not a commune of the 565 map"
    )


def test_text_rate_names_row_and_column(tmp_path):
    path = write(tmp_path / "r.csv", ["2024;13;5;92094;6,42;"])
    with pytest.raises(ParseError) as info:
        parse_onem_rates(path, dataset="employment", sha256="0" * 64)
    assert str(info.value) == (
        "dataset employment, file r.csv, row 2, column 'graad': expected a number like 6.00, found '6,42'"
    )


def test_pre_merger_code_on_a_declared_565_map_is_an_error(tmp_path):
    path = write(tmp_path / "r.csv", ["2024;13;5;11007;4.00;"])  # Borsbeek, merged into Antwerpen in 2025
    with pytest.raises(ParseError, match=r"row 2, column 'zonegeog': code 11007 is not a commune of the 565 map"):
        parse_onem_rates(path, dataset="employment", sha256="0" * 64, map_vintage=565)
