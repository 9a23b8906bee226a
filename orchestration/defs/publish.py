"""The publish assets, run last and only when every blocking check of the run passed:
``published/release_files`` files the release (pending), ``published/site`` builds its site into
the release folder, and ``published/release`` publishes the two together: the published file
and the published site always belong to the same release."""


import dagster as dg
from dagster_duckdb import DuckDBResource

import pandas as pd

from ingestion.errors import PublishError
from ingestion.load import RAW_DATASETS
from publish.baseline import commit_baseline, discard_baseline, stage_baseline
from orchestration.runner import CHANGED_DATASETS_TAG
from publish.publishing import QUALITY_COLUMNS, carried_quality, file_release_from_warehouse, published_model_names
from publish.fingerprint import package_code_version
from publish.release import load_release, publish
from ingestion.settings import paths
from publish.site.build import SITE_DIR, build_site

# The code that files, builds and publishes a release.
PUBLISH_CODE_VERSION = package_code_version("publish")
PUBLISHED_MODEL_KEYS = [dg.AssetKey(["published", name]) for name in published_model_names()]
RELEASE_FILES_KEY = dg.AssetKey(["published", "release_files"])
SITE_KEY = dg.AssetKey(["published", "site"])


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


def _release_of_this_run(context: dg.AssetExecutionContext) -> tuple[str, bool]:
    """The release ``published/release_files`` filed in this very run (never an older one), and
    whether it is new (False: the content equals the published release's, which stays)."""
    event = context.instance.get_latest_materialization_event(RELEASE_FILES_KEY)
    if event is None or event.run_id != context.run_id:
        raise PublishError("no release was filed in this run: nothing to build or publish")
    metadata = event.asset_materialization.metadata
    return str(metadata["release_id"].value), not bool(metadata["unchanged"].value)


@dg.asset(
    key=RELEASE_FILES_KEY,
    group_name="published",
    deps=[*PUBLISHED_MODEL_KEYS, dg.AssetKey(["raw", "source_files"])],
    kinds={"duckdb"},
    code_version=PUBLISH_CODE_VERSION,
)
def release_files(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    """A new release under data/releases/<release_id>/ (published models and metadata only, and
    their exports), verified and filed pending: published by published/release once its site is
    built."""
    quality = quality_rows_from_run(context.instance, context.run_id)
    if context.run.tags.get(CHANGED_DATASETS_TAG):
        # Only what depends on the changed datasets ran: the other checks' results are the
        # published release's, said as such.
        quality = pd.concat([quality, carried_quality(paths().published, quality)], ignore_index=True)
    failed = quality[~quality["passed"]]
    if len(failed):
        raise dg.Failure(
            description=f"{len(failed)} check(s) failed in this run; nothing published: "
            + "; ".join(failed["check_name"] + " on " + failed["asset"]),
        )
    outcome = file_release_from_warehouse(paths(), quality)
    filed = outcome.release
    if not outcome.new:
        # Same content as the published release: it stays published, with its site.
        context.log.info(f"no new release: the content is identical to release {filed.release_id}, still published")
        return dg.MaterializeResult(metadata={"release_id": filed.release_id, "unchanged": True})
    context.log.info(f"filed release {filed.release_id} in {filed.directory}")
    return dg.MaterializeResult(
        metadata={
            "release_id": filed.release_id,
            "unchanged": False,
            "path": str(filed.directory),
            "sha256": filed.sha256,
            "data_origin": filed.info.data_origin,
            **{f"rows_{t}": n for t, n in filed.tables.items()},
        }
    )


@dg.asset(key=SITE_KEY, group_name="published", deps=[RELEASE_FILES_KEY], kinds={"html"}, code_version=PUBLISH_CODE_VERSION)
def site(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    """The release's site (maps, a page per commune, the method and sources, in French, Dutch and
    English), built from the filed release's file into data/releases/<release_id>/site/."""
    release_id, new = _release_of_this_run(context)
    directory = paths().releases / release_id
    if not new and (directory / SITE_DIR / "index.html").exists():
        # The published release stays, and its site with it (a release's site is built once).
        context.log.info(f"release {release_id} is still published, with its site")
        return dg.MaterializeResult(metadata={"path": str(directory / SITE_DIR / "index.html"), "unchanged": True})
    built = build_site(directory / "cohesion.duckdb", directory / SITE_DIR)
    context.log.info(built.summary())
    return dg.MaterializeResult(
        metadata={
            "path": str(built.directory / "index.html"),
            "pages": built.pages,
            "size_mb": built.megabytes,
            "build_seconds": round(built.seconds, 2),
            "slowest_page": built.slowest_page,
            "slowest_page_seconds": round(built.slowest_page_seconds, 3),
        }
    )


@dg.asset(
    key=["published", "release"], group_name="published", deps=[RELEASE_FILES_KEY, SITE_KEY], kinds={"duckdb"},
    code_version=PUBLISH_CODE_VERSION,
)
def release(context: dg.AssetExecutionContext, duckdb: DuckDBResource) -> dg.MaterializeResult:
    """The filed release, with its site, atomically made data/published/cohesion.duckdb."""
    release_id, new = _release_of_this_run(context)
    filed = load_release(paths().releases / release_id)
    if not (filed.directory / SITE_DIR / "index.html").exists():
        raise PublishError(f"release {filed.release_id} has no site; nothing published")
    if not new:
        context.log.info(f"no new release: the content is identical to release {release_id}, still published")
        return dg.MaterializeResult(metadata={"release_id": release_id, "unchanged": True, "path": str(paths().published)})
    # The raw tables this release is made from: the baseline of the next run's checks, kept only
    # if the release is published (never a failed run's load).
    with duckdb.get_connection() as con:
        staged = stage_baseline(con, paths().baselines, RAW_DATASETS)
    try:
        publish(filed, paths().published)
    except BaseException:
        discard_baseline(staged)
        raise
    commit_baseline(staged, filed.release_id)
    context.log.info(f"published release {filed.release_id} to {paths().published}")
    return dg.MaterializeResult(
        metadata={
            "release_id": filed.release_id,
            "unchanged": False,
            "path": str(paths().published),
            "sha256": filed.sha256,
            "data_origin": filed.info.data_origin,
            "site": str(filed.directory / SITE_DIR / "index.html"),
            **{f"rows_{t}": n for t, n in filed.tables.items()},
        }
    )
