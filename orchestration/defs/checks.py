"""Blocking checks on the raw tables: a failure stops every asset downstream in the run."""

from collections.abc import Iterator

import dagster as dg
from dagster_duckdb import DuckDBResource

from ingestion.load import RAW_DATASETS
from publish.baseline import published_load
from ingestion.settings import paths
from orchestration.warehouse import read_raw_table


def _raw_checks(dataset: str) -> dg.AssetChecksDefinition:
    """The three blocking checks of one raw table in one step: the table is read once for the
    contract and the plausibility rules, and the published load once for size and plausibility."""
    key = dg.AssetKey(["raw", dataset])

    @dg.multi_asset_check(
        name=f"raw_{dataset}_checks",
        specs=[
            dg.AssetCheckSpec(
                "raw_contract", asset=key, blocking=True,
                description=(
                    f"Great Expectations suite for `{dataset}`: columns, NIS codes valid for the declared map, "
                    "complete commune coverage, unique keys, ranges, suppressed cells NULL."
                ),
            ),
            dg.AssetCheckSpec(
                "size_change", asset=key, blocking=True,
                description=(
                    f"No year of `{dataset}` lost more than size_change.max_drop (config/plausibility.yml, 15 %) of "
                    "its rows against the published load (the raw tables of the release published now; never a "
                    "failed run's)."
                ),
            ),
            dg.AssetCheckSpec(
                "plausibility", asset=key, blocking=True,
                description=(
                    f"Plausibility of `{dataset}` (config/plausibility.yml): each commune against the year before and "
                    "against the published load, national and regional totals against the year before, bounds on "
                    "money and rates; reviewed outliers (config/plausibility_exceptions.yml) are accepted."
                ),
            ),
        ],
    )
    def _checks(duckdb: DuckDBResource) -> Iterator[dg.AssetCheckResult]:
        with duckdb.get_connection() as con:
            frame = read_raw_table(con, "raw", dataset)
        published = published_load(paths())
        yield _contract_result(key, dataset, frame)
        yield _size_change_result(key, dataset, frame, published)
        yield _plausibility_result(key, dataset, frame, published)

    return _checks


def _contract_result(key: dg.AssetKey, dataset: str, frame) -> dg.AssetCheckResult:
    from expectations.validate import validate_frame  # GX takes seconds to import

    if frame.empty:
        # Nothing archived for this dataset (real files cover what they cover): nothing to
        # validate, and nothing invented downstream; index_editions and fund_editions say
        # what its absence leaves out.
        message = f"dataset {dataset}: no file archived, nothing loaded; its indicators are reported missing"
        return dg.AssetCheckResult(
            asset_key=key, check_name="raw_contract", passed=True, severity=dg.AssetCheckSeverity.ERROR,
            description=message, metadata={"summary": message},
        )
    summary = validate_frame(dataset, frame)
    return dg.AssetCheckResult(
        asset_key=key, check_name="raw_contract", passed=summary.success, severity=dg.AssetCheckSeverity.ERROR,
        description=summary.message(), metadata={"summary": summary.message(), **summary.as_metadata()},
    )


def _size_change_result(key: dg.AssetKey, dataset: str, frame, published) -> dg.AssetCheckResult:
    from expectations.plausibility_config import load_rules
    from expectations.size_change import yearly_size_change

    years = frame["period"].str.slice(0, 4).value_counts() if len(frame) else {}
    rows = {str(year): int(n) for year, n in sorted(dict(years).items())}
    previous = published.rows_by_year(dataset) if published is not None else {}
    # Every year now or published: a year the published release had and this load lacks counts
    # as a drop to 0 rows (whichever years this run reloaded, the table is what dbt reads).
    result = yearly_size_change(
        dataset, rows, previous, max_drop=load_rules().size_change_max_drop,
        against=published.label if published is not None else None,
    )
    return dg.AssetCheckResult(
        asset_key=key, check_name="size_change", passed=result.passed, severity=dg.AssetCheckSeverity.ERROR,
        description=result.message(), metadata={"summary": result.message()},
    )


def _plausibility_result(key: dg.AssetKey, dataset: str, frame, published) -> dg.AssetCheckResult:
    from expectations.plausibility import BASELINE_COLUMNS, check_plausibility
    from expectations.plausibility_config import load_exceptions, load_rules

    result = check_plausibility(
        dataset,
        frame,
        load_rules(),
        baseline=published.frame(dataset, columns=BASELINE_COLUMNS) if published is not None else None,
        baseline_label=published.label if published is not None else None,
        exceptions=load_exceptions(),
    )
    return dg.AssetCheckResult(
        asset_key=key, check_name="plausibility", passed=result.passed, severity=dg.AssetCheckSeverity.ERROR,
        description=result.message(), metadata={"summary": result.message(), **result.as_metadata()},
    )


raw_checks = [_raw_checks(d) for d in RAW_DATASETS]


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
