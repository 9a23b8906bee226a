"""The publish asset: runs last, only when every blocking check of the run passed."""


import dagster as dg
from dagster_duckdb import DuckDBResource

import pandas as pd

from ingestion.load import RAW_DATASETS
from orchestration.baseline import commit_baseline, discard_baseline, stage_baseline
from orchestration.publishing import QUALITY_COLUMNS, published_model_names, publish_from_warehouse
from orchestration.settings import paths

PUBLISHED_MODEL_KEYS = [dg.AssetKey(["published", name]) for name in published_model_names()]


def quality_rows_from_run(instance: dg.DagsterInstance, run_id: str) -> pd.DataFrame:
    """Every check evaluated in this run (Great Expectations suites and dbt tests) and its result."""
    rows = []
    for record in instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION):
        evaluation = record.dagster_event.event_specific_data
        summary = evaluation.metadata.get("summary") or evaluation.description or ""
        rows.append(
            {
                "check_name": evaluation.check_name,
                "asset": evaluation.asset_key.to_user_string(),
                "passed": bool(evaluation.passed),
                "severity": evaluation.severity.value if evaluation.severity else "ERROR",
                "summary": getattr(summary, "value", summary) or ("passed" if evaluation.passed else "failed"),
            }
        )
    return pd.DataFrame(rows, columns=list(QUALITY_COLUMNS)).astype({"passed": bool})


@dg.asset(
    key=["published", "release"],
    group_name="published",
    deps=[*PUBLISHED_MODEL_KEYS, dg.AssetKey(["raw", "source_files"])],
    kinds={"duckdb"},
)
def release(context: dg.AssetExecutionContext, duckdb: DuckDBResource) -> dg.MaterializeResult:
    """A new release under data/releases/<release_id>/ (published models and metadata only),
    verified, then atomically made data/published/cohesion.duckdb."""
    quality = quality_rows_from_run(context.instance, context.run_id)
    failed = quality[~quality["passed"]]
    if len(failed):
        raise dg.Failure(
            description=f"{len(failed)} check(s) failed in this run; nothing published: "
            + "; ".join(failed["check_name"] + " on " + failed["asset"]),
        )
    # The raw tables this release is made from: the baseline of the next run's checks, kept only
    # if the release is published (never a failed run's load).
    with duckdb.get_connection() as con:
        staged = stage_baseline(con, paths().baselines, RAW_DATASETS)
    try:
        outcome = publish_from_warehouse(paths(), quality)
    except BaseException:
        discard_baseline(staged)
        raise
    published = outcome.release
    if not outcome.new:
        # Same content as the published release: it stays, and so does its baseline.
        discard_baseline(staged)
        context.log.info(f"no new release: the content is identical to release {published.release_id}, still published")
        return dg.MaterializeResult(
            metadata={"release_id": published.release_id, "unchanged": True, "path": str(paths().published)}
        )
    commit_baseline(staged, published.release_id)
    context.log.info(f"published release {published.release_id} to {paths().published}")
    return dg.MaterializeResult(
        metadata={
            "release_id": published.release_id,
            "unchanged": False,
            "path": str(paths().published),
            "sha256": published.sha256,
            "data_origin": published.info.data_origin,
            **{f"rows_{t}": n for t, n in published.tables.items()},
        }
    )
