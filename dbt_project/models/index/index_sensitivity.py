"""Sensitivity of the ranks to each uncertain choice: the mean absolute rank shift when that
choice alone takes another option (METHOD.md section 3.8). Grain: year x choice x option."""

from cohesion_kernels import warehouse


def model(dbt, session):
    dbt.config(materialized="table")
    draws = warehouse.draws_result(
        dbt.ref("indicators_commune_indicators").df(), dbt.ref("stg_reference__communes").df(), dbt.ref("index_inputs").df()
    )
    return draws.sensitivity.assign(methodology_version=warehouse.methodology().version)
