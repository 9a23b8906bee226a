"""Every dbt model as an asset and every dbt test as a check, run as one `dbt build` stream.

`dbt build` runs a model's tests right after the model and skips everything downstream of a
failing test, and the step fails, so the publish asset never runs after a failed test. A failed
test's result carries its first failing rows (the test's own query, run again once dbt is done),
so the run report shows what failed, not only that it did.

dbt runs as `cohesion-dbt` (orchestration/dbt_process.py): in a process group of its own, killed
by the kernel if the run dies; and the step ends that group whatever way it ends itself.
"""


import os
import signal
from collections.abc import Iterator, Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets
from dagster_duckdb import DuckDBResource

from orchestration.dbt_process import PARENT_ENV
from orchestration.settings import DBT_PROJECT_DIR

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
dbt_project.prepare_if_dev()


class CohesionTranslator(DagsterDbtTranslator):
    """Asset keys that read like the data flow: raw/<table> for sources, <layer>/<model>."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey(["raw", dbt_resource_props["name"]])
        # The alias is the table's name in the database (published tables keep their public name).
        name = dbt_resource_props.get("alias") or dbt_resource_props["name"]
        return dg.AssetKey([layer_of(dbt_resource_props), name])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "source":
            return "raw"
        return layer_of(dbt_resource_props)


def layer_of(dbt_resource_props: Mapping[str, Any]) -> str:
    """The model's folder under models/ (staging, harmonised, ...); seeds are 'reference'."""
    if dbt_resource_props["resource_type"] == "seed":
        return "reference"
    fqn = dbt_resource_props.get("fqn") or []
    return fqn[1] if len(fqn) > 2 else "models"


def dbt_build_args() -> list[str]:
    """`build` runs seeds, models and tests in dependency order; one stream for the whole graph."""
    return ["build"]


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=CohesionTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True)),
)
def cohesion_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, duckdb: DuckDBResource):
    # dbt's profile reads the working database path from the environment; the DuckDB resource
    # is the single place that decides it.
    os.environ["COHESION_WAREHOUSE"] = duckdb.database
    os.environ[PARENT_ENV] = str(os.getpid())  # cohesion-dbt dies with this process
    invocation = dbt.cli(dbt_build_args(), context=context, raise_on_error=False)
    failed: list[dg.AssetCheckResult] = []
    try:
        for event in invocation.stream():
            if isinstance(event, dg.AssetCheckResult) and not event.passed:
                failed.append(event)  # yielded below, with its failing rows, once dbt is done
            else:
                yield event
    finally:
        end_process_group(invocation.process)
    results = _run_results(invocation)
    with duckdb.get_connection() as con:
        for check in failed:
            yield with_failing_rows(check, results, con)
    problem = build_problem(results)
    if problem is None and invocation.process.returncode:
        error = invocation.get_error()
        detail = " ".join(str(error).split())[:300] if error is not None else "no result was recorded"
        problem = f"dbt build ended with exit code {invocation.process.returncode}: {detail}"
    if problem is not None:
        raise dg.Failure(description=problem)


def end_process_group(process) -> None:
    """End dbt's process group if it still runs (the run failed or was interrupted): SIGTERM, then
    SIGKILL after 10 s. dbt is the leader of its own group (cohesion-dbt)."""
    if process.poll() is not None:
        return
    try:
        group = os.getpgid(process.pid)
    except ProcessLookupError:
        return
    if group == os.getpgid(0):
        process.terminate()  # plain dbt, sharing our group: only the process itself
    else:
        os.killpg(group, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except Exception:  # still there after 10 s
        if group != os.getpgid(0):
            os.killpg(group, signal.SIGKILL)
        else:
            process.kill()
        process.wait()


def _run_results(invocation) -> dict[str, dict[str, Any]]:
    """unique_id -> the node's result in run_results.json (status, failures, compiled SQL)."""
    try:
        artifact = invocation.get_artifact("run_results.json")
    except (OSError, ValueError):
        return {}
    return {result["unique_id"]: result for result in artifact.get("results", [])}


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
    return "dbt build: " + "; ".join(parts) + "; everything downstream was skipped"
