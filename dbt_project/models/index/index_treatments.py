"""Every value changed by imputation, smoothing or outlier treatment, with before and after. Grain: one row per treated value."""

from kernels import warehouse


def model(dbt, session):
    dbt.config(materialized="table")
    result = warehouse.index_result(
        dbt.ref("indicators_commune_indicators").df(), dbt.ref("stg_reference__communes").df(), dbt.ref("index_inputs").df()
    )
    return result.treatments.assign(methodology_version=result.methodology_version)
