"""Which reference period of each indicator enters each edition of the index, per scope (the
nation, and each regional supplement of config/methodology.yml), and why the others are left out
(METHOD.md 3.1). Every candidate year gets its rows, published as an edition or not.
Grain: edition year x scope x indicator."""

from kernels import warehouse


def model(dbt, session):
    dbt.config(materialized="table")
    m = warehouse.methodology()
    plan = warehouse.edition_plan(
        dbt.ref("indicators_commune_indicators").df(), dbt.ref("stg_reference__communes").df(), m
    )
    return plan.plan.assign(base_year=m.base_year, methodology_version=m.version)
