"""Run the pipeline in this process, as `cohesion run`, the benchmark and the end-to-end tests do:
prepare dbt's manifest, then materialise every asset and run every check through Dagster."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from ingestion.errors import CohesionError
from ingestion.settings import DBT_PROJECT_DIR, paths


def _set_environment() -> None:
    data = paths()
    data.data.mkdir(parents=True, exist_ok=True)
    os.environ["COHESION_WAREHOUSE"] = str(data.warehouse)


PARSE_STAMP = DBT_PROJECT_DIR / "target" / "cohesion-parse.sha256"


def prepare_dbt() -> Path:
    """Build the dbt manifest the Dagster definitions read (`dbt parse`), unless the manifest on
    disk was parsed from this very dbt project (its files and the dbt version): then it is used."""
    _set_environment()
    from publish.fingerprint import dbt_project_fingerprint

    manifest = DBT_PROJECT_DIR / "target" / "manifest.json"
    stamp = dbt_project_fingerprint(DBT_PROJECT_DIR)
    if manifest.exists() and PARSE_STAMP.exists() and PARSE_STAMP.read_text(encoding="utf-8") == stamp:
        return manifest
    from orchestration import dbt_runner

    # Parsed with the profile the pipeline's dbt sees (the database by its file name), so that
    # the parse serves every data folder's runs.
    result = dbt_runner.parse(DBT_PROJECT_DIR, DBT_PROJECT_DIR, paths().warehouse.name, write=True)
    if not result.success:
        raise CohesionError(f"dbt parse failed: {result.exception or 'see the dbt log above'}")
    dbt_runner.remember_parse(DBT_PROJECT_DIR, result.result)
    PARSE_STAMP.write_text(stamp, encoding="utf-8")
    return manifest


# On a run that rebuilds only what depends on some datasets: which ones (comma-separated).
CHANGED_DATASETS_TAG = "cohesion/changed_datasets"


def changed_selection(defs, datasets: tuple[str, ...]) -> list:
    """The raw assets of ``datasets`` and the archive's manifest, and every asset downstream of
    them (dbt models from those sources down, the publish assets): what a change to them touches."""
    import dagster as dg

    keys = [dg.AssetKey(["raw", d]) for d in datasets] + [dg.AssetKey(["raw", "source_files"])]
    return sorted(dg.AssetSelection.assets(*keys).downstream().resolve(defs.resolve_asset_graph()))


def _arrow_returns_what_it_frees() -> None:
    """Arrow's default allocator (mimalloc) keeps the memory a step freed for later allocations:
    a run's steps each read and drop frames of a few hundred MB, and the process kept every
    step's high mark (about 150 MB more at the peak of a sample run). The system allocator gives
    it back."""
    import pyarrow

    pyarrow.set_memory_pool(pyarrow.system_memory_pool())


def execute_pipeline(
    years: tuple[str, str] | None = None,
    changed_datasets: tuple[str, ...] = (),
    selection: Sequence[Sequence[str]] | None = None,
):
    """Materialise every asset and run every check in process; returns the Dagster result. The
    yearly datasets load ``years`` (first, last), by default every archived year. With
    ``changed_datasets``, only what depends on them runs (the rest of the working database is
    the published release's). ``selection`` (asset keys as path lists, e.g.
    ``[["raw", "statbel_population"]]``) runs only those assets and their checks, in the same job
    with the same tags: for a test whose run is refused there."""
    if selection is not None and changed_datasets:
        raise ValueError("execute_pipeline takes changed_datasets or a selection, not both")
    _set_environment()
    _arrow_returns_what_it_frees()
    import dagster as dg

    from orchestration.defs.schedules import REFRESH_JOB
    from orchestration.definitions import defs
    from orchestration.step_memory import frozen_for_the_run

    home = os.environ.get("DAGSTER_HOME")
    if home:
        Path(home).mkdir(parents=True, exist_ok=True)  # Dagster refuses a home that does not exist
    instance = dg.DagsterInstance.get() if home else dg.DagsterInstance.ephemeral()
    job = defs.resolve_job_def(REFRESH_JOB)
    # Dagster's DEBUG events are in the run's event log and the run report; the terminal gets
    # what a person reads (COHESION_LOG_LEVEL=DEBUG brings them back).
    level = os.environ.get("COHESION_LOG_LEVEL", "INFO").upper()
    run_config = {"loggers": {"console": {"config": {"log_level": level}}}}
    from orchestration.partitions import range_tags, tags_for_archived_years

    # The yearly datasets over every archived year (or the years asked for), in this one run.
    tags = range_tags(*years) if years else tags_for_archived_years()
    assets = [dg.AssetKey(list(key)) for key in selection] if selection is not None else None
    if changed_datasets:
        tags = {**tags, CHANGED_DATASETS_TAG: ",".join(changed_datasets)}
        assets = changed_selection(defs, changed_datasets)
    with frozen_for_the_run():
        result = job.execute_in_process(
            instance=instance, raise_on_error=False, run_config=run_config, tags=tags, asset_selection=assets
        )
    return result, instance
