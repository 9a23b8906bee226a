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

from expectations.suites import build_expectations, contract_for, coverage_differences, coverage_frame, coverage_gaps


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
    """Register a suite and its validation definition in the context once, run it on ``frame``.

    The suite is built whole before it is added: adding expectations one by one to a suite the
    context holds re-serialises the whole suite on every call (half of validation's time)."""
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
    suite = context.suites.add(gx.ExpectationSuite(name=name, expectations=expectations))
    definition_name = f"validate_{name}"
    if definition_name in {d.name for d in context.validation_definitions.all()}:
        context.validation_definitions.delete(definition_name)
    definition = context.validation_definitions.add(gx.ValidationDefinition(name=definition_name, data=batch, suite=suite))
    # Verdicts first, without the examples and counts of unexpected values a message quotes: GX
    # computes them two to three times faster so (BOOLEAN_ONLY; the verdicts are the same). Only a
    # run with a failure is validated again in the default format, on the frame as given, for the
    # message's details.
    try:
        verdicts = definition.run(batch_parameters={"dataframe": _as_categories(frame)}, result_format="BOOLEAN_ONLY")
        results = list(verdicts.results)
        if all(item.success for item in results):
            return results
        return list(definition.run(batch_parameters={"dataframe": frame}).results)
    finally:
        _forget_frames(source)


def _forget_frames(source) -> None:
    """GX's execution engine keeps every batch it validated, frame included, and every metric it
    computed on them, for as long as the context lives: one context per process held each
    dataset's last frame (on a sample run, about 200 MB once the real-estate table was checked,
    through dbt and the index) and each check's row masks and index lists (on the real files,
    30 MB more). The results are plain values; frames and metrics are dropped once a suite has
    run (a metric is cached per batch, and no batch is validated twice)."""
    engine = source.get_execution_engine()
    batches = engine.batch_manager
    batches.reset_batch_cache()
    batches.batch_data_cache.clear()
    engine._metric_cache.clear()


def _as_categories(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its text columns as categories: the same values (every expectation of the
    suites compares values: in a set, a regex on str(), uniqueness, nulls, the row conditions),
    and each row condition's filter moves small integer codes instead of every text column's
    strings (on the 690,000 rows of the real-estate table, 2.6 s of the suite's 3.5 s)."""
    text = [c for c in frame.columns if isinstance(frame[c].dtype, pd.StringDtype)]
    return frame.astype(dict.fromkeys(text, "category")) if text else frame


def validate_frame(dataset: str, frame: pd.DataFrame) -> ValidationSummary:
    """Validate a dataset's raw canonical table; never raises on a failed expectation.

    Row-level rules run as a Great Expectations suite. Commune coverage (every commune of the
    declared map in every period of a national file) is a set comparison per file and period,
    done in pandas: as GX expectations each carrying 565 codes it took most of validation's time."""
    contract = contract_for(dataset)
    results = _run_suite(f"raw_{dataset}", build_expectations(contract), frame)
    failures = [_outcome(item) for item in results if not item.success]
    coverage_checked, gaps = 0, []
    if len(frame):
        coverage = coverage_frame(frame)
        coverage_outcomes = coverage_failures(contract, coverage)
        coverage_checked = len(coverage_outcomes)
        failures += [outcome for outcome in coverage_outcomes if not outcome.success]
        gaps = coverage_gaps(coverage)
    return ValidationSummary(
        dataset=dataset,
        success=not failures,
        evaluated=len(results) + coverage_checked,
        failures=tuple(failures),
        rows=len(frame),
        coverage_gaps=tuple(gaps),
    )


COVERAGE_EXPECTATION = "expect_column_distinct_values_to_equal_set"


def coverage_failures(contract, coverage: pd.DataFrame) -> list[ExpectationOutcome]:
    """One outcome per national file, map and period: the communes of the map that are missing and
    the codes present that are no commune of the map, each in full."""
    outcomes = []
    for condition, (missing, unexpected) in coverage_differences(coverage, contract.national_file_ids).items():
        outcomes.append(
            ExpectationOutcome(
                expectation=COVERAGE_EXPECTATION, column="nis_code", condition=condition,
                success=not missing and not unexpected, unexpected_count=len(missing) + len(unexpected) or None,
                examples=(), missing=missing, unexpected=unexpected,
            )
        )
    return outcomes


def _outcome(item) -> ExpectationOutcome:
    config = item.expectation_config
    kwargs = config.kwargs
    return ExpectationOutcome(
        expectation=config.type,
        column=kwargs.get("column"),
        condition=_condition_text(kwargs.get("row_condition")),
        success=bool(item.success),
        unexpected_count=item.result.get("unexpected_count") or item.result.get("missing_count"),
        examples=_examples(item.result),
    )
