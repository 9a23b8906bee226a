"""Run a dataset's suite on a pandas frame and return a structured, printable result.

Great Expectations 1.x has no working DuckDB engine, so raw tables are read from DuckDB into
pandas and validated there. Suites and validation definitions are registered in an ephemeral
context before they run, as GX 1.x requires.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from typing import Any

import pandas as pd

from expectations.suites import (
    build_coverage_expectations,
    build_expectations,
    contract_for,
    coverage_differences,
    coverage_frame,
    coverage_gaps,
)


# Codes listed in one line for a coverage failure; the check's metadata lists them all.
LISTED_CODES = 25


@dataclass(frozen=True)
class ExpectationOutcome:
    expectation: str
    column: str | None
    condition: str | None
    success: bool
    unexpected_count: int | None
    examples: tuple[Any, ...]
    # For a coverage (set) expectation: the communes of the map that are absent, and the codes
    # present that are no commune of the map, each in full.
    missing: tuple[str, ...] = ()
    unexpected: tuple[str, ...] = ()

    def describe(self) -> str:
        target = f" on {self.column!r}" if self.column else ""
        where = f" where {self.condition}" if self.condition else ""
        if self.missing or self.unexpected:
            return f"{self.expectation}{target}{where}: {_listed(self.missing, 'missing')}; {_listed(self.unexpected, 'unexpected')}"
        count = f": {self.unexpected_count} unexpected" if self.unexpected_count else ""
        examples = f" (e.g. {', '.join(map(str, self.examples[:5]))})" if self.examples else ""
        return f"{self.expectation}{target}{where}{count}{examples}"


def _listed(codes: tuple[str, ...], what: str) -> str:
    if not codes:
        return f"0 {what}"
    shown = ", ".join(codes[:LISTED_CODES]) + (f", ... (+{len(codes) - LISTED_CODES} more)" if len(codes) > LISTED_CODES else "")
    return f"{len(codes)} {what} ({shown})"


@dataclass(frozen=True)
class ValidationSummary:
    dataset: str
    success: bool
    evaluated: int
    failures: tuple[ExpectationOutcome, ...]
    rows: int
    coverage_gaps: tuple[str, ...] = ()

    def message(self) -> str:
        """One line a user can act on."""
        if self.success:
            gaps = f"; {len(self.coverage_gaps)} coverage gap(s) of regional files reported" if self.coverage_gaps else ""
            return f"dataset {self.dataset}: all {self.evaluated} expectations passed on {self.rows} rows{gaps}"
        first = self.failures[0].describe()
        more = f" (+{len(self.failures) - 1} more failed)" if len(self.failures) > 1 else ""
        return f"dataset {self.dataset}: expectation failed: {first}{more}"

    def as_metadata(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "success": self.success,
            "expectations_evaluated": self.evaluated,
            "expectations_failed": len(self.failures),
            "rows": self.rows,
            "failures": [f.describe() for f in self.failures[:20]],
            "missing_communes": {f.condition: list(f.missing) for f in self.failures if f.missing},
            "unexpected_codes": {f.condition: list(f.unexpected) for f in self.failures if f.unexpected},
            "coverage_gaps": list(self.coverage_gaps[:50]),
        }


@cache
def _context():
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    context.data_sources.add_pandas("frames")
    return context


def _condition_text(condition: Any) -> str | None:
    """GX 1.x keeps a pandas row condition as {"pass_through_filter": text, ...}: the text."""
    if isinstance(condition, dict):
        return condition.get("pass_through_filter") or str(condition)
    return condition or None


def _examples(result: dict[str, Any]) -> tuple[Any, ...]:
    for key in ("partial_unexpected_list", "partial_missing_list"):
        values = result.get(key)
        if values:
            return tuple(values[:10])
    observed = result.get("observed_value")
    if observed is not None and not isinstance(observed, (list, dict)):
        return (f"observed {observed}",)
    return ()


def _run_suite(name: str, expectations: list, frame: pd.DataFrame) -> list:
    """Register a suite and its validation definition in the context, run it on ``frame``."""
    import great_expectations as gx

    context = _context()
    source = context.data_sources.get("frames")
    try:
        asset = source.get_asset(name)
    except LookupError:
        asset = source.add_dataframe_asset(name=name)
    try:
        batch = asset.get_batch_definition("whole")
    except (KeyError, LookupError):
        batch = asset.add_batch_definition_whole_dataframe("whole")
    if name in {s.name for s in context.suites.all()}:
        context.suites.delete(name)
    suite = context.suites.add(gx.ExpectationSuite(name=name))
    for expectation in expectations:
        suite.add_expectation(expectation)
    definition_name = f"validate_{name}"
    if definition_name in {d.name for d in context.validation_definitions.all()}:
        context.validation_definitions.delete(definition_name)
    definition = context.validation_definitions.add(gx.ValidationDefinition(name=definition_name, data=batch, suite=suite))
    return list(definition.run(batch_parameters={"dataframe": frame}).results)


def validate_frame(dataset: str, frame: pd.DataFrame) -> ValidationSummary:
    """Validate a dataset's raw canonical table; never raises on a failed expectation."""
    contract = contract_for(dataset)
    results = _run_suite(f"raw_{dataset}", build_expectations(contract), frame)
    gaps: list[str] = []
    differences: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}
    if len(frame):
        coverage = coverage_frame(frame)
        results += _run_suite(f"coverage_{dataset}", build_coverage_expectations(contract, coverage), coverage)
        gaps = coverage_gaps(coverage)
        differences = coverage_differences(coverage)

    failures = []
    for item in results:
        if item.success:
            continue
        config = item.expectation_config
        kwargs = config.kwargs
        condition = _condition_text(kwargs.get("row_condition"))
        failures.append(
            ExpectationOutcome(
                expectation=config.type,
                column=kwargs.get("column"),
                condition=condition,
                success=False,
                unexpected_count=item.result.get("unexpected_count") or item.result.get("missing_count"),
                examples=_examples(item.result),
                # GX lists a sample of each; the coverage frame gives them in full.
                missing=differences.get(condition, ((), ()))[0]
                if config.type == "expect_column_distinct_values_to_equal_set" else (),
                unexpected=differences.get(condition, ((), ()))[1]
                if config.type == "expect_column_distinct_values_to_equal_set" else (),
            )
        )
    return ValidationSummary(
        dataset=dataset,
        success=not failures,
        evaluated=len(results),
        failures=tuple(failures),
        rows=len(frame),
        coverage_gaps=tuple(gaps),
    )
