"""Each indicator's raw, smoothed, treated and normalised value with flags, as the index used it. Grain: commune x year x indicator."""

from kernels import warehouse


def model(dbt, session):
    dbt.config(materialized="table")
    result = warehouse.index_result(
        dbt.ref("indicators_commune_indicators").df(), dbt.ref("stg_reference__communes").df(), dbt.ref("index_inputs").df()
    )
    return result.indicator_values.assign(methodology_version=result.methodology_version)
