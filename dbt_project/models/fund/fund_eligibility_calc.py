"""Eligibility for the local cohesion fund per commune of its scope and computed year (METHOD.md
section 4): gate A (recent international arrivals against a national/regional reference), gate B
(index rank among gate-A communes), the probability of eligibility over the index's uncertainty
draws, and the reason in words with the distance to each threshold. Only the years of
fund_editions_calc where the fund can be computed. Grain: commune x year."""

from cohesion_kernels import warehouse


def model(dbt, session):
    dbt.config(materialized="table")
    rules = warehouse.fund_rules()
    indicators = dbt.ref("indicators_commune_indicators").df()
    communes = dbt.ref("stg_reference__communes").df()
    population = dbt.ref("index_inputs").df()
    national, regional = dbt.ref("index_cohesion").df(), dbt.ref("index_regional").df()
    plan, index_scope = warehouse.fund_plan(indicators, communes, national, regional, rules, warehouse.methodology())
    years = [int(y) for y in plan.loc[plan["computed"], "year"]]
    draws = warehouse.draws_result(indicators, communes, population, scope=index_scope) if years else None
    index = warehouse.fund_index(national, regional, index_scope)
    frame = warehouse.fund_eligibility(indicators, communes, index, draws, rules, years=years)
    return frame.assign(rules_version=rules.version)
