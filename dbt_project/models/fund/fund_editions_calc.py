"""Which years the fund is computed for, and why the others are not (METHOD.md 4, "Scope"):
gate A must be computable for every commune of the rules' scope (arrivals or, where allowed, the
proxy) and the index must have an edition that year. Grain: year (of the fund's scope)."""

from kernels import warehouse


def model(dbt, session):
    dbt.config(materialized="table")
    rules = warehouse.fund_rules()
    plan, _ = warehouse.fund_plan(
        dbt.ref("indicators_commune_indicators").df(),
        dbt.ref("stg_reference__communes").df(),
        dbt.ref("index_cohesion").df(),
        dbt.ref("index_regional").df(),
        rules,
        warehouse.methodology(),
    )
    return plan.assign(rules_version=rules.version)
