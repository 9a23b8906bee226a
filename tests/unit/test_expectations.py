from __future__ import annotations

import pandas as pd
import pytest

from expectations.suites import RAW_COLUMNS
from expectations.validate import validate_frame
from ingestion.geography import map_codes


def _population(codes, period="2024", map_vintage=581, value=100.0):
    codes = sorted(codes)
    frame = pd.DataFrame(
        {
            "dataset": "statbel_population",
            "nis_code": codes,
            "map_vintage": map_vintage,
            "period": period,
            "measure": "population_total",
            "value": value,
            "unit": "persons",
            "status": "published",
            "source_file": f"TF_SOC_POP_STRUCT_{period}.zip",
            "file_sha256": "0" * 64,
            "file_id": "pop_struct",
            "vintage": period,
        }
    )
    return frame[list(RAW_COLUMNS)]


@pytest.fixture(scope="module")
def good_frame():
    return pd.concat(
        [_population(map_codes(581), "2024", 581), _population(map_codes(565), "2025", 565)], ignore_index=True
    )


def test_complete_population_table_passes(good_frame):
    summary = validate_frame("statbel_population", good_frame)
    assert summary.success, summary.message()
    assert summary.message().startswith("dataset statbel_population: all ")


def test_missing_commune_fails_naming_the_commune(good_frame):
    frame = good_frame[~((good_frame["nis_code"] == "21004") & (good_frame["period"] == "2025"))]
    summary = validate_frame("statbel_population", frame)
    assert not summary.success
    assert summary.message() == (
        "dataset statbel_population: expectation failed: expect_column_distinct_values_to_equal_set on 'nis_code' "
        'where file_id=="pop_struct" and period=="2025" and map_vintage==565: 1 missing (21004); 0 unexpected'
    )


def test_missing_and_unexpected_communes_are_told_apart_and_each_listed(good_frame):
    # 19 Brussels communes dropped and one code of the old map in their place: the missing ones
    # are not "unexpected", and every one of them is named.
    brussels = sorted(c for c in map_codes(565) if c.startswith("21"))
    frame = good_frame[~(good_frame["nis_code"].isin(brussels) & (good_frame["period"] == "2025"))].copy()
    frame.loc[frame.index[-1], "nis_code"] = "11007"  # Borsbeek: merged into Antwerp in 2025
    summary = validate_frame("statbel_population", frame)
    (coverage,) = [f for f in summary.failures if f.expectation == "expect_column_distinct_values_to_equal_set"]
    assert coverage.missing == tuple(brussels) + (sorted(map_codes(565))[-1],)
    assert coverage.unexpected == ("11007",)
    assert coverage.describe().endswith(
        f"20 missing ({', '.join(coverage.missing)}); 1 unexpected (11007)"
    )
    assert summary.as_metadata()["missing_communes"] == {coverage.condition: list(coverage.missing)}


def test_negative_count_fails_naming_the_value(good_frame):
    frame = good_frame.copy()
    frame.loc[0, "value"] = -5.0
    summary = validate_frame("statbel_population", frame)
    assert not summary.success
    assert "expect_column_values_to_be_between on 'value'" in summary.message()
    assert "-5.0" in summary.message()


def test_code_of_another_map_and_duplicate_rows_fail(good_frame):
    frame = pd.concat([good_frame, good_frame.iloc[[0]]], ignore_index=True)
    summary = validate_frame("statbel_population", frame)
    assert "expect_compound_columns_to_be_unique" in {f.expectation for f in summary.failures}
    frame = good_frame.copy()
    frame.loc[frame.index[-1], "nis_code"] = "11007"  # Borsbeek does not exist on the 565 map
    summary = validate_frame("statbel_population", frame)
    assert any("11007" in f.describe() for f in summary.failures)


def test_suppressed_cell_with_a_value_fails(good_frame):
    frame = good_frame.copy()
    frame.loc[3, "status"] = "suppressed"
    summary = validate_frame("statbel_population", frame)
    assert "expect_column_values_to_be_null" in {f.expectation for f in summary.failures}


def test_regional_export_gaps_are_reported_not_gated():
    flemish = sorted(c for c in map_codes(565) if c[0] in "1347")[:300]
    frame = _population(flemish, "2024", 565).assign(dataset="employment", file_id="vdab_jobseekers", measure="jobseekers")
    summary = validate_frame("employment", frame)
    assert summary.success, summary.message()
    assert summary.coverage_gaps[0].startswith(f"vdab_jobseekers 2024: {565 - len(flemish)} of 565 communes absent")
    national = frame.assign(file_id="counts")
    assert not validate_frame("employment", national).success


def test_national_files_are_those_the_catalog_declares_national():
    from expectations.suites import national_file_ids

    assert national_file_ids("arrivals") == frozenset({"movement"})  # the four Swing exports are regional
    assert national_file_ids("statbel_population_totals") == frozenset({"pop_density"})


def test_a_rate_per_1000_may_exceed_1000_but_never_be_negative():
    codes = sorted(c for c in map_codes(565) if c[0] in "1347")[:3]
    frame = _population(codes, "2016", 565, value=2596.6).assign(
        dataset="arrivals", file_id="newcomers_non_eu_rate", measure="newcomers_non_eu_per_1000_adults_non_eu",
        unit="per_1000",
    )
    assert validate_frame("arrivals", frame).success  # Damme 2016: 2,596.6 per 1,000 non-EU adults
    frame.loc[0, "value"] = -1.0
    summary = validate_frame("arrivals", frame)
    assert not summary.success and 'unit=="per_1000"' in summary.message()


def _damaged(frame: pd.DataFrame):
    """The frame as a raw table is read (text columns as pandas' str), and with one kind of damage each."""
    frame = frame.astype({c: "str" for c in frame.columns if frame[c].dtype == object})
    yield frame
    damage = (("value", -5.0), ("nis_code", "1234"), ("period", "20x4"), ("status", "bogus"), ("file_sha256", None),
              ("dataset", "other"), ("measure", "bogus"), ("unit", "share"))
    for column, value in damage:
        damaged = frame.copy()
        damaged.loc[damaged.index[3], column] = value
        yield damaged
    yield pd.concat([frame, frame.head(2)], ignore_index=True)
    suppressed = frame.copy()
    suppressed.loc[suppressed.index[:2], "status"] = "suppressed"
    yield suppressed


def test_the_quick_verdicts_are_those_of_a_full_validation(good_frame):
    # validate_frame asks GX for verdicts only (BOOLEAN_ONLY, text as categories) and validates
    # again in full only when one fails: each verdict must be the one a full run gives.
    from expectations.suites import build_expectations, contract_for
    from expectations.validate import _context, _run_suite

    for frame in _damaged(good_frame):
        suite = build_expectations(contract_for("statbel_population"))
        quick = [(r.expectation_config.type, r.success) for r in _run_suite("raw_test", suite, frame)]
        full = _context().validation_definitions.get("validate_raw_test").run(batch_parameters={"dataframe": frame})
        assert quick == [(r.expectation_config.type, r.success) for r in full.results]


def test_great_expectations_keeps_no_frame_it_validated(good_frame):
    # GX's context lives for the whole run; each raw table it kept (the real-estate one is 325,000
    # rows on the sample) stayed in memory through dbt and the index. Passing and failing frames.
    import gc
    import weakref

    passing, failing = good_frame.copy(), pd.concat([good_frame, good_frame.head(2)], ignore_index=True)
    kept = [weakref.ref(passing), weakref.ref(failing)]
    assert validate_frame("statbel_population", passing).success
    assert not validate_frame("statbel_population", failing).success
    del passing, failing
    gc.collect()
    assert [ref() is None for ref in kept] == [True, True]


def test_great_expectations_keeps_no_metric_it_computed(good_frame):
    # GX caches each metric (row masks, lists of unexpected rows) per batch for the engine's life:
    # on the real files, 30 MB of the real-estate checks stayed through dbt and publishing. No batch
    # is validated twice, so nothing is lost by dropping them once a suite has run.
    from expectations.validate import _context

    failing = pd.concat([good_frame, good_frame.head(2)], ignore_index=True)
    summary = validate_frame("statbel_population", failing)
    assert summary.message().startswith("dataset statbel_population: expectation failed: expect_compound_columns_to_be_unique")
    engine = _context().data_sources.get("frames").get_execution_engine()
    assert len(engine._metric_cache) == 0
