-- Every indicator of every domain, with its definition (seeds/indicator_definitions.csv): the
-- long table the index reads and published.commune_indicators copies under its contract.

with indicator_rows as (

    select * from {{ ref('indicators_income') }}
    union all
    select * from {{ ref('indicators_employment') }}
    union all
    select * from {{ ref('indicators_education') }}
    union all
    select * from {{ ref('indicators_housing') }}
    union all
    select * from {{ ref('indicators_arrivals_diversity') }}
    union all
    select * from {{ ref('indicators_arrivals_proxy') }}
    union all
    select * from {{ ref('indicators_demography_needs') }}

),

definitions as (

    select indicator, domain, unit, direction, source_dataset
    from {{ ref('indicator_definitions') }}

),

indicator_years as (

    -- The years of the population file: every indicator needs residents as a denominator or as
    -- the frame of its commune-year, so earlier years of other files (arrivals of 2017 feeding
    -- the 3-year sum of 2019) are inputs, not indicator years of their own.
    select distinct year from {{ ref('harmonised_statbel_population') }} where quarter is null

)

select
    indicator_rows.nis_code,
    indicator_rows.year,
    indicator_rows.indicator,
    definitions.domain,
    indicator_rows.value,
    indicator_rows.numerator,
    indicator_rows.denominator,
    definitions.unit,
    definitions.direction,
    definitions.source_dataset,
    indicator_rows.source_vintage,
    indicator_rows.flags
from indicator_rows
left join definitions on definitions.indicator = indicator_rows.indicator
where indicator_rows.year in (select year from indicator_years)
