"""Blocking checks on the raw tables: a failure stops every asset downstream in the run."""


import dagster as dg
from dagster_duckdb import DuckDBResource

from ingestion.load import RAW_DATASETS
from orchestration.partitions import partitions_for, run_years
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
        if frame.empty:
            # Nothing archived for this dataset (real files cover what they cover): nothing to
            # validate, and nothing invented downstream; index_editions and fund_editions say
            # what its absence leaves out.
            message = f"dataset {dataset}: no file archived, nothing loaded; its indicators are reported missing"
            return dg.AssetCheckResult(
                passed=True, severity=dg.AssetCheckSeverity.ERROR, description=message, metadata={"summary": message}
            )
        summary = validate_frame(dataset, frame)
        return dg.AssetCheckResult(
            passed=summary.success,
            severity=dg.AssetCheckSeverity.ERROR,
            description=summary.message(),
            metadata={"summary": summary.message(), **summary.as_metadata()},
        )

    return _check


raw_contract_checks = [_raw_contract_check(d) for d in RAW_DATASETS]


def _previous_rows_by_year(instance: dg.DagsterInstance, key: dg.AssetKey, run_id: str) -> dict[str, int]:
    """Per year, the rows of the latest load before this run that held that year (a partitioned
    dataset's years may each have been loaded by a different run)."""
    previous: dict[str, int] = {}
    for record in instance.fetch_materializations(key, limit=_HISTORY).records:  # newest first
        if record.run_id == run_id:
            continue
        entry = record.asset_materialization.metadata.get("rows_by_year")
        for year, rows in (entry.value if entry is not None else {}).items():
            previous.setdefault(str(year), int(rows))
    return previous


# Materializations looked back through: a range run records one per partition.
_HISTORY = 200


def _size_change_check(dataset: str) -> dg.AssetChecksDefinition:
    key = dg.AssetKey(["raw", dataset])
    partitioned = partitions_for(dataset) is not None

    @dg.asset_check(
        asset=key,
        name="size_change",
        blocking=True,
        description=f"No year of `{dataset}` lost more than 15 % of its rows since its previous load.",
    )
    def _check(context: dg.AssetCheckExecutionContext, duckdb: DuckDBResource) -> dg.AssetCheckResult:
        from expectations.size_change import yearly_size_change

        with duckdb.get_connection() as con:
            counts = con.execute(
                f'select substr(period, 1, 4), count(*) from raw."{dataset}" group by 1 order by 1'
            ).fetchall()
        rows = {str(year): int(n) for year, n in counts}
        years = run_years(context.run.tags) if partitioned else None
        previous = _previous_rows_by_year(context.instance, key, context.run.run_id)
        result = yearly_size_change(dataset, rows, previous, years=years)
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
