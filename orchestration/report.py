"""The run report: what a run read, what its checks found, what it published or why not."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb

from ingestion.settings import paths


_OUR_ERRORS = frozenset(
    {"CohesionError", "ParseError", "CatalogError", "DownloadError", "ArchiveError", "PublishError", "Failure"}
)


def _check_rows(instance: dg.DagsterInstance, run_id: str) -> list[dict[str, Any]]:
    from orchestration.defs.publish import quality_rows_from_run

    return quality_rows_from_run(instance, run_id).to_dict("records")


def _plain(value: Any) -> Any:
    """A metadata value as plain data (Dagster wraps lists and texts)."""
    for attribute in ("data", "value", "text"):
        if hasattr(value, attribute):
            return getattr(value, attribute)
    return value


# Per failed check, the metadata entries that list what failed, row by row.
_DETAIL_KEYS = ("findings", "failing_rows", "failures")


def _check_details(instance: dg.DagsterInstance, run_id: str) -> dict[tuple[str, str], list[str]]:
    """(check, asset) -> the lines of a failed check's details: implausible values (plausibility),
    failing rows (dbt tests), failed expectations (raw contracts)."""
    details: dict[tuple[str, str], list[str]] = {}
    for record in instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION):
        evaluation = record.dagster_event.event_specific_data
        if evaluation.passed:
            continue
        lines: list[str] = []
        for key in _DETAIL_KEYS:
            if key in evaluation.metadata:
                lines += [str(line) for line in _plain(evaluation.metadata[key]) or []]
        details[(evaluation.check_name, evaluation.asset_key.to_user_string())] = lines
    return details


def _inputs_loaded(result: dg.ExecuteInProcessResult) -> dict[str, dict[str, Any]]:
    """Per raw dataset: the vintage loaded for each file and why, the rows each file's parser
    dropped (totals rows, pseudo codes such as 99999), and archived copies never loaded."""
    loaded: dict[str, dict[str, Any]] = {}
    for event in result.all_events:
        if event.event_type != dg.DagsterEventType.ASSET_MATERIALIZATION:
            continue
        materialization = event.step_materialization_data.materialization
        key = materialization.asset_key.to_user_string()
        if not key.startswith("raw/"):
            continue
        metadata = {name: _plain(value) for name, value in materialization.metadata.items()}
        if "vintages" not in metadata:
            continue
        entry = loaded.setdefault(key.removeprefix("raw/"), {"vintages": {}, "dropped": {}, "not_loaded": []})
        entry["vintages"].update(metadata.get("vintages") or {})
        entry["dropped"].update(metadata.get("dropped") or {})
        entry["not_loaded"] = sorted(set(entry["not_loaded"]) | set(metadata.get("not_loaded") or []))
    return dict(sorted(loaded.items()))


def _failures(
    failed_checks: list[dict[str, Any]], step_failures: list[dict[str, str]], details: dict[tuple[str, str], list[str]]
) -> list[dict[str, Any]]:
    """Every failure of the run, checks first: what a user reads after NOT PUBLISHED."""
    failures = [
        {
            "what": f"{c['check_name']} on {c['asset']}",
            "message": " ".join(str(c["summary"]).split()),
            "details": details.get((c["check_name"], c["asset"]), []),
        }
        for c in failed_checks
    ]
    failures += [{"what": f["step"], "message": f["error"], "details": []} for f in step_failures]
    return failures


def _site_built(result: dg.ExecuteInProcessResult) -> dict[str, Any]:
    """The release site this run built: where, how many pages, its size and build time."""
    for event in result.all_events:
        if event.event_type != dg.DagsterEventType.ASSET_MATERIALIZATION:
            continue
        materialization = event.step_materialization_data.materialization
        if materialization.asset_key.to_user_string() == "published/site":
            return {name: _plain(value) for name, value in materialization.metadata.items()}
    return {}


def _step_failures(result: dg.ExecuteInProcessResult) -> list[dict[str, str]]:
    failures = []
    for event in result.all_events:
        if event.event_type == dg.DagsterEventType.STEP_FAILURE:
            error = event.step_failure_data.error
            if error is not None and error.cls_name == "DagsterAssetCheckFailedError":
                continue  # a blocking check that failed: reported with its own summary, not twice
            message = error.message.strip() if error else "unknown error"
            # Dagster wraps the step's exception; the first error of ours in the chain (a
            # ParseError, a PublishError...) is the one a user can act on, not the library error
            # it was raised from, nor Dagster's wrapper.
            cause = error.cause if error else None
            while cause is not None:
                message = cause.message.strip()
                if cause.cls_name in _OUR_ERRORS:
                    # "ingestion.errors.ParseError: dataset ...": the class path tells a user nothing.
                    head, _, rest = message.partition(": ")
                    if rest and head.split(".")[-1] == cause.cls_name:
                        message = rest
                    break
                cause = cause.cause
            failures.append({"step": event.step_key or "", "error": message.splitlines()[-1] if message else ""})
    return failures


def _step_seconds(instance: dg.DagsterInstance, run_id: str) -> dict[str, float]:
    seconds = {}
    for stats in instance.get_run_step_stats(run_id):
        if stats.start_time and stats.end_time:
            seconds[stats.step_key] = round(stats.end_time - stats.start_time, 3)
    return seconds


def _published_summary(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    with duckdb.connect(str(path), read_only=True) as con:
        tables = {t for (t,) in con.execute("select table_name from information_schema.tables").fetchall()}
        summary: dict[str, Any] = {
            "release_id": con.execute("select release_id from _release").fetchall()[0][0],
            "data_origin": con.execute("select data_origin from _release").fetchall()[0][0],
            "communes": con.execute("select count(*) from communes").fetchall()[0][0],
        }
        if "commune_indicators" in tables:
            years, indicators = con.execute(
                "select list(distinct year order by year), count(distinct indicator) from commune_indicators"
            ).fetchall()[0]
            summary["years"] = years
            summary["indicators"] = indicators
        if "index_editions" in tables:
            summary["index_editions"] = {
                scope: years
                for scope, years in con.execute(
                    "select scope, list(year order by year) from index_editions where published group by scope order by scope"
                ).fetchall()
            }
        if "fund_editions" in tables:
            computed, missing = con.execute(
                "select list(year order by year) filter (where computed), "
                "list(year order by year) filter (where not computed) from fund_editions"
            ).fetchall()[0]
            summary["fund_years"] = computed or []
            summary["fund_years_not_computed"] = missing or []
        if "fund_eligibility" in tables:
            summary["eligible_by_year"] = dict(
                con.execute(
                    "select year, count(*) filter (where eligible) from fund_eligibility group by year order by year"
                ).fetchall()
            )
    return summary


def build_run_report(result: dg.ExecuteInProcessResult, instance: dg.DagsterInstance, timings: dict[str, float]) -> dict[str, Any]:
    run_id = result.run_id
    checks = _check_rows(instance, run_id)
    # A partitioned asset records one materialization per year: count it once.
    materialized = sorted(
        {e.asset_key.to_user_string() for e in result.all_events if e.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION}
    )
    published = "published/release" in materialized
    unchanged = any(
        e.asset_key.to_user_string() == "published/release"
        and getattr(e.step_materialization_data.materialization.metadata.get("unchanged"), "value", False)
        for e in result.all_events if e.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION
    )  # fmt: skip
    failures = _step_failures(result)
    failed_checks = [c for c in checks if not c["passed"] and c["severity"] == "ERROR"]
    problems = _failures(failed_checks, failures, _check_details(instance, run_id))
    if published:
        reason = "every blocking check passed"
    elif problems:
        # Every failure, parse errors and failed checks alike: one line, each "what: message".
        reason = "; ".join(f"{p['what']}: {p['message']}" for p in problems)
    else:
        reason = "the run did not reach the publish step"
    return {
        "run_id": run_id,
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "success": result.success,
        "published": published,
        # The content equals the published release's: no new release was filed.
        "unchanged": unchanged,
        "reason": reason,
        "published_path": str(paths().published),
        "release": _published_summary(paths().published) if published else {},
        "site": _site_built(result) if published else {},
        "materialized": materialized,
        "checks_passed": sum(c["passed"] for c in checks),
        "checks_failed": [c for c in checks if not c["passed"]],
        "step_failures": failures,
        "failures": problems,
        "inputs_loaded": _inputs_loaded(result),
        "step_seconds": _step_seconds(instance, run_id),
        "timings": timings,
    }


def write_run_report(report: dict[str, Any], directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"run-{report['run_id']}.json"
    path.write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
    (directory / "latest.json").write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
    return path


def write_unchanged_report(report: dict[str, Any], directory: Path) -> Path:
    """latest.json for a run that found nothing to do (no Dagster run, no run id)."""
    directory.mkdir(parents=True, exist_ok=True)
    report = {"finished_at": datetime.now(UTC).isoformat(timespec="seconds"), **report}
    path = directory / "latest.json"
    path.write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
    return path


def _years_text(years: list[int]) -> str:
    """2015, 2016, 2019..2024: runs of consecutive years shortened."""
    runs: list[list[int]] = []
    for year in sorted(years):
        if runs and year == runs[-1][-1] + 1:
            runs[-1].append(year)
        else:
            runs.append([year])
    return ", ".join(str(r[0]) if len(r) == 1 else f"{r[0]}..{r[-1]}" for r in runs)


def print_summary(report: dict[str, Any]) -> None:
    checks = f"{report['checks_passed']} checks passed, {len(report['checks_failed'])} failed"
    if report.get("changed_datasets"):
        checks += " (the checks of what did not change are the published release's, carried over in _quality)"
    for dataset, loaded in (report.get("inputs_loaded") or {}).items():
        for line in loaded.get("not_loaded", []):
            print(f"not loaded: {dataset}/{line}")
    if not report["published"]:
        problems = report.get("failures") or []
        if not problems:
            print(f"NOT PUBLISHED: {report['reason']}")
        else:
            print(f"NOT PUBLISHED: {len(problems)} problem(s):")
            for problem in problems:
                print(f"  {problem['what']}: {problem['message']}")
        print(checks)
        print(f"the previous release (if any) is still published at {report['published_path']}")
        print(f"every failing value and row: {report.get('report_path', 'the run report')}")
        return
    release = report["release"]
    if report.get("unchanged"):
        print(f"no new release: the content is identical to release {release.get('release_id')}, still published "
              f"at {report['published_path']}")
    else:
        print(f"published: {report['published_path']}")
    print(f"release {release.get('release_id')} ({release.get('data_origin')}): {release.get('communes')} communes, "
          f"years {release.get('years')}, {release.get('indicators')} indicators")
    editions = release.get("index_editions")
    if editions is not None:
        listed = "; ".join(f"{scope} {_years_text(years)}" for scope, years in editions.items()) or "none"
        print(f"index editions: {listed} (why the others are missing: table index_editions)")
    if "fund_years" in release:
        missing = release.get("fund_years_not_computed") or []
        note = f"; not computed for {_years_text(missing)} (why: table fund_editions)" if missing else ""
        print(f"fund computed for {_years_text(release['fund_years']) or 'no year'}{note}")
    if release.get("eligible_by_year"):
        print("eligible communes by year: " + ", ".join(f"{y}: {n}" for y, n in release["eligible_by_year"].items()))
    site = report.get("site") or {}
    if site.get("unchanged"):
        print(f"site: {site.get('path')} (unchanged, `cohesion serve` to browse it)")
    elif site:
        print(
            f"site: {site.get('pages')} pages, {site.get('size_mb')} MB, built in {site.get('build_seconds')} s "
            f"(slowest page {site.get('slowest_page_seconds')} s): {site.get('path')} (`cohesion serve` to browse it)"
        )
    print(checks)
