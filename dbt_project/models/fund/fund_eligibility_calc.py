"""Eligibility for the local cohesion fund per commune and year (METHOD.md section 4): gate A
(recent international arrivals against a national/regional reference), gate B (index rank among
gate-A communes), the probability of eligibility over the index's uncertainty draws, and the
reason in words with the distance to each threshold. Grain: commune x year."""

from cohesion_kernels import warehouse


def model(dbt, session):
    dbt.config(materialized="table")
    rules = warehouse.fund_rules()
    indicators = dbt.ref("indicators_commune_indicators").df()
    communes = dbt.ref("stg_reference__communes").df()
    draws = warehouse.draws_result(indicators, communes, dbt.ref("index_inputs").df())
    index = dbt.ref("index_cohesion").df()
    frame = warehouse.fund_eligibility(indicators, communes, index, draws, rules)
    return frame.assign(rules_version=rules.version)
