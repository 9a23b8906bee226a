"""Which years the fund can be computed for, on what, and why the others cannot (METHOD.md 4,
"Scope"; ``scope`` in config/fund_rules.yml).

A year's fund is computed only when
- gate A can be computed for every commune of the fund's scope: from the gate-A indicator
  (arrivals), or from its proxy where the rules allow it; a gate compared on half the communes
  would move money on a partial picture, so a single missing commune stops the year;
- the index has an edition that year in the scope that ranks the fund's communes (gate B):
  a single region's own supplement where the methodology makes one, else the national index.
Otherwise the year has no fund rows and its reason is published. No number is ever invented.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd

from kernels.editions import scope_communes
from kernels.fund_gates import gate_a_rows, gate_a_usable
from kernels.fund_rules import NATIONAL_SCOPE, FundRules

FUND_EDITION_COLUMNS: tuple[str, ...] = (
    "year", "scope", "computed", "index_scope", "communes_in_scope", "gate_a_from_indicator",
    "gate_a_from_proxy", "gate_a_missing", "reason",
)
# The proxy is a change over three years: it needs residents by nationality in Y - 3 and in Y.
PROXY_WINDOW_YEARS = 3


def fund_scope_label(rules: FundRules) -> str:
    return "+".join(rules.scope)


def index_scope_for(rules: FundRules, regional_supplements: Sequence[str]) -> str:
    """The index that ranks the fund's communes: a single region's supplement when the methodology
    makes one for it, else the national index (gate B only compares communes of the scope)."""
    if len(rules.scope) == 1 and rules.scope[0] in regional_supplements:
        return rules.scope[0]
    return NATIONAL_SCOPE


def fund_communes(communes: pd.DataFrame, rules: FundRules) -> pd.DataFrame:
    """The communes of the fund's scope (``nis_code``, ``region_code``)."""
    if rules.scope == (NATIONAL_SCOPE,):
        return communes
    return pd.concat([scope_communes(communes, s) for s in rules.scope], ignore_index=True)


def plan_fund_years(
    indicators: pd.DataFrame,
    communes: pd.DataFrame,
    index_years: Iterable[int],
    nationality_years: Iterable[int],
    rules: FundRules,
    *,
    index_scope: str,
    candidate_years: Iterable[int] = (),
    need_years: Iterable[int] | None = None,
) -> pd.DataFrame:
    """One row per candidate year: computed or not, how gate A is fed, and why not.

    ``indicators``: long commune indicators (``nis_code``, ``year``, ``indicator``,
    ``numerator``, ``denominator``, optional ``flags``); ``index_years``: the published editions
    of ``index_scope``; ``nationality_years``: years with residents by nationality (what the proxy
    needs); ``candidate_years``: years to report on besides those of the gate-A indicators and
    of the index; ``need_years``: the editions whose every scored commune has a fixed-goalpost
    score, which the allocation's need intensity needs (method 2; None: not checked).
    """
    g = rules.gate_a
    members = fund_communes(communes, rules)
    codes = set(members["nis_code"].astype(str))
    rows = gate_a_rows(indicators, rules)
    rows = rows.loc[rows["nis_code"].astype(str).isin(codes)].copy()
    rows["usable"] = gate_a_usable(rows, rules).to_numpy()
    rows["year"] = pd.to_numeric(rows["year"]).astype(int)
    index_years = {int(y) for y in index_years}
    nationality_years = sorted({int(y) for y in nationality_years})
    years = sorted({*rows["year"].unique().tolist(), *index_years, *(int(y) for y in candidate_years)})
    scope = fund_scope_label(rules)
    out = []
    for year in years:
        this = rows.loc[(rows["year"] == year) & rows["usable"]]
        direct = set(this.loc[this["indicator"] == g.indicator, "nis_code"].astype(str))
        proxy = set(this.loc[this["indicator"] != g.indicator, "nis_code"].astype(str)) - direct
        missing = sorted(codes - direct - proxy)
        reasons = []
        if missing:
            reasons.append(_gate_a_reason(year, missing, len(codes), scope, nationality_years, rules))
        if year not in index_years:
            reasons.append(f"the index has no {index_scope} edition for {year} (gate B ranks the communes with it)")
        elif need_years is not None and rules.allocation.uses_need_intensity and year not in set(need_years):
            reasons.append(
                f"the {index_scope} edition for {year} has no fixed-goalpost score (the allocation's need "
                "intensity is that score / allocation.need_intensity_divisor; the methodology's base year has no edition)"
            )
        out.append(
            {
                "year": year,
                "scope": scope,
                "computed": not reasons,
                "index_scope": index_scope,
                "communes_in_scope": len(codes),
                "gate_a_from_indicator": len(direct),
                "gate_a_from_proxy": len(proxy),
                "gate_a_missing": len(missing),
                "reason": "; ".join(reasons) if reasons else None,
            }
        )
    return pd.DataFrame(out, columns=list(FUND_EDITION_COLUMNS))


def _gate_a_reason(
    year: int, missing: list[str], total: int, scope: str, nationality_years: list[int], rules: FundRules
) -> str:
    g = rules.gate_a
    some = ", ".join(missing[:3]) + (", ..." if len(missing) > 3 else "")
    text = (
        f"gate A cannot be computed for {len(missing)} of the {total} communes of {scope} in {year} "
        f"(e.g. {some}): {g.indicator} has no usable value for them"
    )
    if not (g.allow_proxy and g.proxy_indicator):
        return text + " and the rules allow no proxy"
    needed = [year - PROXY_WINDOW_YEARS, year]
    held = [y for y in needed if y in nationality_years]
    if len(held) < len(needed):
        have = ", ".join(map(str, nationality_years)) if nationality_years else "no year"
        return (
            text + f", and the proxy {g.proxy_indicator} needs population by nationality for "
            f"{needed[0]} and {needed[1]}; the archive holds it for {have}"
        )
    return text + f", nor the proxy {g.proxy_indicator}"


def split_into_runs(years: Iterable[int]) -> list[list[int]]:
    """Consecutive runs of years: transitions count years outside the gates in a row, so a year
    without a fund interrupts the history and the next run starts afresh."""
    runs: list[list[int]] = []
    for year in sorted(int(y) for y in years):
        if runs and year == runs[-1][-1] + 1:
            runs[-1].append(year)
        else:
            runs.append([year])
    return runs
