"""What a dbt build left behind, read for the run report: each node's result, a failed test's
failing rows (its own query, run again once dbt is done) and one line for a build that failed.

No manifest is needed here, so a fresh clone can test it before dbt has parsed the project.
"""

from collections.abc import Mapping
from typing import Any

import dagster as dg


# dbt_project/profiles.yml caps the memory of dbt's DuckDB; this raises the cap.
MEMORY_LIMIT_ENV = "COHESION_DBT_MEMORY_LIMIT"

# Rows shown in a failed test's one-line summary; more are in its metadata.
ROWS_IN_SUMMARY = 3
ROWS_IN_METADATA = 20


def with_failing_rows(check: dg.AssetCheckResult, results: Mapping[str, dict[str, Any]], con) -> dg.AssetCheckResult:
    """The failed check with its failing rows in its summary and metadata."""
    metadata = dict(check.metadata or {})
    unique_id = getattr(metadata.get("unique_id"), "text", metadata.get("unique_id"))
    result = results.get(str(unique_id), {})
    count = result.get("failures")
    rows, error = failing_rows(result.get("compiled_code"), con)
    summary = failure_summary(check.check_name, count, rows, error or result.get("message"))
    metadata.update({"summary": summary, "failing_rows": [_row_text(r) for r in rows[:ROWS_IN_METADATA]]})
    return dg.AssetCheckResult(
        asset_key=check.asset_key, check_name=check.check_name, passed=False, severity=check.severity,
        metadata=metadata, description=summary,
    )


def failing_rows(sql: str | None, con) -> tuple[list[dict[str, Any]], str | None]:
    """The first failing rows of a test (its compiled query selects them), or why they cannot be read."""
    if not sql:
        return [], "its query is not in run_results.json"
    try:
        frame = con.execute(f"select * from ({sql.strip().rstrip(';')}) as failing limit {ROWS_IN_METADATA}").df()
    except Exception as exc:  # any database error: the summary says so instead of failing the run report
        return [], f"its failing rows could not be read again ({' '.join(str(exc).split())[:200]})"
    return frame.to_dict("records"), None


def failure_summary(test: str, count: int | None, rows: list[dict[str, Any]], note: str | None) -> str:
    counted = f"{count} failing row(s)" if count is not None else "failed"
    if rows:
        shown = "; ".join(f"({_row_text(r)})" for r in rows[:ROWS_IN_SUMMARY])
        more = f" (+{count - ROWS_IN_SUMMARY} more)" if count is not None and count > ROWS_IN_SUMMARY else ""
        return f"dbt test {test}: {counted}: {shown}{more}"
    return f"dbt test {test}: {counted}" + (f"; {note}" if note else "")


def _row_text(row: Mapping[str, Any]) -> str:
    return ", ".join(f"{name}={value}" for name, value in row.items())


def build_problem(results: Mapping[str, dict[str, Any]]) -> str | None:
    """One line for a dbt build that did not succeed: the failed tests and the models in error."""
    failed_tests = sorted(r["unique_id"].split(".")[2] for r in results.values() if r.get("status") == "fail" and r["unique_id"].startswith("test."))
    errors = sorted(
        f"{r['unique_id'].split('.')[-1]} ({' '.join(str(r.get('message') or 'error').split())[:200]})"
        for r in results.values()
        if r.get("status") == "error"
    )
    if not failed_tests and not errors:
        return None
    parts = []
    if failed_tests:
        parts.append(f"{len(failed_tests)} dbt test(s) failed: {', '.join(failed_tests[:5])}" + (" ..." if len(failed_tests) > 5 else ""))
    if errors:
        parts.append(f"{len(errors)} dbt node(s) in error: {'; '.join(errors[:3])}" + (" ..." if len(errors) > 3 else ""))
    if any("Out of Memory Error" in str(r.get("message")) for r in results.values() if r.get("status") == "error"):
        parts.append(f"DuckDB reached the memory limit of dbt_project/profiles.yml: run again with {MEMORY_LIMIT_ENV}=1GB")
    return "dbt build: " + "; ".join(parts) + "; everything downstream was skipped"
