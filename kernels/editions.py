"""Index editions: which reference period of each indicator enters the index of a year, and for
which scope (METHOD.md 3.1; ``editions`` in config/methodology.yml).

Publishers release at different lags, on different maps, some for one region only. Edition Y of
a scope takes each indicator at its latest reference period <= Y, no older than
``max_lag_years``, where it covers the scope:
- national scope ``BE``: at least ``min_region_coverage`` of the communes of *every* region;
- a regional supplement (``BE-VLG``...): the national edition's indicators at the same periods,
  plus the indicators that cover that region only (at least ``min_region_coverage`` of its
  communes). A supplement adds regional indicators or does not exist: it never changes the
  national ranking, it ranks the region's communes with more information.
An edition exists when its indicators span at least ``min_domains`` domains carrying at least
``min_weight_share`` of the weight. Every candidate year and scope gets a row saying what was
used (with the reference period) and what was left out and why, published or not.

Nothing is filled across periods: a commune without a value in the chosen period has no value
(the index's screening and imputation deal with it, and say so).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kernels.methodology import NATIONAL_SCOPE, Methodology

# Statbel region codes -> ISO 3166-2:BE (the scope names used in published tables).
REGION_OF_CODE: dict[str, str] = {"02000": "BE-VLG", "03000": "BE-WAL", "04000": "BE-BRU"}
_SLACK = 1e-9

INPUT_COLUMNS = ("scope", "year", "nis_code", "indicator", "value", "numerator", "denominator", "reference_period")
PLAN_COLUMNS = (
    "year", "scope", "position", "indicator", "domain", "used", "regional", "reference_period", "lag_years", "coverage",
    "reason", "edition_published", "edition_reason", "domains_used", "weight_share",
)


@dataclass(frozen=True)
class EditionPlan:
    """What each edition uses. ``plan``: one row per candidate year x scope x indicator (columns
    ``PLAN_COLUMNS``); ``inputs``: the values of the published editions, ``year`` being the
    edition year and ``reference_period`` the year the value describes."""

    plan: pd.DataFrame
    inputs: pd.DataFrame

    def published_years(self, scope: str = NATIONAL_SCOPE) -> list[int]:
        rows = self.plan.loc[(self.plan["scope"] == scope) & self.plan["edition_published"], "year"]
        return sorted(int(y) for y in rows.unique())

    def scope_inputs(self, scope: str = NATIONAL_SCOPE) -> pd.DataFrame:
        """The index kernel's input frame for one scope: one row per commune x edition year x
        indicator used (``year`` = edition year)."""
        rows = self.inputs.loc[self.inputs["scope"] == scope]
        return rows.drop(columns="scope").reset_index(drop=True)

    def editions(self) -> pd.DataFrame:
        """One row per candidate year and scope (the plan without the indicator detail)."""
        cols = ["year", "scope", "edition_published", "edition_reason", "domains_used", "weight_share"]
        return self.plan[cols].drop_duplicates(["year", "scope"]).reset_index(drop=True)


def scope_of_region(region_code: object) -> str | None:
    return REGION_OF_CODE.get(str(region_code))


def scope_communes(communes: pd.DataFrame, scope: str) -> pd.DataFrame:
    """The communes of a scope (``BE`` = all), from a frame with ``nis_code`` and ``region_code``."""
    if scope == NATIONAL_SCOPE:
        return communes
    return communes.loc[communes["region_code"].astype(str).map(REGION_OF_CODE) == scope]


def plan_editions(indicators: pd.DataFrame, communes: pd.DataFrame, m: Methodology) -> EditionPlan:
    """Choose every edition's indicators and reference periods.

    ``indicators``: long ``nis_code``, ``year`` (the reference period), ``indicator``, ``value``,
    ``numerator``, ``denominator`` (other columns ignored; indicators outside the methodology too).
    ``communes``: the map, ``nis_code`` and ``region_code``.
    """
    rules = m.editions
    regions = communes.assign(scope=communes["region_code"].astype(str).map(REGION_OF_CODE))[["nis_code", "scope"]]
    region_sizes = regions.groupby("scope").size()
    wanted = list(m.indicator_ids)
    rows = indicators.loc[indicators["indicator"].isin(wanted)].copy()
    rows["nis_code"] = rows["nis_code"].astype(str)
    rows["year"] = pd.to_numeric(rows["year"]).astype(int)
    valued = rows.loc[rows["value"].notna()].merge(regions, on="nis_code", how="inner")
    counts = valued.groupby(["indicator", "year", "scope"]).size().unstack("scope", fill_value=0)
    counts = counts.reindex(columns=list(region_sizes.index), fill_value=0)
    coverage = counts / region_sizes  # (indicator, period) x region: share of the region's communes valued

    plan_parts: list[dict] = []
    chosen: list[tuple[str, int, str, int]] = []  # scope, edition year, indicator, period
    if coverage.empty:
        return EditionPlan(pd.DataFrame(columns=list(PLAN_COLUMNS)), pd.DataFrame(columns=list(INPUT_COLUMNS)))
    years = range(int(coverage.index.get_level_values("year").min()), int(coverage.index.get_level_values("year").max()) + 1)
    threshold = rules.min_region_coverage - _SLACK
    national_ok = coverage.min(axis=1) >= threshold
    table = _Coverage(coverage)
    national_usable = table.usable(national_ok)
    # A supplement's own indicators: covering the region enough, but not the whole country.
    regional_usable = {
        scope: table.usable((coverage[scope] >= threshold) & ~national_ok)
        for scope in rules.regional_supplements
        if scope in coverage.columns
    }
    for year in years:
        national = _select(table, national_usable, wanted, year, rules.max_lag_years)
        plan_parts.extend(_edition_rows(year, NATIONAL_SCOPE, national, table, m, regional=set()))
        chosen.extend((NATIONAL_SCOPE, year, i, p) for i, (p, _) in national.items() if p is not None)
        for scope in rules.regional_supplements:
            if scope not in coverage.columns:
                continue
            extra = _select(table, regional_usable[scope], wanted, year, rules.max_lag_years)
            added = {i for i, (p, _) in extra.items() if p is not None and national[i][0] is None}
            merged = {
                i: national[i] if national[i][0] is not None else (extra[i] if i in added else _regional_miss(national[i], extra[i]))
                for i in wanted
            }
            if not added:
                reason = f"no indicator of {scope} alone within {rules.max_lag_years} years of {year}"
                plan_parts.extend(_edition_rows(year, scope, merged, table, m, regional=added, forced_reason=reason))
                continue
            plan_parts.extend(_edition_rows(year, scope, merged, table, m, regional=added))
            chosen.extend((scope, year, i, p) for i, (p, _) in merged.items() if p is not None)
    plan = pd.DataFrame(plan_parts, columns=list(PLAN_COLUMNS))
    plan = plan.astype({"reference_period": "Int64", "lag_years": "Int64"})
    published = plan.loc[plan["edition_published"] & plan["used"], ["year", "scope", "indicator"]]
    picks = pd.DataFrame(chosen, columns=["scope", "year", "indicator", "reference_period"]).merge(
        published, on=["scope", "year", "indicator"], how="inner"
    )
    inputs = _inputs(rows, picks, communes)
    return EditionPlan(plan.reset_index(drop=True), inputs)


class _Coverage:
    """The coverage table ((indicator, period) x region) with the lookups the plan makes for every
    edition built once: ``.loc`` on its MultiIndex, per indicator and year, cost more than the
    plan itself."""

    def __init__(self, coverage: pd.DataFrame) -> None:
        self.frame = coverage
        rows: dict[str, list[int]] = {}
        for position, indicator in enumerate(coverage.index.get_level_values("indicator")):
            rows.setdefault(indicator, []).append(position)
        self.rows = {indicator: np.array(positions) for indicator, positions in rows.items()}
        periods = coverage.index.get_level_values("year").to_numpy(dtype=int)
        self.periods = {indicator: periods[positions] for indicator, positions in self.rows.items()}
        regions = list(coverage.columns)
        self.shares = {
            (indicator, int(period)): dict(zip(regions, values, strict=True))
            for (indicator, period), values in zip(coverage.index, coverage.to_numpy(dtype=float).tolist(), strict=True)
        }

    def usable(self, mask: pd.Series) -> dict[str, np.ndarray]:
        """A boolean Series on the table's rows, split per indicator (in the table's order)."""
        values = mask.to_numpy(dtype=bool)
        return {indicator: values[positions] for indicator, positions in self.rows.items()}


def _select(
    coverage: _Coverage, usable: dict[str, np.ndarray], wanted: list[str], year: int, max_lag: int
) -> dict[str, tuple[int | None, str]]:
    """Per indicator, the latest usable period in [year - max_lag, year], or None and why not."""
    out: dict[str, tuple[int | None, str]] = {}
    for indicator in wanted:
        if indicator not in coverage.rows:
            out[indicator] = (None, "no value in any file")
            continue
        periods = coverage.periods[indicator]
        ok = usable[indicator]
        good = periods[ok]
        window = good[(good <= year) & (good >= year - max_lag)]
        if window.size:
            out[indicator] = (int(window.max()), "")
        elif not good.size:
            out[indicator] = (None, "coverage")  # refined by the caller, which knows the scope
        elif (good > year).all():
            out[indicator] = (None, f"first reference period {int(good.min())}, after {year}")
        else:
            latest = int(good[good <= year].max())
            out[indicator] = (
                None,
                f"latest reference period {latest} is {year - latest} years before {year} (max_lag_years {max_lag})",
            )
    return out


def _regional_miss(national: tuple[int | None, str], regional: tuple[int | None, str]) -> tuple[None, str]:
    # A supplement reports the regional reason when the indicator has regional values at all.
    reason = regional[1] if regional[1] not in ("", "coverage") else national[1]
    return None, reason


def _coverage_text(coverage: pd.DataFrame, indicator: str, year: int, m: Methodology) -> str:
    """Why an indicator never reaches the national threshold: which regions it covers."""
    if indicator not in coverage.index.get_level_values("indicator"):
        return "no value in any file"
    periods = coverage.loc[indicator]
    # The latest period up to the edition, else (an indicator first published later) the first.
    near = periods.loc[periods.index <= year] if (periods.index <= year).any() else periods.iloc[:1]
    latest = near.iloc[-1]
    shares = ", ".join(f"{scope} {share:.0%}" for scope, share in latest.items())
    covered = [scope for scope, share in latest.items() if share >= m.editions.min_region_coverage - _SLACK]
    who = f"covers {', '.join(covered)} only" if covered else "covers no region enough"
    return (
        f"{who} (communes with a value in {int(near.index[-1])}: {shares}; "
        f"needed: {m.editions.min_region_coverage:.0%} of every region)"
    )


def _edition_rows(
    year: int,
    scope: str,
    selection: dict[str, tuple[int | None, str]],
    coverage: _Coverage,
    m: Methodology,
    *,
    regional: set[str],
    forced_reason: str | None = None,
) -> list[dict]:
    rules = m.editions
    used = [i for i, (p, _) in selection.items() if p is not None]
    domains = [d for d in m.domains if any(i in d.indicators for i in used)]
    share = sum(d.weight for d in domains) / 100.0
    published = (
        forced_reason is None and len(domains) >= rules.min_domains and share >= rules.min_weight_share - _SLACK
    )
    if forced_reason is not None:
        edition_reason = forced_reason
    elif published:
        edition_reason = ""
    else:
        edition_reason = (
            f"{len(domains)} domain(s) carrying {share:.1%} of the weight; an edition needs at least "
            f"{rules.min_domains} domains and {rules.min_weight_share:.0%} of the weight"
        )
    rows = []
    for position, (indicator, (period, why)) in enumerate(selection.items(), start=1):
        if why == "coverage":
            why = _coverage_text(coverage.frame, indicator, year, m)
        cov = np.nan
        if period is not None:
            shares = coverage.shares[(indicator, period)]
            cov = float(shares[scope]) if scope in shares else float(min(shares.values()))
        rows.append(
            {
                "year": year,
                "scope": scope,
                "position": position,  # the methodology's order, for lists that read like it
                "indicator": indicator,
                "domain": m.domain_of(indicator),
                "used": period is not None,
                "regional": indicator in regional,
                "reference_period": period,
                "lag_years": None if period is None else year - period,
                "coverage": cov,
                "reason": why,
                "edition_published": published,
                "edition_reason": edition_reason,
                "domains_used": ", ".join(d.id for d in domains),
                "weight_share": share,
            }
        )
    return rows


def _inputs(rows: pd.DataFrame, picks: pd.DataFrame, communes: pd.DataFrame) -> pd.DataFrame:
    if picks.empty:
        return pd.DataFrame(columns=list(INPUT_COLUMNS))
    values = rows.rename(columns={"year": "reference_period"})
    keep = [c for c in ("nis_code", "reference_period", "indicator", "value", "numerator", "denominator") if c in values]
    joined = picks.merge(values[keep], on=["indicator", "reference_period"], how="inner")
    in_scope = pd.concat(
        [
            joined.loc[joined["scope"] == scope].merge(
                scope_communes(communes, scope)[["nis_code"]].astype(str), on="nis_code", how="inner"
            )
            for scope in joined["scope"].unique()
        ],
        ignore_index=True,
    )
    for column in ("numerator", "denominator"):
        if column not in in_scope:
            in_scope[column] = np.nan
    out = in_scope[list(INPUT_COLUMNS)]
    return out.sort_values(["scope", "year", "nis_code", "indicator"], kind="stable", ignore_index=True)


def population_for_editions(population: pd.DataFrame, years: list[int], max_lag: int) -> pd.DataFrame:
    """Residents per commune for each edition year, used only to tell which communes are small
    enough to smooth: that year's, else the latest earlier year within the lag, else the earliest
    later one within the lag (a commune's size class barely moves in a few years; no published
    value comes from it). ``population``: ``nis_code``, ``year``, ``population``."""
    if population.empty or not years:
        return population.iloc[0:0]
    available = sorted(int(y) for y in population["year"].unique())
    parts = []
    for year in years:
        earlier = [y for y in available if year - max_lag <= y <= year]
        later = [y for y in available if year < y <= year + max_lag]
        chosen = earlier[-1] if earlier else (later[0] if later else None)
        if chosen is not None:
            parts.append(population.loc[population["year"] == chosen].assign(year=year))
    return pd.concat(parts, ignore_index=True) if parts else population.iloc[0:0]
