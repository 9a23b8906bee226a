"""Share of communes observed per indicator and year, and whether the indicator was kept (65 % rule). Grain: year x indicator."""

from kernels import warehouse


def model(dbt, session):
    dbt.config(materialized="table")
    result = warehouse.index_result(
        dbt.ref("indicators_commune_indicators").df(), dbt.ref("stg_reference__communes").df(), dbt.ref("index_inputs").df()
    )
    return result.coverage.assign(methodology_version=result.methodology_version)
