"""What a parsed (or harmonised) canonical frame holds, in numbers a data team can check
against the publisher's own totals before loading a file (``cohesion parse``)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ingestion.canonical import NULL_STATUSES
from ingestion.reference import additive_measures

# The text output shows the latest periods of each measure; --json has them all.
TEXT_PERIODS = 4


@dataclass(frozen=True)
class MeasureTotal:
    """The sum over communes of one additive measure in one period.

    ``gaps`` counts the cells left out of the sum because they are NULL (suppressed, missing,
    ...): when it is not 0 the total is a lower bound, not the publisher's total. ``total`` is
    None when no cell has a value.
    """

    measure: str
    period: str
    total: float | None
    cells: int
    gaps: int


@dataclass(frozen=True)
class ParseSummary:
    datasets: tuple[str, ...]
    source_files: tuple[str, ...]
    rows: int
    communes: int
    map_vintages: tuple[int, ...]
    periods: tuple[str, ...]
    measures: tuple[str, ...]
    dropped: dict[str, int]
    statuses: dict[str, int]  # status -> cells
    totals: tuple[MeasureTotal, ...]  # additive measures only, sorted by measure then period
    # The parser's comparison with the publisher's own Belgium totals, counted ("" when the file has none).
    belgium_totals: str = ""
    # Indicator labels of the file no table knows (Swing exports): reported, never loaded.
    unknown_labels: tuple[str, ...] = ()

    @property
    def suppressed(self) -> int:
        return self.statuses.get("suppressed", 0)

    @property
    def missing(self) -> int:
        return self.statuses.get("missing", 0)

    def total(self, measure: str, period: str) -> float | None:
        """The sum over communes of ``measure`` in ``period``, or None when it is not summed
        (not additive, absent, or no cell has a value)."""
        for item in self.totals:
            if item.measure == measure and item.period == period:
                return item.total
        return None

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping; totals as ``{measure: {period: total}}``."""
        totals: dict[str, dict[str, float | int | None]] = {}
        gaps: dict[str, dict[str, int]] = {}
        for item in self.totals:
            totals.setdefault(item.measure, {})[item.period] = _number(item.total)
            if item.gaps:
                gaps.setdefault(item.measure, {})[item.period] = item.gaps
        return {
            "datasets": list(self.datasets),
            "source_files": list(self.source_files),
            "rows": self.rows,
            "communes": self.communes,
            "map_vintages": list(self.map_vintages),
            "periods": list(self.periods),
            "measures": list(self.measures),
            "dropped": dict(self.dropped),
            "statuses": dict(sorted(self.statuses.items())),
            "suppressed": self.suppressed,
            "missing": self.missing,
            "totals": totals,
            "total_gaps": gaps,
            "belgium_totals": self.belgium_totals,
            "unknown_labels": list(self.unknown_labels),
        }

    def as_json(self) -> str:
        return json.dumps(self.as_dict(), ensure_ascii=False, sort_keys=False)

    def text(self) -> str:
        periods = _span(self.periods)
        maps = "/".join(str(m) for m in self.map_vintages) or "-"
        dropped = ", ".join(f"{n:,} {what.replace('_', ' ')}" for what, n in sorted(self.dropped.items())) or "none"
        statuses = ", ".join(f"{n:,} {status}" for status, n in sorted(self.statuses.items())) or "none"
        lines = [
            f"{self.rows:,} rows, {self.communes} communes, map {maps}, {len(self.periods)} period(s) {periods}, "
            f"{len(self.measures)} measure(s)",
            f"dropped: {dropped}",
            f"cells: {statuses}",
        ]
        if self.belgium_totals:
            lines.append(f"against the publisher's Belgium totals: {self.belgium_totals}")
        if self.unknown_labels:
            listed = "; ".join(repr(label) for label in self.unknown_labels)
            lines.append(
                f"unknown labels, not loaded (add them to ingestion/reference/swing_labels.csv): {listed}"
            )
        if self.totals:
            lines.append("sums over communes (additive measures):")
            width = max(len(item.measure) for item in self.totals)
            for measure in dict.fromkeys(item.measure for item in self.totals):
                items = [item for item in self.totals if item.measure == measure]
                if len(items) > TEXT_PERIODS:
                    lines.append(f"  {measure:<{width}}  ({len(items) - TEXT_PERIODS} earlier periods: see --json)")
                for item in items[-TEXT_PERIODS:]:
                    gaps = f"  ({item.gaps:,} NULL cell(s) not included)" if item.gaps else ""
                    lines.append(f"  {measure:<{width}}  {item.period:<7} {_format(item.total):>18}{gaps}")
        return "\n".join(lines)


def reconciliation_summary(outcomes: Mapping[str, Any]) -> str:
    """A parser's reconciliation outcomes (nested by sheet, measure or year) counted in one line,
    e.g. ``60 reconciled`` or ``45 reconciled, 3 not checked: a commune count is suppressed``."""
    counts: Counter[str] = Counter()

    def walk(node: Any) -> None:
        if isinstance(node, Mapping):
            for child in node.values():
                walk(child)
        else:
            counts[str(node)] += 1

    walk(outcomes)
    return ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def summarise(frame: pd.DataFrame) -> ParseSummary:
    """Count and total a canonical frame (from a parser, or from :func:`harmonise_frame`).

    The dropped totals and pseudo-code rows come from ``frame.attrs["dropped"]`` (set by the
    parsers); the sums are over the communes of the frame, per additive measure and period.
    """
    dropped = {str(k): int(v) for k, v in dict(frame.attrs.get("dropped", {})).items()}
    statuses = {str(k): int(v) for k, v in frame["status"].value_counts().items()}
    return ParseSummary(
        datasets=_sorted(frame["dataset"]),
        source_files=_sorted(frame["source_file"]),
        rows=len(frame),
        communes=int(frame["nis_code"].nunique()),
        map_vintages=tuple(sorted(int(m) for m in frame["map_vintage"].dropna().unique())),
        periods=_sorted(frame["period"]),
        measures=_sorted(frame["measure"]),
        dropped=dropped,
        statuses=statuses,
        totals=_totals(frame),
        belgium_totals=reconciliation_summary(frame.attrs.get("reconciliation", {})),
        unknown_labels=tuple(frame.attrs.get("unknown_labels", ())),
    )


def _totals(frame: pd.DataFrame) -> tuple[MeasureTotal, ...]:
    pairs = frame[["dataset", "measure"]].drop_duplicates()
    pairs = pairs[[m in additive_measures(d) for d, m in zip(pairs["dataset"], pairs["measure"], strict=True)]]
    if pairs.empty:
        return ()
    cells = frame[["dataset", "measure", "period", "value", "status"]].merge(pairs, on=["dataset", "measure"])
    cells["gap"] = cells["value"].isna() | cells["status"].isin(NULL_STATUSES)
    grouped = cells.groupby(["measure", "period"], sort=True).agg(
        total=("value", "sum"), valued=("value", "count"), cells=("value", "size"), gaps=("gap", "sum")
    )
    return tuple(
        MeasureTotal(
            str(measure), str(period), float(row.total) if row.valued else None, int(row.cells), int(row.gaps)
        )
        for (measure, period), row in zip(grouped.index, grouped.itertuples(index=False), strict=True)
    )


def _sorted(column: pd.Series) -> tuple[str, ...]:
    return tuple(sorted(str(v) for v in column.dropna().unique()))


def _span(periods: tuple[str, ...]) -> str:
    if not periods:
        return "-"
    return periods[0] if len(periods) == 1 else f"{periods[0]}..{periods[-1]}"


def _number(value: float | None) -> float | int | None:
    # Counts are whole numbers: show them as such (11209044, not 11209044.0).
    if value is None:
        return None
    return int(value) if float(value).is_integer() else round(value, 6)


def _format(value: float | None) -> str:
    number = _number(value)
    if number is None:
        return "NULL"
    return f"{number:,}" if isinstance(number, int) else f"{number:,.2f}"
