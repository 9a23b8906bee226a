-- The needs drivers that share each budget line among communes (config/fund_rules.yml
-- `budget_lines`): children 3-17 (schools), children 0-2 (creches), residents (sport and
-- culture), unemployed jobseekers (continuing training; the latest year within the input lag).
-- Missing counts count as 0 need.
-- Grain: commune x year.
with population as (

    select
        nis_code,
        year,
        sum(case when measure = 'population_total' then value end) as population,
        sum(case when measure = 'population_age_00_02' then value end) as children_0_2,
        sum(case when measure in ('population_age_03_05', 'population_age_06_11', 'population_age_12_17') then value end)
            as children_3_17
    from {{ ref('harmonised_statbel_population') }}
    where quarter is null
    group by nis_code, year

),

jobseekers as (

    select nis_code, year, max(value) as unemployed_adults
    from {{ ref('harmonised_employment') }}
    where measure = 'jobseekers' and quarter is null
    group by nis_code, year

),

jobseeker_year_for as (

    -- Jobseeker counts are published about a year later than the population: a year without
    -- them uses the latest earlier year within the input lag.
    {{ stand_in_year('select distinct year from population', 'select distinct year from jobseekers where unemployed_adults is not null') }}

)

select
    population.nis_code,
    population.year,
    coalesce(population.children_3_17, 0) as children_3_17,
    coalesce(population.children_0_2, 0) as children_0_2,
    coalesce(population.population, 0) as population,
    coalesce(jobseekers.unemployed_adults, 0) as unemployed_adults,
    jobseeker_year_for.stand_in_year as unemployed_adults_year
from population
left join jobseeker_year_for on jobseeker_year_for.year = population.year
left join jobseekers
    on jobseekers.nis_code = population.nis_code
    and jobseekers.year = jobseeker_year_for.stand_in_year
