"""Contribution of each domain and indicator to the score; a commune-year's contributions add up to its score. Grain: commune x year x indicator."""

from cohesion_kernels import warehouse


def model(dbt, session):
    dbt.config(materialized="table")
    m = warehouse.methodology()
    inputs = warehouse.index_inputs(
        dbt.ref("indicators_commune_indicators").df(), dbt.ref("stg_reference__communes").df(), dbt.ref("index_inputs").df(), m
    )
    result = warehouse.run_index(inputs, m)
    return result.contributions.assign(methodology_version=result.methodology_version)
