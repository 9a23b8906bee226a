-- Housing domain (METHOD.md section 2), from the annual real-estate periods only (the quarterly
-- ones stay in harmonised_statbel_real_estate). Affordability divides the median house price by
-- the mean income per declaration of the same year; income is published about two years later,
-- so a year without income uses the latest earlier income year, flagged income_other_year, but
-- never one more than var('max_input_lag_years') years older: prices of 2024
-- divided by incomes of 2013 would say nothing about affordability.

with real_estate as (

    {{ pivot_measures(ref('harmonised_statbel_real_estate'), [
        'price_median_houses', 'sales_houses', 'sales_apartments'
    ]) }}

),

population as (

    {{ pivot_measures(ref('harmonised_statbel_population'), ['population_total']) }}

),

income as (

    select * from {{ ref('indicators_income') }}
    where indicator = 'mean_income_per_declaration'

),

income_year_for as (

    -- Per real-estate year, the income year to divide by: the same, else the latest earlier one.
    {{ stand_in_year('select distinct year from real_estate', 'select distinct year from income where value is not null') }}

),

inputs as (

    select
        real_estate.*,
        population.population_total,
        population.population_total__flag,
        case when income_year_for.stand_in_year <> real_estate.year then 'income_other_year' end
            as income_other_year,
        {{ indicator_as_input('mean_income_per_declaration', 'income') }}
    from real_estate
    left join population
        on population.nis_code = real_estate.nis_code
        and population.year = real_estate.year
    left join income_year_for
        on income_year_for.year = real_estate.year
    left join income
        on income.nis_code = real_estate.nis_code
        and income.year = income_year_for.stand_in_year

)

{{ ratio_indicator('price_to_income_houses', ['price_median_houses'], ['mean_income_per_declaration'],
    flag_columns=['income_other_year']) }}
union all
{{ ratio_indicator('sales_per_1000_inhabitants', ['sales_houses', 'sales_apartments'], ['population_total'], scale=1000) }}
