"""config/methodology.yml loads, and every kind of error names the key a user must fix."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from kernels.methodology import MethodologyError, load_methodology, methodology_from_mapping

CONFIG = Path(__file__).resolve().parents[2] / "config" / "methodology.yml"
METHOD_1 = Path(__file__).resolve().parents[2] / "config" / "archive" / "methodology_2026.2.yml"
# The indicator ids of issue 4, with their directions; method 2 keeps one income mean and measures
# housing by affordability alone (issue 14, coherence audit).
EXPECTED = {
    "income": {"mean_income_per_declaration": -1, "share_zero_income_declarations": 1},
    "employment": {"unemployment_rate": 1, "youth_unemployment_rate": 1, "employment_rate_20_64": -1},
    "education": {"school_delay_rate": 1, "early_leavers_rate": 1, "language_support_share": 1},
    "housing": {"price_to_income_houses": 1},
    "arrivals_diversity": {"arrivals_per_1000_3y": 1, "newcomers_per_1000_3y": 1, "share_non_belgian": 1, "share_non_belgian_change_5y": 1},
    "demography_needs": {"share_age_0_2": 1, "share_age_3_17": 1, "dependency_ratio": 1},
}
ALLOWED = {i for d in EXPECTED.values() for i in d} | {"mean_income_per_inhabitant", "sales_per_1000_inhabitants"}


@pytest.fixture(scope="module")
def raw() -> dict:
    return yaml.safe_load(CONFIG.read_text(encoding="utf-8"))


def _error(data: dict, **kwargs) -> MethodologyError:
    with pytest.raises(MethodologyError) as info:
        methodology_from_mapping(data, source="methodology.yml", **kwargs)
    return info.value


def test_repository_file_loads_with_the_parameters_of_method_section_3():
    m = load_methodology(CONFIG, allowed_indicators=ALLOWED)
    assert m.version == "2027.1"
    assert m.adopted == dt.date(2026, 12, 3)
    e = m.editions
    assert (e.max_lag_years, e.min_region_coverage, e.min_domains, e.min_weight_share) == (3, 0.65, 3, 0.5)
    assert e.regional_supplements == ("BE-VLG",)
    assert m.base_year == 2022
    assert [(d.id, d.weight) for d in m.domains] == [
        ("income", 22.5), ("employment", 22.5), ("education", 13.5), ("housing", 13.5),
        ("arrivals_diversity", 14.0), ("demography_needs", 14.0),
    ]
    got = {d.id: {i: m.indicator(i).direction for i in d.indicators} for d in m.domains}
    assert got == EXPECTED
    assert all(set(d.indicator_weights) == {1.0} for d in m.domains)  # equal weights by default
    assert m.screening.min_indicator_coverage == 0.65
    assert m.screening.min_commune_indicator_share == pytest.approx(2 / 3, abs=1e-15)
    assert (m.outliers.skewness_threshold, m.outliers.kurtosis_threshold, m.outliers.max_winsorised_points) == (2.0, 3.5, 5)
    assert m.outliers.fallback == "log_transform" and m.outliers.log_offset_share == 0.01
    # Method 2 (METHOD.md 3.4): by precision, toward a robust unweighted reference, registers exempt.
    assert m.smoothing.prior == "arrondissement_median" and m.smoothing.min_population == 0
    assert {i.id for i in m.indicators if i.register} == {"share_non_belgian", "share_age_0_2", "share_age_3_17"}
    assert {i.id for i in m.indicators if i.money} == {"mean_income_per_declaration"}
    # 3.5: no outlier treatment before rank-normal.
    assert m.outliers.normalisations == ("min_max", "z_score")
    assert (m.normalisation, m.aggregation, m.exponential_constant) == ("rank_normal", "exponential", 23.0)
    # 3.8 and 3.3: one indicator set, market-cycle volumes out, money relative to the median.
    assert "sales_per_1000_inhabitants" not in m.indicator_ids and len(m.goalposts.indicators) == 14
    assert m.goalposts.money_relative_to_national_median
    # 3.10: data, imputation and the genuinely uncertain method choices; leave-outs are 3.11.
    assert (m.uncertainty.draws, m.uncertainty.weight_noise) == (1000, 0.25)
    assert m.uncertainty.data and m.uncertainty.imputation
    assert [c.name for c in m.uncertainty.choices] == ["normalisation", "winsorising_limit"]
    assert m.uncertainty.choice("winsorising_limit").options == (1, 2, 3, 4, 5)
    assert m.uncertainty.choice("normalisation").options == ("rank_normal", "min_max", "z_score")
    assert m.sensitivity.leave_out == ("domains", "indicators") and m.sensitivity.sobol_samples >= 256
    assert (m.audit.min_cronbach_alpha, m.audit.max_indicator_correlation) == (0.6, 0.95)
    assert m.indicator("unemployment_rate").label.get("nl") == "werkloosheidsgraad"


def test_method_1_stays_loadable_with_its_own_parameters():
    m = load_methodology(METHOD_1, allowed_indicators=ALLOWED)
    assert m.version == "2026.2"
    assert m.domain("income").indicators == (
        "mean_income_per_declaration", "share_zero_income_declarations", "mean_income_per_inhabitant",
    )
    assert m.smoothing.prior == "arrondissement" and m.smoothing.min_population == 5000
    assert not any(i.register or i.money for i in m.indicators)
    assert m.goalposts.indicators is None and not m.goalposts.money_relative_to_national_median
    assert not (m.uncertainty.data or m.uncertainty.imputation)
    assert m.uncertainty.choice("leave_domain_out").probabilities[0] == 0.4
    assert m.uncertainty.choice("aggregation").options == ("exponential", "arithmetic", "geometric")


def test_goalpost_indicators_must_be_declared(raw):
    data = copy.deepcopy(raw)
    data["goalposts"]["indicators"] = ["unemployment_rate", "mean_income_per_inhabitant"]
    err = _error(data)
    assert err.key == "goalposts.indicators"
    assert "'edition' or a list of declared indicators" in str(err)


def test_missing_key_is_named(raw):
    data = copy.deepcopy(raw)
    del data["outliers"]["kurtosis_threshold"]
    err = _error(data)
    assert err.key == "outliers.kurtosis_threshold"
    assert str(err) == "methodology.yml: key 'outliers.kurtosis_threshold': missing key"


def test_misspelt_key_is_refused_rather_than_ignored(raw):
    data = copy.deepcopy(raw)
    data["outliers"]["skew_treshold"] = 3
    err = _error(data)
    assert err.key == "outliers.skew_treshold"
    assert "unknown key" in str(err) and "skewness_threshold" in str(err)


def test_domain_weights_must_sum_to_100(raw):
    data = copy.deepcopy(raw)
    data["domains"]["housing"]["weight"] = 13.0
    err = _error(data)
    assert err.key == "domains"
    assert "must sum to 100, found 99.5" in str(err)
    assert "housing 13" in str(err)


def test_negative_parameter_is_refused(raw):
    data = copy.deepcopy(raw)
    data["smoothing"]["min_population"] = -1
    err = _error(data)
    assert err.key == "smoothing.min_population"
    assert "expected a number >= 0, found -1" in str(err)


@pytest.mark.parametrize(
    ("block", "key", "value", "expected"),
    [
        ("screening", "min_indicator_coverage", 1.5, "expected a number <= 1, found 1.5"),
        ("outliers", "skewness_threshold", 0, "expected a number > 0, found 0"),
        ("outliers", "max_winsorised_points", 2.5, "expected a whole number, found 2.5"),
        ("aggregation", "exponential_constant", "abc", "expected a number, found 'abc'"),
        ("uncertainty", "weight_noise", 1.0, "expected a number < 1, found 1.0"),
        ("uncertainty", "draws", 0, "expected a whole number >= 1, found 0"),
        ("normalisation", "method", "percentile", "unknown value 'percentile'"),
    ],
)
def test_out_of_range_parameter_is_refused(raw, block, key, value, expected):
    data = copy.deepcopy(raw)
    data[block][key] = value
    err = _error(data)
    assert err.key == f"{block}.{key}"
    assert expected in str(err)


def test_fraction_written_as_text_is_read_exactly(raw):
    data = copy.deepcopy(raw)
    data["screening"]["min_commune_indicator_share"] = "3/4"
    assert methodology_from_mapping(data).screening.min_commune_indicator_share == 0.75


@pytest.mark.parametrize("direction", [0, 2, "up", True])
def test_unknown_direction_is_refused(raw, direction):
    data = copy.deepcopy(raw)
    data["indicators"]["unemployment_rate"]["direction"] = direction
    err = _error(data)
    assert err.key == "indicators.unemployment_rate.direction"
    assert f"unknown direction {direction!r}; expected 1 (more need) or -1 (less need)" in str(err)


def test_domain_naming_an_undeclared_indicator_is_refused(raw):
    data = copy.deepcopy(raw)
    data["domains"]["employment"]["indicators"]["unemployment_rat"] = 1
    err = _error(data)
    assert err.key == "domains.employment.indicators.unemployment_rat"
    assert "unknown indicator 'unemployment_rat'" in str(err)


def test_indicator_outside_the_allowed_set_is_refused(raw):
    data = copy.deepcopy(raw)
    err = _error(data, allowed_indicators=ALLOWED - {"dependency_ratio"})
    assert err.key == "indicators.dependency_ratio"
    assert "unknown indicator 'dependency_ratio'" in str(err)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("max_lag_years", -1, "expected a whole number >= 0, found -1"),
        ("min_region_coverage", 0, "expected a number > 0, found 0"),
        ("min_domains", 7, "expected a whole number <= 6, found 7"),
        ("min_weight_share", 1.5, "expected a number <= 1, found 1.5"),
        ("regional_supplements", ["Flanders"], "expected a list of regions among ['BE-VLG', 'BE-WAL', 'BE-BRU']"),
        ("regional_supplements", ["BE-VLG", "BE-VLG"], "a region is listed twice"),
    ],
)
def test_edition_settings_are_checked(raw, key, value, message):
    data = copy.deepcopy(raw)
    data["editions"][key] = value
    err = _error(data)
    assert err.key == f"editions.{key}"
    assert message in str(err)


def test_indicator_in_two_domains_is_refused(raw):
    data = copy.deepcopy(raw)
    data["domains"]["income"]["indicators"]["unemployment_rate"] = 1
    err = _error(data)
    assert "already used by domain 'income'" in str(err)


def test_declared_indicator_used_by_no_domain_is_refused(raw):
    data = copy.deepcopy(raw)
    del data["domains"]["demography_needs"]["indicators"]["dependency_ratio"]
    err = _error(data)
    assert err.key == "indicators.dependency_ratio"
    assert "declared but used by no domain" in str(err)


def test_uncertainty_options_and_probabilities_are_checked():
    raw = yaml.safe_load(METHOD_1.read_text(encoding="utf-8"))  # the file with every kind of choice
    data = copy.deepcopy(raw)
    data["uncertainty"]["choices"]["aggregation"]["options"] = ["exponential", "median"]
    assert "unknown option 'median'" in str(_error(data))

    data = copy.deepcopy(raw)
    data["uncertainty"]["choices"]["leave_domain_out"]["probabilities"] = [0.5] + [0.1] * 6
    err = _error(data)
    assert err.key == "uncertainty.choices.leave_domain_out.probabilities"
    assert "must sum to 1, found 1.1" in str(err)

    data = copy.deepcopy(raw)
    data["uncertainty"]["choices"]["leave_domain_out"]["options"].append("culture")
    data["uncertainty"]["choices"]["leave_domain_out"].pop("probabilities")
    assert "unknown option 'culture'" in str(_error(data))

    data = copy.deepcopy(raw)
    data["uncertainty"]["choices"]["winsorising_limit"]["options"] = [1, 0]
    assert "expected whole numbers of points from 1 to 100, found 0" in str(_error(data))


def test_unreadable_or_invalid_file_is_reported_with_its_path(tmp_path):
    missing = tmp_path / "nope.yml"
    with pytest.raises(MethodologyError, match="nope.yml: key '<file>': cannot read the file"):
        load_methodology(missing)
    bad = tmp_path / "bad.yml"
    bad.write_text("version: [unclosed\n", encoding="utf-8")
    with pytest.raises(MethodologyError, match="not valid YAML"):
        load_methodology(bad)
    empty = tmp_path / "empty.yml"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(MethodologyError, match="expected a mapping, found NoneType"):
        load_methodology(empty)


def test_methodology_error_is_a_value_error():
    assert issubclass(MethodologyError, ValueError)


def test_cohesion_methodology_selects_an_archived_version_for_the_stages_and_the_release(monkeypatch):
    # The switch is read at the edge (the stages' resource, the release), never by the kernels.
    from kernels import warehouse
    from orchestration.resources import MethodFiles
    from publish.publishing import config_version

    monkeypatch.delenv("COHESION_METHODOLOGY", raising=False)
    assert (MethodFiles().load_methodology().version, config_version("methodology.yml")) == ("2027.1", "2027.1")
    monkeypatch.setenv("COHESION_METHODOLOGY", str(METHOD_1))
    assert (MethodFiles().load_methodology().version, config_version("methodology.yml")) == ("2026.2", "2026.2")
    assert warehouse.methodology().version == "2027.1"
    # A file given to the resource wins over the environment.
    current = Path(__file__).resolve().parents[2] / "config" / "methodology.yml"
    assert MethodFiles(methodology=str(current)).load_methodology().version == "2027.1"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (("colour",), "colour"),
        (("indicators", "unemployment_rate", "label", "de"), "indicators.unemployment_rate.label.de"),
        (("domains", "housing", "colour"), "domains.housing.colour"),
        (("uncertainty", "sources", "weights"), "uncertainty.sources.weights"),
        (("uncertainty", "choices", "normalisation", "weights"), "uncertainty.choices.normalisation.weights"),
        (("aggregation", "constant"), "aggregation.constant"),
        (("goalposts", "year"), "goalposts.year"),
    ],
)
def test_an_unknown_key_anywhere_is_named_by_its_dotted_path(raw, path, expected):
    data = copy.deepcopy(raw)
    node = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = 1
    err = _error(data)
    assert err.key == expected
    assert str(err).startswith(f"methodology.yml: key {expected!r}: unknown key; expected one of [")
    assert "\n" not in str(err)


def test_a_loaded_methodology_cannot_be_changed():
    m = load_methodology(CONFIG)
    with pytest.raises(ValidationError, match="frozen"):
        m.normalisation = "min_max"
    with pytest.raises(ValidationError, match="frozen"):
        m.domains[0].weight = 50.0
    assert m.normalisation == "rank_normal" and m.domains[0].weight == 22.5
