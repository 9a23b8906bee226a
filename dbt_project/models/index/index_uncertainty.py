"""Rank uncertainty per commune and year from seeded Monte Carlo draws over the method's
uncertain choices (METHOD.md section 3.8): nominal, median, 5th and 95th percentile ranks.
Grain: commune x year."""

from kernels import warehouse


def model(dbt, session):
    dbt.config(materialized="table")
    draws = warehouse.draws_result(
        dbt.ref("indicators_commune_indicators").df(), dbt.ref("stg_reference__communes").df(), dbt.ref("index_inputs").df()
    )
    return draws.ranks.assign(methodology_version=warehouse.methodology().version)
