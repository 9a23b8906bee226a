-- Demography of needs (METHOD.md section 2): the young and the old relative to the population
-- and to the working-age residents.

with inputs as (

    {{ pivot_measures(ref('harmonised_statbel_population'), [
        'population_total', 'population_age_00_02', 'population_age_03_05', 'population_age_06_11',
        'population_age_12_17', 'population_age_18_24', 'population_age_25_64', 'population_age_65_plus'
    ]) }}

)

{{ ratio_indicator('share_age_0_2', ['population_age_00_02'], ['population_total']) }}
union all
{{ ratio_indicator('share_age_3_17', ['population_age_03_05', 'population_age_06_11', 'population_age_12_17'], ['population_total']) }}
union all
{{ ratio_indicator('dependency_ratio',
    ['population_age_00_02', 'population_age_03_05', 'population_age_06_11', 'population_age_12_17', 'population_age_65_plus'],
    ['population_age_18_24', 'population_age_25_64']) }}
