"""Domain scores and ranks per commune and year (exponentially transformed, 0-100). Grain: commune x year x domain."""

from kernels import warehouse


def model(dbt, session):
    dbt.config(materialized="table")
    result = warehouse.index_result(
        dbt.ref("indicators_commune_indicators").df(), dbt.ref("stg_reference__communes").df(), dbt.ref("index_inputs").df()
    )
    return result.domains.assign(methodology_version=result.methodology_version)
