"""The fund's transition rules and allocation run over the computed years: who is entering,
staying, leaving (with the exit guarantee) or out, and each commune's formula grant, guarantee and
payment in euro cents; every year's payments add up to its budget exactly. Grain: commune x year."""

from kernels import warehouse


def model(dbt, session):
    dbt.config(materialized="table")
    rules = warehouse.fund_rules()
    index_scope = warehouse.fund_index_scope(rules, warehouse.methodology())
    index = warehouse.fund_index(dbt.ref("index_cohesion").df(), dbt.ref("index_regional").df(), index_scope)
    frame = warehouse.fund_years(dbt.ref("fund_eligibility_calc").df(), index, dbt.ref("index_inputs").df(), rules)
    return frame.assign(rules_version=rules.version)
