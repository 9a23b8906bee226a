"""The plausibility rules (``config/plausibility.yml``) and the reviewed exceptions
(``config/plausibility_exceptions.yml``), validated into frozen dataclasses.

A file that cannot be applied is refused with one line naming the file and the key at fault
(``config/plausibility.yml: key 'datasets.statbel_population.year_change.population_total.why':
missing``). Every threshold lives in those files, each with its reason; none in code.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from ingestion.errors import CatalogError
from ingestion.settings import config_dir

RULES_FILE = "plausibility.yml"
EXCEPTIONS_FILE = "plausibility_exceptions.yml"
# Tests and a data team trying an exception before it is reviewed point here to another list.
EXCEPTIONS_ENV = "COHESION_PLAUSIBILITY_EXCEPTIONS"
ANY_MEASURE = "*"
TOTAL_CODES: frozenset[str] = frozenset({"BE", "BE-VLG", "BE-WAL", "BE-BRU"})
_PERIOD = re.compile(r"^\d{4}(?:Q[1-4])?$")
_RULE_KINDS = ("year_change", "load_change", "total_shift", "bounds", "ratio_bounds")


def figure(value: float) -> str:
    """A threshold as a user reads it: 1,000,000 and 0.5, never 1e+06."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,}"


class PlausibilityConfigError(CatalogError):
    """A plausibility rules or exceptions file cannot be applied."""

    def __init__(self, source: Path, key: str, problem: str) -> None:
        super().__init__(f"{source.name}: key {key!r}: {problem}")


@dataclass(frozen=True)
class ChangeRule:
    """A value may not move by more than ``max_relative`` AND ``min_absolute`` at once."""

    measure: str
    max_relative: float
    min_absolute: float
    why: str

    def breached(self, value: float, other: float) -> bool:
        change = abs(value - other)
        relative = change / abs(other) if other else float("inf") if change else 0.0
        return relative > self.max_relative and change > self.min_absolute

    def text(self, kind: str) -> str:
        span = "a year" if kind == "year_change" else "from the published load"
        return f"{kind}: at most ±{self.max_relative:.0%} (or ±{figure(self.min_absolute)}) {span}"


@dataclass(frozen=True)
class ShiftRule:
    measure: str
    max_relative: float
    why: str

    def text(self) -> str:
        return f"total_shift: a national or regional total moves at most ±{self.max_relative:.0%} a year"


@dataclass(frozen=True)
class Bound:
    measure: str
    low: float | None
    high: float | None
    why: str

    def text(self) -> str:
        parts = ([f"at least {figure(self.low)}"] if self.low is not None else []) + (
            [f"at most {figure(self.high)}"] if self.high is not None else []
        )
        return f"bounds: {' and '.join(parts)}"


@dataclass(frozen=True)
class RatioBound:
    name: str
    numerator: str
    denominator: str
    high: float
    why: str

    def text(self) -> str:
        return f"ratio_bounds.{self.name}: {self.numerator} / {self.denominator} at most {figure(self.high)}"


@dataclass(frozen=True)
class DatasetRules:
    year_change: tuple[ChangeRule, ...] = ()
    load_change: tuple[ChangeRule, ...] = ()  # may hold the ANY_MEASURE rule
    total_shift: tuple[ShiftRule, ...] = ()
    bounds: tuple[Bound, ...] = ()
    ratio_bounds: tuple[RatioBound, ...] = ()

    def load_rule(self, measure: str) -> ChangeRule | None:
        named = {r.measure: r for r in self.load_change}
        return named.get(measure) or named.get(ANY_MEASURE)


@dataclass(frozen=True)
class PlausibilityRules:
    version: str
    datasets: Mapping[str, DatasetRules]
    source: Path
    size_change_max_drop: float = 0.0  # the share of a year's rows a load may lose (size_change)

    def for_dataset(self, dataset: str) -> DatasetRules:
        return self.datasets.get(dataset, DatasetRules())


@dataclass(frozen=True)
class ReviewedException:
    """A true value a data team checked and accepted: it is published, flagged."""

    dataset: str | None
    nis_code: str
    measure: str
    period: str
    reason: str
    reviewed_by: str
    reviewed_on: date

    def covers(self, dataset: str, nis_code: str, measure: str, period: str) -> bool:
        return (
            (self.dataset is None or self.dataset == dataset)
            and (self.nis_code, self.measure, self.period) == (nis_code, measure, period)
        )

    def describe(self) -> str:
        return (
            f"{self.nis_code} {self.measure} {self.period} (reviewed by {self.reviewed_by} on "
            f"{self.reviewed_on.isoformat()}: {self.reason})"
        )


def _read(source: Path) -> Any:
    try:
        return yaml.safe_load(source.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CatalogError(f"{source}: cannot be read ({exc.strerror or exc})") from exc
    except yaml.YAMLError as exc:
        raise CatalogError(f"{source.name}: not valid YAML ({' '.join(str(exc).split())})") from exc


def _mapping(raw: Any, source: Path, key: str, allowed: tuple[str, ...] | None = None) -> Mapping[str, Any]:
    if not isinstance(raw, Mapping):
        raise PlausibilityConfigError(source, key, f"expected a mapping, found {raw!r}")
    if allowed is not None:
        extra = sorted(set(raw) - set(allowed))
        if extra:
            raise PlausibilityConfigError(source, key, f"unknown key(s) {extra}; allowed: {list(allowed)}")
    return raw


def _number(raw: Mapping[str, Any], name: str, source: Path, key: str, *, required: bool = True) -> float | None:
    value = raw.get(name)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise PlausibilityConfigError(source, f"{key}.{name}", f"expected a number of at least 0, found {value!r}")
    return float(value)


def _why(raw: Mapping[str, Any], source: Path, key: str) -> str:
    why = raw.get("why")
    if not isinstance(why, str) or not why.strip():
        raise PlausibilityConfigError(source, f"{key}.why", "missing: every threshold says why it is what it is")
    return " ".join(why.split())


def _change_rules(raw: Any, source: Path, key: str) -> tuple[ChangeRule, ...]:
    rules = []
    for measure, body in _mapping(raw, source, key).items():
        where = f"{key}.{measure}"
        body = _mapping(body, source, where, ("max_relative", "min_absolute", "why"))
        rules.append(
            ChangeRule(
                str(measure), _number(body, "max_relative", source, where), _number(body, "min_absolute", source, where),
                _why(body, source, where),
            )
        )
    return tuple(rules)


def _dataset_rules(raw: Any, source: Path, key: str) -> DatasetRules:
    raw = _mapping(raw, source, key, _RULE_KINDS)
    shifts, bounds, ratios = [], [], []
    for measure, body in _mapping(raw.get("total_shift", {}), source, f"{key}.total_shift").items():
        where = f"{key}.total_shift.{measure}"
        body = _mapping(body, source, where, ("max_relative", "why"))
        shifts.append(ShiftRule(str(measure), _number(body, "max_relative", source, where), _why(body, source, where)))
    for measure, body in _mapping(raw.get("bounds", {}), source, f"{key}.bounds").items():
        where = f"{key}.bounds.{measure}"
        body = _mapping(body, source, where, ("low", "high", "why"))
        low = _number(body, "low", source, where, required=False)
        high = _number(body, "high", source, where, required=False)
        if low is None and high is None:
            raise PlausibilityConfigError(source, where, "give low, high or both")
        bounds.append(Bound(str(measure), low, high, _why(body, source, where)))
    ratio_list = raw.get("ratio_bounds", [])
    if not isinstance(ratio_list, list):
        raise PlausibilityConfigError(source, f"{key}.ratio_bounds", f"expected a list, found {ratio_list!r}")
    for i, body in enumerate(ratio_list):
        where = f"{key}.ratio_bounds[{i}]"
        body = _mapping(body, source, where, ("name", "numerator", "denominator", "high", "why"))
        names = [body.get(n) for n in ("name", "numerator", "denominator")]
        if not all(isinstance(n, str) and n for n in names):
            raise PlausibilityConfigError(source, where, "name, numerator and denominator are required texts")
        ratios.append(RatioBound(*names, _number(body, "high", source, where), _why(body, source, where)))
    return DatasetRules(
        year_change=_change_rules(raw.get("year_change", {}), source, f"{key}.year_change"),
        load_change=_change_rules(raw.get("load_change", {}), source, f"{key}.load_change"),
        total_shift=tuple(shifts),
        bounds=tuple(bounds),
        ratio_bounds=tuple(ratios),
    )


def load_rules(path: Path | None = None) -> PlausibilityRules:
    """Read and validate ``config/plausibility.yml`` (or ``path``)."""
    source = path or config_dir() / RULES_FILE
    document = _mapping(_read(source), source, "(top)", ("version", "size_change", "datasets"))
    version = document.get("version")
    if not isinstance(version, str) or not version.strip():
        raise PlausibilityConfigError(source, "version", f"expected a version text such as '2026.1', found {version!r}")
    size_change = _mapping(document.get("size_change"), source, "size_change", ("max_drop", "why"))
    max_drop = _number(size_change, "max_drop", source, "size_change")
    _why(size_change, source, "size_change")
    if max_drop >= 1:
        raise PlausibilityConfigError(source, "size_change.max_drop", f"expected a share below 1, found {max_drop}")
    datasets = _mapping(document.get("datasets"), source, "datasets")
    return PlausibilityRules(
        version, {str(name): _dataset_rules(body, source, f"datasets.{name}") for name, body in datasets.items()},
        source, max_drop,
    )


def exceptions_path() -> Path:
    return Path(os.environ.get(EXCEPTIONS_ENV) or config_dir() / EXCEPTIONS_FILE)


def load_exceptions(path: Path | None = None) -> tuple[ReviewedException, ...]:
    """Read and validate the reviewed exceptions (default: ``$COHESION_PLAUSIBILITY_EXCEPTIONS``,
    else ``config/plausibility_exceptions.yml``)."""
    source = path or exceptions_path()
    document = _mapping(_read(source), source, "(top)", ("version", "exceptions"))
    entries = document.get("exceptions") or []
    if not isinstance(entries, list):
        raise PlausibilityConfigError(source, "exceptions", f"expected a list, found {entries!r}")
    found = []
    fields = ("dataset", "nis_code", "measure", "period", "reason", "reviewed_by", "reviewed_on")
    for i, body in enumerate(entries):
        where = f"exceptions[{i}]"
        body = _mapping(body, source, where, fields)
        for name in fields[1:]:
            if body.get(name) in (None, ""):
                raise PlausibilityConfigError(source, f"{where}.{name}", "missing: every exception says what, why, who and when")
        nis_code, period = str(body["nis_code"]), str(body["period"])
        if not (re.fullmatch(r"\d{5}", nis_code) or nis_code in TOTAL_CODES):
            raise PlausibilityConfigError(
                source, f"{where}.nis_code", f"expected a 5-digit code (quoted) or one of {sorted(TOTAL_CODES)}, found {nis_code!r}"
            )
        if not _PERIOD.match(period):
            raise PlausibilityConfigError(source, f"{where}.period", f"expected a year or a quarter (2025, 2025Q3), found {period!r}")
        reviewed_on = body["reviewed_on"]
        if isinstance(reviewed_on, str):
            try:
                reviewed_on = date.fromisoformat(reviewed_on)
            except ValueError:
                pass
        if not isinstance(reviewed_on, date):
            raise PlausibilityConfigError(source, f"{where}.reviewed_on", f"expected a date YYYY-MM-DD, found {reviewed_on!r}")
        found.append(
            ReviewedException(
                dataset=str(body["dataset"]) if body.get("dataset") else None, nis_code=nis_code,
                measure=str(body["measure"]), period=period, reason=" ".join(str(body["reason"]).split()),
                reviewed_by=str(body["reviewed_by"]), reviewed_on=reviewed_on,
            )
        )
    return tuple(found)


def exceptions_frame(exceptions: tuple[ReviewedException, ...]) -> pd.DataFrame:
    """The table raw.plausibility_exceptions: one row per reviewed exception, typed columns even
    when there is none."""
    columns = {
        "dataset": "string", "nis_code": "string", "period": "string", "measure": "string",
        "reason": "string", "reviewed_by": "string",
    }
    frame = pd.DataFrame(
        [
            {
                "dataset": e.dataset, "nis_code": e.nis_code, "period": e.period, "measure": e.measure,
                "reason": e.reason, "reviewed_by": e.reviewed_by, "reviewed_on": e.reviewed_on,
            }
            for e in exceptions
        ],
        columns=[*columns, "reviewed_on"],
    ).astype(columns)
    frame["reviewed_on"] = pd.to_datetime(frame["reviewed_on"]).dt.date
    return frame
