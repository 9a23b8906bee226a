"""First-order and total Sobol indices of the method's uncertain choices and weights, per edition
year (METHOD.md section 3.11; COINr's get_sensitivity, type "SA"). Grain: year x choice."""

from kernels import warehouse


def model(dbt, session):
    dbt.config(materialized="table")
    result = warehouse.sensitivity_result(
        dbt.ref("indicators_commune_indicators").df(), dbt.ref("stg_reference__communes").df(), dbt.ref("index_inputs").df(),
        one_at_a_time=False,
    )
    return result.sobol.assign(methodology_version=warehouse.methodology().version)
