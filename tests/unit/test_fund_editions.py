"""Which years the fund is computed for (METHOD.md 4, "Scope"): gate A for every commune of the
scope, from arrivals or the proxy, and an index edition; the reasons published otherwise."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from kernels.fund_editions import index_scope_for, plan_fund_years, split_into_runs
from kernels.fund_rules import parse_fund_rules

RULES_FILE = Path(__file__).resolve().parents[2] / "config" / "fund_rules.yml"
# 4 Flemish, 2 Walloon and 2 Brussels communes.
CODES = ["11001", "11002", "44021", "71016", "52011", "92094", "21001", "21004"]
REGIONS = ["02000"] * 4 + ["03000"] * 2 + ["04000"] * 2


def _rules(**changes):
    document = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))
    document.update(changes)
    return parse_fund_rules(document, source="test.yml")


@pytest.fixture
def communes() -> pd.DataFrame:
    return pd.DataFrame({"nis_code": CODES, "region_code": REGIONS})


def _rows(indicator: str, years, codes=CODES, numerator: float = 300.0, flags: str = "") -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"nis_code": c, "year": y, "indicator": indicator, "numerator": numerator, "denominator": 10_000.0, "flags": flags}
            for y in years
            for c in codes
        ]
    )


def test_a_year_is_computed_when_every_commune_has_arrivals_and_the_index_an_edition(communes):
    indicators = _rows("arrivals_per_1000_3y", [2023, 2024])
    plan = plan_fund_years(
        indicators, communes, [2023, 2024], [], _rules(), index_scope="BE", candidate_years=[2019]
    ).set_index("year")
    assert list(plan.index) == [2019, 2023, 2024]
    assert plan.loc[2024, "computed"] and pd.isna(plan.loc[2024, "reason"])
    assert (plan.loc[2024, "gate_a_from_indicator"], plan.loc[2024, "gate_a_from_proxy"], plan.loc[2024, "gate_a_missing"]) == (8, 0, 0)
    # A candidate year (the rules' budget years, in the pipeline) with neither arrivals nor an edition.
    assert not plan.loc[2019, "computed"]
    assert plan.loc[2019, "reason"] == (
        "gate A cannot be computed for 8 of the 8 communes of BE in 2019 (e.g. 11001, 11002, 21001, ...): "
        "arrivals_per_1000_3y has no usable value for them, and the proxy arrivals_proxy_per_1000_3y needs "
        "population by nationality for 2016 and 2019; the archive holds it for no year; "
        "the index has no BE edition for 2019 (gate B ranks the communes with it)"
    )


def test_one_commune_without_gate_a_stops_the_year_and_the_proxy_stands_in_where_allowed(communes):
    arrivals = _rows("arrivals_per_1000_3y", [2024], codes=CODES[1:])  # 11001 has no arrivals
    proxy = _rows("arrivals_proxy_per_1000_3y", [2024], codes=CODES[:1], flags="proxy")
    rules = _rules()
    alone = plan_fund_years(arrivals, communes, [2024], [2015], rules, index_scope="BE").set_index("year")
    assert not alone.loc[2024, "computed"]
    assert alone.loc[2024, "gate_a_missing"] == 1
    assert alone.loc[2024, "reason"].startswith(
        "gate A cannot be computed for 1 of the 8 communes of BE in 2024 (e.g. 11001): arrivals_per_1000_3y has no "
        "usable value for them, and the proxy arrivals_proxy_per_1000_3y needs population by nationality for 2021 "
        "and 2024; the archive holds it for 2015"
    )
    both = plan_fund_years(pd.concat([arrivals, proxy]), communes, [2024], [2021, 2024], rules, index_scope="BE")
    row = both.set_index("year").loc[2024]
    assert row["computed"] and (row["gate_a_from_indicator"], row["gate_a_from_proxy"]) == (7, 1)
    # Without the proxy allowed, the same commune stops the year again.
    strict = _rules(gate_a={**yaml.safe_load(RULES_FILE.read_text())["gate_a"], "allow_proxy": False})
    row = plan_fund_years(pd.concat([arrivals, proxy]), communes, [2024], [2021, 2024], strict, index_scope="BE")
    assert row.set_index("year").loc[2024, "reason"].endswith(
        "arrivals_per_1000_3y has no usable value for them and the rules allow no proxy"
    )


def test_imputed_values_never_feed_gate_a(communes):
    arrivals = pd.concat(
        [_rows("arrivals_per_1000_3y", [2024], codes=CODES[1:]), _rows("arrivals_per_1000_3y", [2024], codes=CODES[:1], flags="imputed")]
    )
    row = plan_fund_years(arrivals, communes, [2024], [], _rules(), index_scope="BE").set_index("year").loc[2024]
    assert (row["computed"], row["gate_a_missing"]) == (False, 1)


def test_a_flemish_fund_needs_flemish_communes_only(communes):
    newcomers = _rows("newcomers_per_1000_3y", [2022, 2023], codes=CODES[:4])
    gate_a = {**yaml.safe_load(RULES_FILE.read_text())["gate_a"], "indicator": "newcomers_per_1000_3y", "allow_proxy": False}
    rules = _rules(scope=["BE-VLG"], gate_a=gate_a)
    assert index_scope_for(rules, ["BE-VLG"]) == "BE-VLG"
    assert index_scope_for(rules, []) == "BE"
    assert index_scope_for(_rules(), ["BE-VLG"]) == "BE"
    plan = plan_fund_years(newcomers, communes, [2023], [], rules, index_scope="BE-VLG").set_index("year")
    assert plan.loc[2023, "computed"] and plan.loc[2023, "communes_in_scope"] == 4
    assert plan.loc[2022, "reason"] == "the index has no BE-VLG edition for 2022 (gate B ranks the communes with it)"
    assert set(plan["scope"]) == {"BE-VLG"}


def test_runs_of_consecutive_years():
    assert split_into_runs([2019, 2020, 2022, 2023, 2024, 2015]) == [[2015], [2019, 2020], [2022, 2023, 2024]]
    assert split_into_runs(np.array([])) == []


def test_a_year_without_fixed_goalpost_scores_has_no_method_2_fund_and_says_why(communes):
    """Method 2 weighs communes by need intensity, the fixed-goalpost score / 50: an edition
    without it (the methodology's base year has no edition) cannot share the money out."""
    indicators = _rows("arrivals_per_1000_3y", [2023, 2024])
    plan = plan_fund_years(
        indicators, communes, [2023, 2024], [], _rules(), index_scope="BE", need_years=[2024]
    ).set_index("year")
    assert plan.loc[2024, "computed"] and not plan.loc[2023, "computed"]
    assert plan.loc[2023, "reason"].startswith("the BE edition for 2023 has no fixed-goalpost score")
    # Method 1's weight (index score x rank coefficient) does not need it.
    method1 = yaml.safe_load((RULES_FILE.parent / "archive" / "fund_rules_2025.2.yml").read_text(encoding="utf-8"))
    plan1 = plan_fund_years(
        indicators, communes, [2023, 2024], [], parse_fund_rules(method1, source="2025.2.yml"), index_scope="BE",
        need_years=[2024],
    ).set_index("year")
    assert plan1.loc[2023, "computed"]
