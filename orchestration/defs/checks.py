"""Blocking checks on the raw tables: a failure stops every asset downstream in the run."""


import dagster as dg
from dagster_duckdb import DuckDBResource

from ingestion.load import RAW_DATASETS
from orchestration.warehouse import read_table


def _raw_contract_check(dataset: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey(["raw", dataset]),
        name="raw_contract",
        blocking=True,
        description=(
            f"Great Expectations suite for `{dataset}`: columns, NIS codes valid for the declared map, "
            "complete commune coverage, unique keys, ranges, suppressed cells NULL."
        ),
    )
    def _check(duckdb: DuckDBResource) -> dg.AssetCheckResult:
        from expectations.validate import validate_frame  # GX takes seconds to import

        with duckdb.get_connection() as con:
            frame = read_table(con, "raw", dataset)
        summary = validate_frame(dataset, frame)
        return dg.AssetCheckResult(
            passed=summary.success,
            severity=dg.AssetCheckSeverity.ERROR,
            description=summary.message(),
            metadata={"summary": summary.message(), **summary.as_metadata()},
        )

    return _check


raw_contract_checks = [_raw_contract_check(d) for d in RAW_DATASETS]


def _previous_rows(instance: dg.DagsterInstance, key: dg.AssetKey) -> int | None:
    """Rows of the load before this run's (the latest materialization is this run's own)."""
    records = instance.fetch_materializations(key, limit=2).records
    if len(records) < 2:
        return None
    rows = records[1].asset_materialization.metadata.get("rows")
    return int(rows.value) if rows is not None else None


def _size_change_check(dataset: str) -> dg.AssetChecksDefinition:
    key = dg.AssetKey(["raw", dataset])

    @dg.asset_check(
        asset=key,
        name="size_change",
        blocking=True,
        description=f"`{dataset}` has not lost more than 15 % of its rows since the previous load.",
    )
    def _check(context: dg.AssetCheckExecutionContext, duckdb: DuckDBResource) -> dg.AssetCheckResult:
        from expectations.size_change import size_change

        with duckdb.get_connection() as con:
            rows = con.execute(f'select count(*) from raw."{dataset}"').fetchall()[0][0]
        result = size_change(dataset, rows, _previous_rows(context.instance, key))
        return dg.AssetCheckResult(passed=result.passed, description=result.message(), metadata={"summary": result.message()})

    return _check


size_change_checks = [_size_change_check(d) for d in RAW_DATASETS]


@dg.asset_check(asset=dg.AssetKey(["raw", "communes"]), name="commune_reference", blocking=True)
def commune_reference(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    """Exactly the 565 communes of the 2025 map, unique codes, every one with an arrondissement."""
    with duckdb.get_connection() as con:
        rows, distinct, no_arrondissement = con.execute(
            "select count(*), count(distinct nis_code), count(*) filter (where arrondissement_code is null) "
            "from raw.communes"
        ).fetchall()[0]
    passed = rows == distinct == 565 and no_arrondissement == 0
    message = f"{rows} rows, {distinct} distinct codes, {no_arrondissement} without arrondissement (expected 565, 565, 0)"
    return dg.AssetCheckResult(passed=passed, description=message, metadata={"summary": message})
