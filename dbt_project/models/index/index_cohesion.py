"""Cohesion index per commune and year (METHOD.md section 3): score 0-100, rank (1 = most need),
fixed-goalpost score, and why a commune has no score. Grain: commune x year."""

from kernels import warehouse


def model(dbt, session):
    dbt.config(materialized="table")
    result = warehouse.index_result(
        dbt.ref("indicators_commune_indicators").df(), dbt.ref("stg_reference__communes").df(), dbt.ref("index_inputs").df()
    )
    return result.index.assign(methodology_version=result.methodology_version)
