-- The indicator values that used a value the data team reviewed and accepted as true
-- (harmonised_plausibility_exceptions): through seeds/indicator_inputs.csv, each excepted input
-- (dataset, measure, year on the 565 map) goes to every commune-year-indicator whose formula read
-- it: the same year, and the later years of a sum or change over years (an exception on 2023
-- immigrations reaches arrivals_per_1000_3y of 2023, 2024 and 2025). indicators_commune_indicators
-- adds the flag reviewed_outlier to those of its rows that have a value, and for the indicators
-- with two sources only where the value came from this one (`used_when`).
--
-- A quarter's exception (2024Q3) is taken for its year: the annual value counts the same sales
-- as its quarters. A national or regional total flags nothing here (no commune row; see
-- harmonised_plausibility_exceptions). Grain: one row per commune x year x indicator x excepted
-- input (dataset, measure, period, former code).

with exceptions as (

    select * from {{ ref('harmonised_plausibility_exceptions') }}

),

inputs as (

    select indicator, dataset, measure, year_offset, year_rule, used_when
    from {{ ref('indicator_inputs') }}

),

income_year_for as (

    -- The income year price_to_income_houses divides by in each real-estate year, by the same rule
    -- and from the same income years as indicators_housing: the same year, else the latest
    -- earlier one within var('max_input_lag_years').
    {{ stand_in_year(
        "select distinct year from " ~ ref('harmonised_statbel_real_estate') ~ " where quarter is null",
        "select distinct year from " ~ ref('indicators_income') ~ " where indicator = 'mean_income_per_declaration' and value is not null"
    ) }}

),

by_offset as (

    select
        exceptions.nis_code,
        exceptions.year + inputs.year_offset as year,
        inputs.indicator,
        inputs.used_when,
        exceptions.dataset,
        exceptions.measure,
        exceptions.period,
        exceptions.from_nis
    from exceptions
    inner join inputs
        on inputs.dataset = exceptions.dataset
        and inputs.measure = exceptions.measure
    where inputs.year_rule = 'offset'

),

by_income_year as (

    select
        exceptions.nis_code,
        income_year_for.year,
        inputs.indicator,
        inputs.used_when,
        exceptions.dataset,
        exceptions.measure,
        exceptions.period,
        exceptions.from_nis
    from exceptions
    inner join inputs
        on inputs.dataset = exceptions.dataset
        and inputs.measure = exceptions.measure
    inner join income_year_for
        on income_year_for.stand_in_year = exceptions.year
    where inputs.year_rule = 'income_stand_in'

),

affected as (

    select * from by_offset
    union
    select * from by_income_year

)

select
    nis_code,
    cast(year as {{ dbt.type_int() }}) as year,
    cast(indicator as {{ dbt.type_string() }}) as indicator,
    cast(used_when as {{ dbt.type_string() }}) as used_when,
    dataset,
    measure,
    period,
    from_nis
from affected
