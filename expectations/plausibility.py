"""Plausibility of a dataset's raw table: values that pass every contract yet cannot be true.

The rules and their thresholds are in ``config/plausibility.yml`` (expectations.plausibility_config):
a commune's change from the year before (outside a merger), a value's change from the last
published load, a national or regional total shifted against the year before, bounds on money and
rates, and bounds on a ratio of two measures. Each failing value becomes a :class:`Finding` whose
line names the dataset, file, commune, measure, period, both values and the rule. A value a data
team reviewed (``config/plausibility_exceptions.yml``) is accepted and reported as such.

Pure pandas, no Great Expectations: the check compares rows with other rows (the year before, the
published load), which row-level expectations cannot express.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from expectations.plausibility_config import (
    ANY_MEASURE,
    ChangeRule,
    DatasetRules,
    PlausibilityRules,
    ReviewedException,
    figure,
)
from ingestion import geography

KEY = ["file_id", "nis_code", "measure", "period"]
# What the load-change rule reads of the published load (PublishedLoad.frame(columns=...)).
BASELINE_COLUMNS = KEY + ["value"]
# Findings kept in a result's metadata (the message names the first; the report lists these).
MAX_LISTED = 100
_REGION_NAMES = {"BE": "Belgium", "BE-VLG": "Flanders", "BE-WAL": "Wallonia", "BE-BRU": "Brussels"}


@dataclass(frozen=True)
class Finding:
    """One implausible value: where it is, both values, and the rule it breaks."""

    rule: str  # e.g. "year_change.population_total"
    rule_text: str  # the threshold in words
    dataset: str
    file: str
    code: str  # a commune's code, or BE / BE-VLG / BE-WAL / BE-BRU for a total
    measure: str
    period: str
    value: float
    other: float | None  # the value compared with (the year before, the published load), if any
    other_label: str  # "in 2024", "in the published load (release ...)", "", ...

    @property
    def where(self) -> str:
        if self.code in _REGION_NAMES:
            return f"total of {_REGION_NAMES[self.code]} ({self.code})"
        name = _names().get(self.code)
        return f"commune {self.code}" + (f" ({name})" if name else "")

    def line(self) -> str:
        head = f"dataset {self.dataset}, file {self.file}, {self.where}, {self.measure} {self.period}: {number(self.value)}"
        if self.other is not None:
            change = f" ({(self.value - self.other) / abs(self.other):+.1%})" if self.other else ""
            head += f" against {number(self.other)} {self.other_label}{change}"
        elif self.other_label:
            head += f" {self.other_label}"
        return f"{head}; rule {self.rule_text} (config/plausibility.yml {self.rule})"


@dataclass(frozen=True)
class PlausibilityResult:
    dataset: str
    rules_version: str
    findings: tuple[Finding, ...]  # not covered by a reviewed exception: they block the run
    accepted: tuple[tuple[Finding, ReviewedException], ...] = ()
    compared: Mapping[str, int] = field(default_factory=dict)  # rule kind -> values compared
    baseline: str | None = None  # what the load_change rules compared with, e.g. "release 2025..."

    @property
    def passed(self) -> bool:
        return not self.findings

    def message(self) -> str:
        """One line a user can act on."""
        accepted = (
            f"; {len(self.accepted)} reviewed outlier(s) accepted: " + ", ".join(e.describe() for _, e in self.accepted[:3])
            + (" ..." if len(self.accepted) > 3 else "")
            if self.accepted
            else ""
        )
        if self.passed:
            counts = ", ".join(f"{n:,} by {kind}" for kind, n in self.compared.items() if n) or "no value to compare"
            against = f"the published load of {self.baseline}" if self.baseline else "no published load (first release)"
            return f"dataset {self.dataset}: plausible ({counts}; compared with {against}){accepted}"
        more = ""
        if len(self.findings) > 1:
            by_rule: dict[str, int] = {}
            for finding in self.findings:
                kind = finding.rule.split(".")[0]
                by_rule[kind] = by_rule.get(kind, 0) + 1
            counts = ", ".join(f"{n:,} {kind}" for kind, n in by_rule.items())
            more = f" (+{len(self.findings) - 1:,} more implausible value(s), listed in the run report; in all {counts})"
        return f"{self.findings[0].line()}{more}{accepted}"

    def listed(self) -> list[Finding]:
        """What the metadata lists: every national or regional total (a few, and the telling ones
        for a shifted year), then the first findings of the other rules."""
        totals = [f for f in self.findings if f.rule.startswith("total_shift.")]
        others = [f for f in self.findings if not f.rule.startswith("total_shift.")]
        return totals + others[: max(MAX_LISTED - len(totals), 0)]

    def as_metadata(self) -> dict[str, Any]:
        return {
            "rules_version": self.rules_version,
            "implausible": len(self.findings),
            "findings": [f.line() for f in self.listed()],
            "accepted": [f"{f.line()} -- accepted: {e.describe()}" for f, e in self.accepted[:MAX_LISTED]],
            "compared": dict(self.compared),
            "baseline": self.baseline or "none",
        }


def number(value: float) -> str:
    """1,573,534.85 or 82,000,000,000: as a user reads a figure, never in exponent notation."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


@cache
def _names() -> dict[str, str]:
    names: dict[str, str] = {}
    for vintage in (565, 581, 589):
        frame = geography.commune_names(vintage)
        for code, nl, fr in zip(frame["nis_code"], frame["name_nl"], frame["name_fr"], strict=True):
            names.setdefault(code, fr if fr == nl else f"{fr} / {nl}")
    return names


@cache
def _merged_codes(before: int, after: int) -> frozenset[str]:
    """Codes involved in a merger or renumbering between two maps: not comparable year to year."""
    steps = {(589, 581): ("crosswalk_2018_2019",), (581, 565): ("crosswalk_2024_2025",)}
    steps[(589, 565)] = steps[(589, 581)] + steps[(581, 565)]
    codes: set[str] = set()
    older, newer = sorted((before, after), key=lambda vintage: geography.MAP_FIRST_YEAR[vintage])
    for seed in steps.get((older, newer), ()):
        crosswalk = geography.crosswalk_2018_2019() if seed.endswith("2019") else geography.crosswalk_2024_2025()
        codes |= set(crosswalk["from_nis"]) | set(crosswalk["to_nis"])
    return frozenset(codes)


def _previous_period(period: pd.Series) -> pd.Series:
    """2024 -> 2023, 2024Q3 -> 2023Q3."""
    text = period.astype(str)
    return (text.str[:4].astype(int) - 1).astype(str) + text.str[4:]


def _valued(frame: pd.DataFrame) -> pd.DataFrame:
    kept = frame[frame["value"].notna()]
    return kept.assign(nis_code=kept["nis_code"].astype(str), period=kept["period"].astype(str))


def _breaches(rule: ChangeRule, value: pd.Series, other: pd.Series) -> np.ndarray:
    now, then = value.to_numpy(dtype=float), other.to_numpy(dtype=float)
    change = np.abs(now - then)
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = np.where(then != 0, change / np.abs(then), np.where(change > 0, np.inf, 0.0))
    return (relative > rule.max_relative) & (change > rule.min_absolute)


def year_change(dataset: str, frame: pd.DataFrame, rules: DatasetRules) -> tuple[list[Finding], int]:
    by_measure = {r.measure: r for r in rules.year_change}
    data = _valued(frame[frame["measure"].isin(list(by_measure))])
    if data.empty:
        return [], 0
    before = data[["file_id", "nis_code", "measure", "period", "value", "map_vintage", "source_file"]]
    pairs = data.assign(previous=_previous_period(data["period"])).merge(
        before.rename(columns={"period": "previous"}), on=["file_id", "nis_code", "measure", "previous"],
        suffixes=("", "_before"),
    )
    # A commune merged or renumbered between the two years' maps changed its territory: skip it.
    moved = np.zeros(len(pairs), dtype=bool)
    for (now, then), index in pairs.groupby(["map_vintage", "map_vintage_before"]).groups.items():
        if now != then:
            moved[pairs.index.get_indexer(index)] = pairs.loc[index, "nis_code"].isin(_merged_codes(int(then), int(now)))
    pairs = pairs[~moved]
    findings = []
    for rule in rules.year_change:  # in the rules file's order, then by commune and period
        group = pairs[pairs["measure"] == rule.measure]
        hit = group[_breaches(rule, group["value"], group["value_before"])].sort_values(["nis_code", "period"])
        measure = rule.measure
        for row in hit.itertuples(index=False):
            findings.append(
                Finding(
                    f"year_change.{measure}", rule.text("year_change"), dataset, row.source_file, row.nis_code, measure,
                    row.period, float(row.value), float(row.value_before), f"in {row.previous}",
                )
            )
    return findings, len(pairs)


def _on_shared_categories(
    left: pd.DataFrame, right: pd.DataFrame, columns: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Both frames with ``columns`` as categories of one sorted set of values: merged on their
    codes, not their text (on a refresh of the real files, comparing the real-estate load took
    193 MB and 0.7 s with text keys, 87 MB and 0.15 s so), and sorted as their text sorts."""
    for column in columns:
        values = pd.Index(left[column].unique().astype(str)).union(pd.Index(right[column].unique().astype(str)))
        kind = pd.CategoricalDtype(values.sort_values())
        left = left.assign(**{column: _as_category(left[column], kind)})
        right = right.assign(**{column: _as_category(right[column], kind)})
    return left, right


def _as_category(values: pd.Series, kind: pd.CategoricalDtype) -> pd.Series:
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.cat.set_categories(kind.categories)
    return values.astype(str).astype(kind)


def load_change(
    dataset: str, frame: pd.DataFrame, baseline: pd.DataFrame | None, rules: DatasetRules, label: str
) -> tuple[list[Finding], int]:
    if baseline is None or baseline.empty or not rules.load_change:
        return [], 0
    # Only the columns compared and named: the merge copies every column it is given (the real
    # files' 687,000 real-estate rows with their text columns took the check 600 MB higher).
    data = frame.loc[frame["value"].notna(), KEY + ["value", "source_file"]]
    if ANY_MEASURE not in {r.measure for r in rules.load_change}:
        data = data[data["measure"].isin([r.measure for r in rules.load_change])]
    published = baseline.loc[baseline["value"].notna(), BASELINE_COLUMNS]
    data, published = _on_shared_categories(data, published, KEY)
    pairs = data.merge(published, on=KEY, suffixes=("", "_published"))
    findings = []
    for measure, group in pairs.groupby("measure", sort=True, observed=True):
        rule = rules.load_rule(str(measure))
        if rule is None:
            continue
        hit = group[_breaches(rule, group["value"], group["value_published"])].sort_values(["nis_code", "period"])
        for row in hit.itertuples(index=False):
            findings.append(
                Finding(
                    f"load_change.{rule.measure}", rule.text("load_change"), dataset, row.source_file, row.nis_code,
                    str(measure), row.period, float(row.value), float(row.value_published),
                    f"in the published load ({label})",
                )
            )
    return findings, len(pairs)


def total_shift(dataset: str, frame: pd.DataFrame, rules: DatasetRules) -> tuple[list[Finding], int]:
    by_measure = {r.measure: r for r in rules.total_shift}
    data = _valued(frame[frame["measure"].isin(list(by_measure))])
    if data.empty:
        return [], 0
    # A whole year: the quarters of a quarterly file are added up (a single quarter swings with
    # tax reforms and lockdowns: Flemish sales of 2014Q4 were 80 % above 2013Q4), and a year is
    # compared only with a year holding as many quarters.
    data = data.assign(region=data["nis_code"].map(_region), year=data["period"].str[:4])
    national = data.assign(region="BE")
    # Totals are preserved across mergers: a total compares across maps, unlike a commune.
    totals = (
        pd.concat([national, data], ignore_index=True)
        .groupby(["file_id", "measure", "region", "year"], as_index=False)
        .agg(value=("value", "sum"), source_file=("source_file", "first"), periods=("period", "nunique"))
        .rename(columns={"year": "period"})
    )
    before = totals[["file_id", "measure", "region", "period", "value", "periods"]].rename(columns={"period": "previous"})
    pairs = totals.assign(previous=_previous_period(totals["period"])).merge(
        before, on=["file_id", "measure", "region", "previous", "periods"], suffixes=("", "_before")
    )
    findings = []
    order = {rule.measure: i for i, rule in enumerate(rules.total_shift)}
    pairs = pairs.assign(order=pairs["measure"].map(order)).sort_values(["order", "region", "period"])
    for row in pairs.itertuples(index=False):
        rule = by_measure[row.measure]
        if row.value_before and abs(row.value - row.value_before) / abs(row.value_before) > rule.max_relative:
            findings.append(
                Finding(
                    f"total_shift.{row.measure}", rule.text(), dataset, row.source_file, row.region, row.measure,
                    row.period, float(row.value), float(row.value_before), f"in {row.previous}",
                )
            )
    return findings, len(pairs)


def bounds(dataset: str, frame: pd.DataFrame, rules: DatasetRules) -> tuple[list[Finding], int]:
    findings, compared = [], 0
    data = _valued(frame)
    for bound in rules.bounds:
        values = data[data["measure"] == bound.measure]
        compared += len(values)
        low = values["value"] < bound.low if bound.low is not None else False
        high = values["value"] > bound.high if bound.high is not None else False
        for row in values[low | high].sort_values(["nis_code", "period"]).itertuples(index=False):
            limit = bound.high if bound.high is not None and row.value > bound.high else bound.low
            side = "above" if limit == bound.high else "below"
            findings.append(
                Finding(
                    f"bounds.{bound.measure}", bound.text(), dataset, row.source_file, row.nis_code, bound.measure,
                    row.period, float(row.value), None, f"is {side} the bound {figure(limit)}",
                )
            )
    for ratio in rules.ratio_bounds:
        parts = data[data["measure"].isin([ratio.numerator, ratio.denominator])]
        wide = parts.pivot_table(
            index=["file_id", "nis_code", "period", "source_file"], columns="measure", values="value", aggfunc="first"
        )
        if ratio.numerator not in wide or ratio.denominator not in wide:
            continue
        wide = wide.dropna(subset=[ratio.numerator, ratio.denominator])
        wide = wide[wide[ratio.denominator] > 0]
        compared += len(wide)
        quotient = wide[ratio.numerator] / wide[ratio.denominator]
        for (file_id, code, period, source_file), value in quotient[quotient > ratio.high].items():
            findings.append(
                Finding(
                    f"ratio_bounds.{ratio.name}", ratio.text(), dataset, source_file, code,
                    f"{ratio.numerator} / {ratio.denominator}", period, float(value), None,
                    f"({number(wide.loc[(file_id, code, period, source_file), ratio.numerator])} / "
                    f"{number(wide.loc[(file_id, code, period, source_file), ratio.denominator])}) is above the bound "
                    f"{figure(ratio.high)}",
                )
            )
    return findings, compared


def _region(code: str) -> str:
    try:
        return geography.iso_region(code)
    except ValueError:
        return "BE"


def check_plausibility(
    dataset: str,
    frame: pd.DataFrame,
    rules: PlausibilityRules,
    *,
    baseline: pd.DataFrame | None = None,
    baseline_label: str | None = None,
    exceptions: tuple[ReviewedException, ...] = (),
) -> PlausibilityResult:
    """Every rule of ``dataset`` on its raw table ``frame`` (canonical columns plus ``file_id``),
    ``baseline`` being the same table as last published (None before the first release)."""
    own = rules.for_dataset(dataset)
    found: list[Finding] = []
    compared: dict[str, int] = {}
    label = baseline_label or "the last release"
    for kind, (findings, count) in (
        ("year_change", year_change(dataset, frame, own)),
        ("load_change", load_change(dataset, frame, baseline, own, label)),
        ("total_shift", total_shift(dataset, frame, own)),
        ("bounds", bounds(dataset, frame, own)),
    ):
        found += findings
        compared[kind] = count
    blocking, accepted = [], []
    for finding in found:
        covered = next(
            (e for e in exceptions if e.covers(dataset, finding.code, finding.measure, finding.period)), None
        )
        if covered is None:
            blocking.append(finding)
        else:
            accepted.append((finding, covered))
    return PlausibilityResult(
        dataset, rules.version, tuple(blocking), tuple(accepted), compared,
        baseline_label if baseline is not None else None,
    )
