"""harmonise_frame: the warehouse's own harmonisation SQL (dbt models and macro harmonise_to_565),
run on one frame in an in-memory DuckDB for the CLI."""

from __future__ import annotations

import pandas as pd
import pytest

from ingestion.canonical import SourceFile, make_frame
from ingestion.errors import ParseError
from ingestion.geography import crosswalk_to_565, map_codes
from ingestion.harmonise_sql import HARMONISED_COLUMNS, harmonise_frame

UNITS = {
    "declarations_total": "declarations",
    "median_income_per_declaration": "EUR",
    "residents": "persons",
    "population_total": "persons",
}


def frame_of(rows: list[tuple], *, map_vintage: int, dataset: str = "statbel_income", file: str = "f.csv"):
    """Canonical rows (nis_code, period, measure, value, status) on one map."""
    records = [
        {"nis_code": c, "period": p, "measure": m, "value": v, "unit": UNITS[m], "status": s}
        for c, p, m, v, s in rows
    ]
    columns = ["nis_code", "period", "measure", "value", "unit", "status"]
    source = SourceFile(dataset, file, "0" * 64)
    return make_frame(pd.DataFrame(records, columns=columns), source=source, map_vintage=map_vintage)


def row(frame: pd.DataFrame, code: str, measure: str, period: str = "2023") -> dict:
    found = frame[(frame["nis_code"] == code) & (frame["measure"] == measure) & (frame["period"] == period)]
    assert len(found) == 1, f"{code} {measure} {period}: {len(found)} rows"
    return found.iloc[0].to_dict()


@pytest.fixture(scope="module")
def income_2023():
    """The case of the dbt unit test, on the 581 map: Antwerpen + Borsbeek, a suppressed part of
    Beveren-Kruibeke-Zwijndrecht, Merelbeke absent from the file, Anderlecht unchanged."""
    frame = frame_of(
        [
            ("11002", "2023", "declarations_total", 1000, "published"),
            ("11007", "2023", "declarations_total", 200, "published"),
            ("46003", "2023", "declarations_total", 300, "published"),
            ("46013", "2023", "declarations_total", None, "suppressed"),
            ("11056", "2023", "declarations_total", 150, "published"),
            ("44040", "2023", "declarations_total", 100, "published"),
            ("21001", "2023", "declarations_total", 5000, "published"),
            ("11002", "2023", "median_income_per_declaration", 30000, "published"),
            ("11007", "2023", "median_income_per_declaration", 32000, "published"),
            ("21001", "2023", "median_income_per_declaration", 25000, "published"),
        ],
        map_vintage=581,
    )
    frame.attrs["dropped"] = {"totals_rows": 57, "pseudo_codes": 1}
    return harmonise_frame(frame)


def test_merged_additive_measure_is_the_sum_of_its_parts(income_2023):
    out, _ = income_2023
    antwerpen = row(out, "11002", "declarations_total")
    assert antwerpen["value"] == 1200
    assert (antwerpen["status"], antwerpen["flags"], antwerpen["sources_expected"]) == ("published", "merged_sum", 2)
    assert antwerpen["map_vintage"] == 565 and antwerpen["source_map"] == 581


def test_a_suppressed_part_hides_the_whole_sum_never_a_partial_one(income_2023):
    out, report = income_2023
    bkz = row(out, "46030", "declarations_total")
    assert pd.isna(bkz["value"]) and bkz["status"] == "suppressed"
    assert (bkz["sources_expected"], bkz["sources_found"]) == (3, 3)
    assert report.withheld >= 1


def test_a_commune_absent_from_the_file_makes_its_target_missing(income_2023):
    out, report = income_2023
    merelbeke_melle = row(out, "44088", "declarations_total")
    assert pd.isna(merelbeke_melle["value"]) and merelbeke_melle["status"] == "missing"
    assert (merelbeke_melle["sources_expected"], merelbeke_melle["sources_found"]) == (2, 1)
    # Every other commune of the 581 map is absent too: each becomes a missing row, not a gap.
    ixelles = row(out, "21009", "declarations_total")
    assert pd.isna(ixelles["value"]) and ixelles["status"] == "missing" and ixelles["sources_found"] == 0
    assert report.absent_parts == 2 * 581 - 10


def test_non_additive_measure_is_null_for_merged_communes_and_kept_for_single_ones(income_2023):
    out, report = income_2023
    antwerpen = row(out, "11002", "median_income_per_declaration")
    assert pd.isna(antwerpen["value"])
    assert (antwerpen["status"], antwerpen["flags"]) == ("no_value", "merged_not_additive")
    anderlecht = row(out, "21001", "median_income_per_declaration")
    assert (anderlecht["value"], anderlecht["status"], anderlecht["flags"]) == (25000, "published", "")
    assert report.not_additive == 14  # every merged target of 2025, for the median


def test_output_is_one_row_per_565_commune_period_and_measure(income_2023):
    out, report = income_2023
    assert tuple(out.columns) == HARMONISED_COLUMNS
    assert len(out) == 2 * 565 == report.rows_out
    assert set(out["nis_code"]) == map_codes(565) and set(out["map_vintage"]) == {565}
    assert not out.duplicated(["nis_code", "period", "measure"]).any()
    assert report.rows_in == {581: 10} and report.communes_in == {581: 7}
    assert len(report.merged_targets) == 14 and "44088" in report.merged_targets
    assert out.attrs["dropped"] == {"totals_rows": 57, "pseudo_codes": 1}


def test_renumbered_commune_keeps_its_median_under_the_new_code():
    out, report = harmonise_frame(
        frame_of([("52043", "2018", "median_income_per_declaration", 27000, "published")], map_vintage=589)
    )
    manage = row(out, "55086", "median_income_per_declaration", "2018")
    assert (manage["value"], manage["status"], manage["flags"]) == (27000, "published", "renumbered")
    assert "52043" not in set(out["nis_code"])
    # The spine covers the whole 589 map: the 11 Hainaut renumberings of 2019 are all flagged.
    assert report.renumbered == 11 == report.flags["renumbered"]


def test_a_full_589_map_keeps_its_total_and_counts_each_merger():
    codes = sorted(map_codes(589))
    frame = frame_of([(c, "2015", "residents", 1, "published") for c in codes], map_vintage=589)
    out, report = harmonise_frame(frame)
    assert out["value"].sum() == 589 and len(out) == 565 and out["status"].eq("published").all()
    # Beveren, Kruibeke and Zwijndrecht merged in 2025; Puurs and Sint-Amands in 2019.
    assert row(out, "46030", "residents", "2015")["value"] == 3
    assert row(out, "12041", "residents", "2015")["value"] == 2
    merged = crosswalk_to_565(589).query("sources_in_target > 1")["to_nis"]
    assert report.merged_targets == tuple(sorted(merged.unique()))
    assert len(report.merged_targets) == 21 and report.summed == 21 and report.absent_parts == 0


def test_worst_status_of_the_parts_wins_and_a_sum_of_valued_parts_keeps_its_value():
    frame = frame_of(
        [
            ("11002", "2023", "residents", 500000, "published"),
            ("11007", "2023", "residents", 10000, "estimated"),
        ],
        map_vintage=581,
    )
    out, _ = harmonise_frame(frame)
    antwerpen = row(out, "11002", "residents")
    assert (antwerpen["value"], antwerpen["status"]) == (510000, "estimated")


def test_a_565_frame_passes_through_unchanged():
    codes = sorted(map_codes(565))
    cells = [(c, "2024", "declarations_total", i, "published") for i, c in enumerate(codes)]
    frame = frame_of(cells, map_vintage=565)
    out, report = harmonise_frame(frame)
    assert out["value"].tolist() == frame["value"].tolist()
    assert out["flags"].eq("").all() and report.merged_targets == () and report.absent_parts == 0
    assert report.rows_in == {565: 565} and report.rows_out == 565


def test_a_code_of_another_map_is_refused_naming_it():
    # 11007 (Borsbeek) ended on 31 December 2024: it is no commune of the 565 map.
    frame = frame_of([("11001", "2024", "residents", 1, "published")], map_vintage=565, file="x.csv")
    frame.loc[0, "nis_code"] = "11007"
    expected = r"dataset statbel_income, file x\.csv, column 'nis_code': 1 code\(s\) .*map 565: 11007"
    with pytest.raises(ParseError, match=expected):
        harmonise_frame(frame)


def test_one_period_and_measure_from_two_maps_is_refused():
    a = frame_of([("11002", "2023", "residents", 1, "published")], map_vintage=581, file="a.csv")
    b = frame_of([("11002", "2023", "residents", 1, "published")], map_vintage=565, file="b.csv")
    with pytest.raises(ParseError, match=r"period 2023 measure residents comes from more than one file, map or unit"):
        harmonise_frame(pd.concat([a, b], ignore_index=True))


def test_an_empty_frame_gives_an_empty_frame():
    out, report = harmonise_frame(frame_of([], map_vintage=581))
    assert out.empty and tuple(out.columns) == HARMONISED_COLUMNS
    assert report.rows_out == 0 and report.rows_in == {}


def test_a_population_totals_file_goes_through_the_population_models_as_in_the_warehouse():
    # stg_raw__statbel_population unions the detailed files and the totals table; the rows come
    # out as dataset statbel_population, where population_total is additive.
    frame = frame_of(
        [("11002", "2021", "population_total", 530000, "published"), ("11007", "2021", "population_total", 10000, "published")],
        map_vintage=581,
        dataset="statbel_population_totals",
    )
    out, report = harmonise_frame(frame)
    antwerpen = row(out, "11002", "population_total", "2021")
    assert (antwerpen["dataset"], antwerpen["value"], antwerpen["flags"]) == ("statbel_population", 540000, "merged_sum")
    assert report.rows_out == 565 and report.absent_parts == 581 - 2


def test_a_frame_of_two_datasets_is_refused():
    a = frame_of([("11002", "2023", "residents", 1, "published")], map_vintage=581)
    b = frame_of([("11002", "2023", "declarations_total", 1, "published")], map_vintage=581, dataset="schools")
    with pytest.raises(ValueError, match="harmonise one dataset at a time, found schools, statbel_income"):
        harmonise_frame(pd.concat([a, b], ignore_index=True))
