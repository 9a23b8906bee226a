"""Contribution of each domain and indicator to the score; a commune-year's contributions add up to its score. Grain: commune x year x indicator."""

from kernels import warehouse


def model(dbt, session):
    dbt.config(materialized="table")
    result = warehouse.index_result(
        dbt.ref("indicators_commune_indicators").df(), dbt.ref("stg_reference__communes").df(), dbt.ref("index_inputs").df()
    )
    return result.contributions.assign(methodology_version=result.methodology_version)
