"""Blocking checks on the raw tables: a failure stops every asset downstream in the run."""


import dagster as dg
from dagster_duckdb import DuckDBResource

from ingestion.load import RAW_DATASETS
from orchestration.baseline import published_load
from orchestration.settings import paths
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


def _size_change_check(dataset: str) -> dg.AssetChecksDefinition:
    key = dg.AssetKey(["raw", dataset])

    @dg.asset_check(
        asset=key,
        name="size_change",
        blocking=True,
        description=(
            f"No year of `{dataset}` lost more than size_change.max_drop (config/plausibility.yml, 15 %) of its "
            "rows against the published load (the raw tables of the release published now; never a failed run's)."
        ),
    )
    def _check(duckdb: DuckDBResource) -> dg.AssetCheckResult:
        from expectations.plausibility_config import load_rules
        from expectations.size_change import yearly_size_change

        with duckdb.get_connection() as con:
            counts = con.execute(
                f'select substr(period, 1, 4), count(*) from raw."{dataset}" group by 1 order by 1'
            ).fetchall()
        rows = {str(year): int(n) for year, n in counts}
        published = published_load(paths())
        previous = published.rows_by_year(dataset) if published is not None else {}
        # Every year now or published: a year the published release had and this load lacks counts
        # as a drop to 0 rows (whichever years this run reloaded, the table is what dbt reads).
        result = yearly_size_change(
            dataset, rows, previous, max_drop=load_rules().size_change_max_drop,
            against=published.label if published is not None else None,
        )
        return dg.AssetCheckResult(passed=result.passed, description=result.message(), metadata={"summary": result.message()})

    return _check


size_change_checks = [_size_change_check(d) for d in RAW_DATASETS]


def _plausibility_check(dataset: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey(["raw", dataset]),
        name="plausibility",
        blocking=True,
        description=(
            f"Plausibility of `{dataset}` (config/plausibility.yml): each commune against the year before and "
            "against the published load, national and regional totals against the year before, bounds on "
            "money and rates; reviewed outliers (config/plausibility_exceptions.yml) are accepted."
        ),
    )
    def _check(duckdb: DuckDBResource) -> dg.AssetCheckResult:
        from expectations.plausibility import check_plausibility
        from expectations.plausibility_config import load_exceptions, load_rules

        with duckdb.get_connection() as con:
            frame = read_table(con, "raw", dataset)
        published = published_load(paths())
        result = check_plausibility(
            dataset,
            frame,
            load_rules(),
            baseline=published.frame(dataset) if published is not None else None,
            baseline_label=published.label if published is not None else None,
            exceptions=load_exceptions(),
        )
        return dg.AssetCheckResult(
            passed=result.passed,
            severity=dg.AssetCheckSeverity.ERROR,
            description=result.message(),
            metadata={"summary": result.message(), **result.as_metadata()},
        )

    return _check


plausibility_checks = [_plausibility_check(d) for d in RAW_DATASETS]


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
