"""Eligibility for the local cohesion fund per commune of its scope and computed year (METHOD.md
section 4): gate A (recent international arrivals against a national/regional reference), gate B
(index rank among gate-A communes), each gate's band factor, the probability of eligibility over
both gates (the index's uncertainty draws, Poisson noise on gate A's counts), the spread of the
commune's amount over the same draws, and the reason in words with the distance to each
threshold. Only the years fund_editions_calc computes. Grain: commune x year."""

from kernels import warehouse


def model(dbt, session):
    dbt.config(materialized="table")
    rules = warehouse.fund_rules()
    indicators = dbt.ref("indicators_commune_indicators").df()
    communes = dbt.ref("stg_reference__communes").df()
    population = dbt.ref("index_inputs").df()
    plan = dbt.ref("fund_editions_calc").df()
    years = [int(y) for y in plan.loc[plan["computed"].astype(bool), "year"]]
    index_scope = warehouse.fund_index_scope(rules, warehouse.methodology())
    draws = warehouse.draws_result(indicators, communes, population, scope=index_scope) if years else None
    index = warehouse.fund_index(dbt.ref("index_cohesion").df(), dbt.ref("index_regional").df(), index_scope)
    frame = warehouse.fund_eligibility(indicators, communes, index, draws, rules, years=years, population=population)
    return frame.assign(rules_version=rules.version)
