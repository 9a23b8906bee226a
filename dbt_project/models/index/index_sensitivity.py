"""Sensitivity of the ranks, one choice at a time (METHOD.md section 3.11): each domain and each
indicator left out, and each method choice set to each of its other options, everything else
nominal; the mean and largest absolute rank shift. Grain: year x analysis x choice x option."""

from kernels import warehouse


def model(dbt, session):
    dbt.config(materialized="table")
    result = warehouse.sensitivity_result(
        dbt.ref("indicators_commune_indicators").df(), dbt.ref("stg_reference__communes").df(), dbt.ref("index_inputs").df(),
        sobol=False,
    )
    return result.one_at_a_time.assign(methodology_version=warehouse.methodology().version)
