"""Plausibility rules on small raw tables: each implausible value is named with its dataset, file,
commune, measure, both values and the rule; reviewed exceptions are accepted; the rules file is
validated key by key."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from expectations.plausibility import check_plausibility
from expectations.plausibility_config import (
    PlausibilityConfigError,
    ReviewedException,
    exceptions_frame,
    load_exceptions,
    load_rules,
)
from ingestion.geography import map_codes

RULES = load_rules()


def _rows(period: str, values: dict[str, float], measure: str = "population_total", map_vintage: int = 581,
          dataset: str = "statbel_population", file_id: str = "pop_struct") -> pd.DataFrame:  # fmt: skip
    return pd.DataFrame(
        {
            "dataset": dataset, "nis_code": list(values), "map_vintage": map_vintage, "period": period,
            "measure": measure, "value": list(values.values()), "unit": "persons", "status": "published",
            "source_file": f"TF_SOC_POP_STRUCT_{period[:4]}.zip", "file_sha256": "0" * 64, "file_id": file_id,
            "vintage": period[:4],
        }
    )


def _population(year: int, scale: float = 1.0, overrides: dict[str, float] | None = None, map_vintage: int = 581) -> pd.DataFrame:
    values = {code: 10_000.0 * scale for code in sorted(map_codes(map_vintage))}
    values.update(overrides or {})
    return _rows(str(year), values, map_vintage=map_vintage)


def test_a_plausible_table_passes_and_says_what_it_compared():
    frame = pd.concat([_population(2023), _population(2024, 1.01)], ignore_index=True)
    result = check_plausibility("statbel_population", frame, RULES)
    assert result.passed
    assert result.message() == (
        "dataset statbel_population: plausible (581 by year_change, 4 by total_shift; compared with no published "
        "load (first release))"
    )


def test_a_commune_ten_times_larger_than_the_year_before_fails_naming_both_values():
    frame = pd.concat([_population(2023), _population(2024, overrides={"21013": 100_000.0})], ignore_index=True)
    result = check_plausibility("statbel_population", frame, RULES)
    assert not result.passed
    # The commune, and Brussels' total with it (19 communes: +47 %).
    assert [(f.rule, f.code) for f in result.findings] == [
        ("year_change.population_total", "21013"), ("total_shift.population_total", "BE-BRU")
    ]
    assert result.message() == (
        "dataset statbel_population, file TF_SOC_POP_STRUCT_2024.zip, commune 21013 (Saint-Gilles / Sint-Gillis), "
        "population_total 2024: 100,000 against 10,000 in 2023 (+900.0%); rule year_change: at most ±15% (or ±100) "
        "a year (config/plausibility.yml year_change.population_total) (+1 more implausible value(s), listed in the "
        "run report; in all 1 year_change, 1 total_shift)"
    )


def test_a_small_commune_may_move_by_a_few_residents():
    frame = pd.concat(
        [_population(2023, overrides={"63084": 80.0}), _population(2024, overrides={"63084": 150.0})], ignore_index=True
    )
    assert check_plausibility("statbel_population", frame, RULES).passed  # +87 %, but 70 residents


def test_a_merged_commune_is_not_compared_with_its_old_territory():
    # Antwerpen absorbed Borsbeek on 1 January 2025: the code 11002 covers more people from then.
    before = _population(2024)
    after = _rows("2025", {code: 10_000.0 for code in sorted(map_codes(565))}, map_vintage=565)
    after.loc[after["nis_code"] == "11002", "value"] = 20_000.0
    result = check_plausibility("statbel_population", pd.concat([before, after], ignore_index=True), RULES)
    assert [f.rule for f in result.findings] == []
    assert result.compared["year_change"] < 565  # merged and renumbered codes left out


def test_a_halved_year_fails_on_the_national_and_regional_totals():
    frame = pd.concat([_population(2023), _population(2024, 0.5)], ignore_index=True)
    result = check_plausibility("statbel_population", frame, RULES)
    totals = [f for f in result.findings if f.rule == "total_shift.population_total"]
    assert [f.code for f in totals] == ["BE", "BE-BRU", "BE-VLG", "BE-WAL"]
    assert totals[0].line() == (
        "dataset statbel_population, file TF_SOC_POP_STRUCT_2024.zip, total of Belgium (BE), population_total 2024: "
        "2,905,000 against 5,810,000 in 2023 (-50.0%); rule total_shift: a national or regional total moves at most "
        "±5% a year (config/plausibility.yml total_shift.population_total)"
    )
    assert len(result.findings) == 581 + 4  # every commune, and the four totals


def test_a_value_that_moved_from_the_published_load_fails():
    published = _population(2024)
    now = _population(2024, overrides={"11002": 10_800.0})
    result = check_plausibility("statbel_population", now, RULES, baseline=published, baseline_label="release r1")
    assert result.message() == (
        "dataset statbel_population, file TF_SOC_POP_STRUCT_2024.zip, commune 11002 (Anvers / Antwerpen), "
        "population_total 2024: 10,800 against 10,000 in the published load (release r1) (+8.0%); rule load_change: "
        "at most ±5% (or ±20) from the published load (config/plausibility.yml load_change.*)"
    )


def test_the_published_load_compares_as_categories_or_text_alike():
    # The checks read raw tables with text as categories and the published load likewise; the
    # comparison matches keys on one sorted set of categories. Its findings, their order (by
    # commune, then period) and their lines are those of plain text frames, whatever order each
    # side's categories come in.
    published = pd.concat([_population(2023), _population(2024)], ignore_index=True)
    moved = {"11002": 10_800.0, "92094": 9_000.0, "21004": 12_000.0}
    now = pd.concat([_population(2023, overrides=moved), _population(2024, overrides=moved)], ignore_index=True)

    def as_categories(frame: pd.DataFrame, reverse: bool) -> pd.DataFrame:
        text = ["dataset", "nis_code", "period", "measure", "unit", "status", "source_file", "file_sha256", "file_id", "vintage"]
        return frame.astype({c: pd.CategoricalDtype(sorted(frame[c].unique(), reverse=reverse)) for c in text})

    as_text = check_plausibility("statbel_population", now, RULES, baseline=published, baseline_label="release r1")
    load_lines = [f.line() for f in as_text.findings if f.rule.startswith("load_change")]
    assert [line.split(", ")[2] for line in load_lines] == [
        "commune 11002 (Anvers / Antwerpen)", "commune 11002 (Anvers / Antwerpen)",
        "commune 21004 (Bruxelles / Brussel)", "commune 21004 (Bruxelles / Brussel)",
        "commune 92094 (Namur / Namen)", "commune 92094 (Namur / Namen)",
    ]
    assert [line.split(": ")[0].rsplit(" ", 1)[1] for line in load_lines] == ["2023", "2024"] * 3
    for now_reversed, published_reversed in ((False, True), (True, False)):
        as_categories_result = check_plausibility(
            "statbel_population", as_categories(now, now_reversed), RULES,
            baseline=as_categories(published, published_reversed), baseline_label="release r1",
        )
        assert [f.line() for f in as_categories_result.findings] == [f.line() for f in as_text.findings]
        assert as_categories_result.compared == as_text.compared


def test_money_beyond_its_bound_and_a_total_per_resident_beyond_its_bound_fail():
    income = pd.concat(
        [
            _rows("2023", {"21013": 1_573_534.85}, "mean_income_per_inhabitant", dataset="statbel_income", file_id="panel"),
            _rows("2023", {"21013": 82_000_000_000.0}, "net_taxable_income_total", dataset="statbel_income", file_id="panel"),
            _rows("2023", {"21013": 52_000.0}, "residents", dataset="statbel_income", file_id="panel"),
        ],
        ignore_index=True,
    ).assign(source_file="TF_PSNL_INC_TAX_MUNTY.zip")
    result = check_plausibility("statbel_income", income, RULES)
    assert [f.line() for f in result.findings] == [
        "dataset statbel_income, file TF_PSNL_INC_TAX_MUNTY.zip, commune 21013 (Saint-Gilles / Sint-Gillis), "
        "mean_income_per_inhabitant 2023: 1,573,534.85 is above the bound 100,000; rule bounds: at most 100,000 "
        "(config/plausibility.yml bounds.mean_income_per_inhabitant)",
        "dataset statbel_income, file TF_PSNL_INC_TAX_MUNTY.zip, commune 21013 (Saint-Gilles / Sint-Gillis), "
        "net_taxable_income_total / residents 2023: 1,576,923.08 (82,000,000,000 / 52,000) is above the bound "
        "100,000; rule ratio_bounds.income_per_resident: net_taxable_income_total / residents at most 100,000 "
        "(config/plausibility.yml ratio_bounds.income_per_resident)",
    ]


def test_a_reviewed_exception_accepts_the_value_and_says_so():
    # Antwerp x10 moves Flanders' total by 3 %: only the commune's own change fails.
    frame = pd.concat([_population(2023), _population(2024, overrides={"11002": 100_000.0})], ignore_index=True)
    reviewed = ReviewedException(
        "statbel_population", "11002", "population_total", "2024", "checked with Statbel", "A. Data", date(2026, 1, 5)
    )
    result = check_plausibility("statbel_population", frame, RULES, exceptions=(reviewed,))
    assert result.passed and len(result.accepted) == 1
    assert result.message().endswith(
        "; 1 reviewed outlier(s) accepted: 11002 population_total 2024 (reviewed by A. Data on 2026-01-05: checked "
        "with Statbel)"
    )
    other_year = ReviewedException(None, "11002", "population_total", "2023", "another year", "A. Data", date(2026, 1, 5))
    assert not check_plausibility("statbel_population", frame, RULES, exceptions=(other_year,)).passed


def test_the_rules_file_is_validated_key_by_key(tmp_path: Path):
    bad = tmp_path / "plausibility.yml"
    bad.write_text(
        "version: '1'\nsize_change: {max_drop: 0.15, why: rows}\n"
        "datasets:\n  statbel_population:\n    year_change:\n      population_total: {max_relative: 0.15, min_absolute: 100}\n"
    )
    with pytest.raises(PlausibilityConfigError) as caught:
        load_rules(bad)
    assert str(caught.value) == (
        "plausibility.yml: key 'datasets.statbel_population.year_change.population_total.why': missing: every "
        "threshold says why it is what it is"
    )
    bad.write_text("version: '1'\nsize_change: {max_drop: 0.15, why: rows}\ndatasets:\n  x:\n    year_chnage: {}\n")
    with pytest.raises(PlausibilityConfigError, match=r"key 'datasets.x': unknown key\(s\) \['year_chnage'\]"):
        load_rules(bad)


def test_every_rule_of_the_shipped_file_says_why():
    for dataset, rules in RULES.datasets.items():
        for rule in (*rules.year_change, *rules.load_change, *rules.total_shift, *rules.bounds, *rules.ratio_bounds):
            assert len(rule.why) > 20, (dataset, rule)


def test_exceptions_are_validated_and_become_the_raw_table(tmp_path: Path):
    listed = tmp_path / "exceptions.yml"
    listed.write_text(
        "version: 1\nexceptions:\n  - nis_code: '21013'\n    measure: population_non_belgian\n    period: '2025'\n"
        "    reason: reception centre\n    reviewed_by: J. Peeters\n    reviewed_on: 2025-05-02\n"
    )
    (reviewed,) = load_exceptions(listed)
    assert (reviewed.dataset, reviewed.reviewed_on) == (None, date(2025, 5, 2))
    table = exceptions_frame((reviewed,))
    assert list(table.columns) == ["dataset", "nis_code", "period", "measure", "reason", "reviewed_by", "reviewed_on"]
    assert table.iloc[0]["nis_code"] == "21013" and table.iloc[0]["reviewed_on"] == date(2025, 5, 2)
    listed.write_text("version: 1\nexceptions:\n  - nis_code: 21013\n    measure: m\n    period: '2025'\n    reason: r\n"
                      "    reviewed_by: me\n")  # fmt: skip
    with pytest.raises(PlausibilityConfigError, match=r"key 'exceptions\[0\].reviewed_on': missing"):
        load_exceptions(listed)
    assert load_exceptions() == ()  # the shipped list is empty until a data team reviews an outlier
