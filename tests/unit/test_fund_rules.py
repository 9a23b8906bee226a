"""The fund rules file: the shipped file loads, and every invalid file fails naming its key."""

from __future__ import annotations

import copy
import re
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
import yaml

from kernels.fund_rules import FundRulesError, load_fund_rules, parse_fund_rules

RULES_FILE = Path(__file__).resolve().parents[2] / "config" / "fund_rules.yml"
KNOWN = {"arrivals_per_1000_3y", "arrivals_proxy_per_1000_3y", "share_non_belgian"}


def _document() -> dict[str, Any]:
    return yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))


def _parse(document: dict[str, Any], **kwargs: Any):
    return parse_fund_rules(document, source="test.yml", **kwargs)


def test_scope_is_the_country_or_listed_regions() -> None:
    base = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))
    assert _parse({**base, "scope": ["BE-VLG"]}).scope == ("BE-VLG",)
    # Listed in any order, kept in the fixed order; all three regions are the country.
    assert _parse({**base, "scope": ["BE-BRU", "BE-VLG"]}).scope == ("BE-VLG", "BE-BRU")
    assert _parse({**base, "scope": ["BE-VLG", "BE-WAL", "BE-BRU"]}).scope == ("BE",)
    without = {k: v for k, v in base.items() if k != "scope"}
    assert _parse(without).scope == ("BE",)
    for bad, message in (
        (["Flanders"], "expected BE (the whole country) or a list of regions among ['BE-VLG', 'BE-WAL', 'BE-BRU'], found ['Flanders']"),
        (["BE-VLG", "BE-VLG"], "a region is listed twice in ['BE-VLG', 'BE-VLG']"),
        ([], "expected BE (the whole country) or a list of regions"),
    ):
        with pytest.raises(FundRulesError, match=re.escape(message)) as info:
            _parse({**base, "scope": bad})
        assert info.value.key == "scope"


def test_shipped_rules_load_with_the_method_defaults() -> None:
    rules = load_fund_rules(RULES_FILE, known_indicators=KNOWN)
    assert rules.version == "2026.1"
    assert rules.method == 2
    assert rules.adopted == date(2026, 12, 3)
    assert rules.scope == ("BE",)
    assert rules.budget.cents_for(2019) == 40_000_000_00
    assert rules.budget.cents_for(2031) == 55_000_000_00  # the default
    assert rules.gate_a.indicator == "arrivals_per_1000_3y"
    assert (rules.gate_a.national_weight, rules.gate_a.regional_weight) == (Decimal("0.7"), Decimal("0.3"))
    assert rules.gate_a.min_arrivals == 100
    assert rules.gate_b.top_fraction == Fraction(1, 3)
    assert rules.allocation.floor_cents == 50_000_00
    assert rules.allocation.cap_cents(40_000_000_00) == 4_000_000_00
    assert [(line.name, line.needs_driver) for line in rules.budget_lines] == [
        ("schools", "children_3_17"),
        ("creches", "children_0_2"),
        ("sport_culture", "population"),
        ("continuing_training", "unemployed_adults"),
    ]
    assert sum(line.national_share for line in rules.budget_lines) == 1
    assert rules.transitions.exit_after_years_outside == 2
    assert rules.transitions.exit_guarantee_share == Decimal("0.5")
    # Method 2 (METHOD.md 4): need intensity = fixed-goalpost score / 50, the cap a share of the
    # whole budget, bands of 10 % of gate A's threshold and 5 ranks, Poisson noise on gate A.
    assert (rules.allocation.weight, rules.allocation.need_intensity_divisor) == ("need_intensity", 50.0)
    assert rules.allocation.cap_of == "whole_budget"
    assert (rules.bands.gate_a_share, rules.bands.gate_b_ranks) == (Decimal("0.1"), 5)
    assert rules.probability.arrival_noise == "poisson" and rules.probability.seed is not None


def test_the_method_1_rules_stay_loadable_with_their_own_meaning() -> None:
    """The archived 2025.2 file names none of method 2's keys: it reads as method 1 (score x rank
    coefficient, cap of the formula pool, no bands, gate B only in the probability)."""
    rules = load_fund_rules(RULES_FILE.parent / "archive" / "fund_rules_2025.2.yml", known_indicators=KNOWN)
    assert (rules.version, rules.method, rules.bands) == ("2025.2", 1, None)
    assert (rules.allocation.weight, rules.allocation.cap_of) == ("score_x_rank_coefficient", "formula_pool")
    assert rules.probability.arrival_noise == "none"
    current = load_fund_rules(RULES_FILE)
    # Everything but the method's keys is the same in both files (budget, gates, lines, exit).
    assert rules.budget.by_year_cents == current.budget.by_year_cents
    assert (rules.gate_a, rules.gate_b, rules.budget_lines, rules.transitions) == (
        current.gate_a, current.gate_b, current.budget_lines, current.transitions
    )


@pytest.mark.parametrize(
    ("count", "rounding", "places"),
    [(0, "ceil", 0), (1, "ceil", 1), (3, "ceil", 1), (4, "ceil", 2), (10, "ceil", 4), (10, "floor", 3), (2, "floor", 0)],
)
def test_top_third_places_use_exact_arithmetic(count: int, rounding: str, places: int) -> None:
    document = _document()
    document["gate_b"]["cutoff_rounding"] = rounding
    assert _parse(document).gate_b.places(count) == places


def _set(path: str, value: Any):
    def change(document: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = document
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if value is _DELETE:
            del node[last]
        else:
            node[int(last) if isinstance(node, list) else last] = value

    return change


_DELETE = object()


def _budget_year(year: int, value: Any):
    def change(document: dict[str, Any]) -> None:
        document["budget"]["by_year"][year] = value

    return change


ERRORS = [
    pytest.param(
        _budget_year(2021, -5),
        "key 'budget.by_year.2021': negative amount -5 EUR; expected an amount >= 0",
        id="negative-budget",
    ),
    pytest.param(
        _set("budget.default", -1000),
        "key 'budget.default': negative amount -1000 EUR; expected an amount >= 0",
        id="negative-default-budget",
    ),
    pytest.param(
        _set("budget_lines.0.national_share", 0.5),
        "key 'budget_lines': national_share values sum to 1.10 (schools 0.5 + creches 0.2 + "
        "sport_culture 0.25 + continuing_training 0.15), expected 1",
        id="shares-not-summing-to-1",
    ),
    pytest.param(
        _set("gate_a.reference_weights.regional", 0.25),
        "key 'gate_a.reference_weights': national 0.7 + regional 0.25 = 0.95, expected 1",
        id="reference-weights-not-summing-to-1",
    ),
    pytest.param(
        _set("allocation.floor_euro", 5_000_000),
        "key 'allocation.cap_share_of_budget': cap of 10 % of the 2019 budget (40,000,000.00 EUR) "
        "is 4,000,000.00 EUR, below allocation.floor_euro 5,000,000.00 EUR",
        id="cap-below-floor",
    ),
    pytest.param(
        _set("gate_b.top_fraction", _DELETE),
        "key 'gate_b.top_fraction': missing key",
        id="missing-key",
    ),
    pytest.param(
        _set("transitions", _DELETE),
        "key 'transitions': missing key",
        id="missing-section",
    ),
    pytest.param(
        _set("allocation.floor_euro", "fifty thousand"),
        "key 'allocation.floor_euro': expected a number, found 'fifty thousand'",
        id="bad-type-amount",
    ),
    pytest.param(
        _set("allocation.floor_euro", 50000.005),
        "key 'allocation.floor_euro': 50000.005 EUR has more than two decimals",
        id="fraction-of-a-cent",
    ),
    pytest.param(
        _set("gate_a.allow_proxy", "yes"),
        "key 'gate_a.allow_proxy': expected true or false, found 'yes'",
        id="bad-type-boolean",
    ),
    pytest.param(
        _set("version", 2025.1),
        "key 'version': expected a non-empty quoted string, found 2025.1",
        id="bad-type-version",
    ),
    pytest.param(
        _set("adopted", "30/06/2025"),
        "key 'adopted': expected a date as YYYY-MM-DD, found '30/06/2025'",
        id="bad-date",
    ),
    pytest.param(
        _set("gate_a.min_arrivals_3y", 99.5),
        "key 'gate_a.min_arrivals_3y': expected a whole number >= 0, found 99.5",
        id="bad-type-count",
    ),
    pytest.param(
        _set("gate_b.top_fraction", "a third"),
        "key 'gate_b.top_fraction': expected a fraction such as \"1/3\" or 0.25, found 'a third'",
        id="bad-fraction",
    ),
    pytest.param(
        _set("gate_b.top_fraction", 1.5),
        "key 'gate_b.top_fraction': expected a fraction in (0, 1], found 1.5",
        id="fraction-above-1",
    ),
    pytest.param(
        _set("gate_b.cutoff_rounding", "round"),
        "key 'gate_b.cutoff_rounding': expected 'ceil' or 'floor', found 'round'",
        id="bad-rounding",
    ),
    pytest.param(
        _set("allocation.cap_share_of_budget", 1.2),
        "key 'allocation.cap_share_of_budget': expected a share between 0 and 1, found 1.2",
        id="share-above-1",
    ),
    pytest.param(
        _set("allocation.rank_coefficient.first", 0.25),
        "key 'allocation.rank_coefficient.first': 0.25 is below last 0.5; the neediest commune "
        "must weigh at least as much",
        id="coefficient-rising-with-rank",
    ),
    pytest.param(
        _set("allocation.weight", "rank"),
        "key 'allocation.weight': expected one of need_intensity, need_intensity_x_rank_coefficient, "
        "score_x_rank_coefficient, found 'rank'",
        id="unknown-weight",
    ),
    pytest.param(
        _set("allocation.cap_of", "pool"),
        "key 'allocation.cap_of': expected one of whole_budget, formula_pool, found 'pool'",
        id="unknown-cap-base",
    ),
    pytest.param(
        _set("bands.gate_a_share_of_threshold", 0),
        "key 'bands.gate_a_share_of_threshold': expected a share > 0 (a band of width 0 is a cliff)",
        id="band-of-width-0",
    ),
    pytest.param(
        _set("bands.gate_b_ranks", 0),
        "key 'bands.gate_b_ranks': expected a whole number of ranks >= 1, found 0",
        id="gate-b-band-0",
    ),
    pytest.param(
        _set("eligibility_probability.seed", _DELETE),
        "key 'eligibility_probability.seed': missing key",
        id="noise-without-seed",
    ),
    pytest.param(
        _set("allocation.floor_eur", 1),
        "key 'allocation': unknown key(s) floor_eur; expected: cap_of, cap_share_of_budget, floor_euro, "
        "need_intensity_divisor, rank_coefficient, weight",
        id="misspelt-key",
    ),
    pytest.param(
        _set("gate_a.proxy_indicator", None),
        "key 'gate_a.proxy_indicator': allow_proxy is true but no proxy indicator is named",
        id="proxy-allowed-but-unnamed",
    ),
    pytest.param(
        _set("budget_lines.1.name", "schools"),
        "key 'budget_lines': line names must be unique; repeated: schools",
        id="duplicate-line",
    ),
    pytest.param(
        _set("budget_lines.1.needs_driver", "Children 0-2"),
        "key 'budget_lines[1].needs_driver': expected a snake_case name, found 'Children 0-2'",
        id="bad-driver-name",
    ),
    pytest.param(
        _set("budget_lines.0.needs_driver", "babies"),
        "key 'budget_lines[0].needs_driver': unknown needs driver 'babies'; expected one of: children_3_17, "
        "children_0_2, population, unemployed_adults",
        id="unknown-driver",
    ),
    pytest.param(
        _set("gate_a.excluded_flags", ["imputd"]),
        "key 'gate_a.excluded_flags': unknown flag(s) 'imputd'; an indicator value can carry: suppressed, missing, "
        "no_value, not_applicable, merged_not_additive, insufficient_history, zero_denominator, estimated, imputed, "
        "published_rate, proxy, income_other_year, reviewed_outlier",
        id="unknown-flag",
    ),
    pytest.param(
        _set("transitions.exit_after_years_outside", 0),
        "key 'transitions.exit_after_years_outside': expected a whole number of years >= 1, found 0",
        id="exit-after-zero-years",
    ),
    pytest.param(
        _set("eligibility_probability.borderline_low", 0.95),
        "key 'eligibility_probability': borderline_low 0.95 must be below borderline_high 0.9",
        id="borderline-bounds",
    ),
    pytest.param(
        _budget_year("2019", 1),
        "key 'budget.by_year.2019': expected a four-digit year as key, found '2019'",
        id="year-as-text",
    ),
]


@pytest.mark.parametrize(("change", "message"), ERRORS)
def test_invalid_rules_name_the_key_and_the_problem(change, message: str) -> None:
    document = copy.deepcopy(_document())
    change(document)
    with pytest.raises(FundRulesError) as caught:
        _parse(document)
    assert str(caught.value) == f"fund rules test.yml, {message}"
    assert isinstance(caught.value, ValueError)


def test_unknown_gate_indicator_is_refused_when_the_indicators_are_known() -> None:
    with pytest.raises(FundRulesError) as caught:
        _parse(_document(), known_indicators={"arrivals_proxy_per_1000_3y", "share_non_belgian"})
    assert caught.value.key == "gate_a.indicator"
    assert str(caught.value) == (
        "fund rules test.yml, key 'gate_a.indicator': unknown indicator 'arrivals_per_1000_3y'; "
        "known: arrivals_proxy_per_1000_3y, share_non_belgian"
    )


def test_unknown_proxy_is_refused_only_when_the_proxy_is_allowed() -> None:
    document = _document()
    with pytest.raises(FundRulesError, match="key 'gate_a.proxy_indicator': unknown indicator"):
        _parse(document, known_indicators={"arrivals_per_1000_3y"})
    document["gate_a"]["allow_proxy"] = False
    assert not _parse(document, known_indicators={"arrivals_per_1000_3y"}).gate_a.allow_proxy


def test_a_year_without_budget_is_an_error_when_there_is_no_default() -> None:
    document = _document()
    document["budget"]["default"] = None
    rules = _parse(document)
    assert rules.budget.cents_for(2025) == 55_000_000_00
    with pytest.raises(FundRulesError) as caught:
        rules.budget.cents_for(2026)
    assert str(caught.value) == (
        "fund rules test.yml, key 'budget.by_year.2026': no budget for 2026 and budget.default is null "
        "(years with a budget: 2019, 2020, 2021, 2022, 2023, 2024, 2025); add budget.by_year.2026 or a budget.default"
    )


def test_missing_and_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(FundRulesError, match=r"fund rules .*nowhere.yml, key '\(file\)': file not found"):
        load_fund_rules(tmp_path / "nowhere.yml")
    broken = tmp_path / "broken.yml"
    broken.write_text("version: [unclosed\n", encoding="utf-8")
    with pytest.raises(FundRulesError) as caught:
        load_fund_rules(broken)
    # The file and the line, never PyYAML's anonymous "<unicode string>".
    assert str(caught.value) == (
        f"fund rules {broken}, key '(file)': not valid YAML: line 2, column 1: while parsing a flow sequence "
        "expected ',' or ']', but got '<stream end>'"
    )
    with pytest.raises(FundRulesError) as caught:
        load_fund_rules(tmp_path)
    assert str(caught.value) == f"fund rules {tmp_path}, key '(file)': is a folder; give the rules file itself (a .yml file)"
    listed = tmp_path / "list.yml"
    listed.write_text("- version\n", encoding="utf-8")
    with pytest.raises(FundRulesError, match=r"key '\(top level\)': expected a mapping, found list"):
        load_fund_rules(listed)


def test_the_vocabularies_the_rules_check_are_the_warehouse_s():
    """needs_driver and excluded_flags are checked against lists kept in the kernel; they must be
    the needs profile's drivers and the indicator flags the dbt seeds define."""
    import csv

    from kernels.fund_rules import INDICATOR_FLAGS, NEEDS_DRIVERS

    seeds = RULES_FILE.parents[1] / "dbt_project" / "seeds"
    with (seeds / "flag_definitions.csv").open(encoding="utf-8") as f:
        flags = [row["flag"] for row in csv.DictReader(f) if row["scope"] in ("indicator", "both")]
    assert list(INDICATOR_FLAGS) == flags
    with (seeds / "value_labels.csv").open(encoding="utf-8") as f:
        drivers = [row["value"] for row in csv.DictReader(f) if row["column_name"] == "needs_driver"]
    assert list(NEEDS_DRIVERS) == [d for d in drivers if d != "last_grant"]
    profile = (seeds.parent / "models" / "fund" / "fund_needs_profile.sql").read_text(encoding="utf-8")
    assert all(f" as {driver}" in profile for driver in NEEDS_DRIVERS)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_set("colour", 1), "key '(top level)': unknown key(s) colour; expected: adopted, allocation, bands, budget, "
         "budget_lines, eligibility_probability, gate_a, gate_b, scope, transitions, version"),
        (_set("gate_a.reference_weights.local", 0), "key 'gate_a.reference_weights': unknown key(s) local; "
         "expected: national, regional"),
        (_set("budget_lines.2.share", 0.25), "key 'budget_lines[2]': unknown key(s) share; "
         "expected: name, national_share, needs_driver"),
        (_set("transitions.hold_harmless.until", 2030), "key 'transitions.hold_harmless': unknown key(s) until; "
         "expected: enabled, share_of_previous_grant, years"),
    ],
)
def test_an_unknown_key_anywhere_names_its_block_in_one_line(change, message: str) -> None:
    document = copy.deepcopy(_document())
    change(document)
    with pytest.raises(FundRulesError) as caught:
        _parse(document)
    assert str(caught.value) == f"fund rules test.yml, {message}"


def test_loaded_rules_cannot_be_changed() -> None:
    from pydantic import ValidationError

    rules = load_fund_rules(RULES_FILE)
    with pytest.raises(ValidationError, match="frozen"):
        rules.allocation.floor_cents = 0
    with pytest.raises(ValidationError, match="frozen"):
        rules.version = "2099.1"
    assert (rules.allocation.floor_cents, rules.version) == (50_000_00, "2026.1")


def test_bands_written_without_a_value_are_refused_rather_than_read_as_method_1() -> None:
    document = _document()
    document["bands"] = None
    with pytest.raises(FundRulesError) as caught:
        _parse(document)
    assert str(caught.value) == "fund rules test.yml, key 'bands': expected a mapping, found NoneType None"
    del document["bands"]
    assert _parse(document).method == 1
