"""Each commune's yearly payment split into the fund's budget lines (schools, creches, sport and
culture, continuing training) by its needs profile and the national line shares, exact to the
cent per commune and per line. Grain: commune x year x budget line."""

from kernels import warehouse


def model(dbt, session):
    dbt.config(materialized="table")
    rules = warehouse.fund_rules()
    frame = warehouse.fund_lines(dbt.ref("fund_years").df(), dbt.ref("fund_needs_profile").df(), rules)
    return frame.assign(rules_version=rules.version)
