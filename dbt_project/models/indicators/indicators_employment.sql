-- Employment domain (METHOD.md section 2). The unemployment rate is recomputed from jobseekers
-- and the active population where both counts exist; elsewhere ONEM/RVA's published rate is
-- taken as published (flag published_rate, no numerator or denominator). A published rate is
-- not additive, so merged communes have it only from counts.

with inputs as (

    {{ pivot_measures(ref('harmonised_employment'), [
        'jobseekers', 'active_population', 'unemployment_rate',
        'jobseekers_under_25', 'active_population_under_25',
        'employed_20_64', 'population_20_64'
    ]) }}

),

unemployment as (

    select
        nis_code,
        cast(year as {{ dbt.type_int() }}) as year,
        cast('unemployment_rate' as {{ dbt.type_string() }}) as indicator,
        cast(case when counts_usable then 100 * jobseekers / active_population else unemployment_rate end
            as {{ type_double() }}) as value,
        cast(case when counts_usable then jobseekers end as {{ type_double() }}) as numerator,
        cast(case when counts_usable then active_population end as {{ type_double() }}) as denominator,
        case
            when counts_usable or unemployment_rate is not null then null
            -- Neither: why the counts are unusable when the dataset has them, else why the rate is.
            when jobseekers__present = 1
                then {{ why_null(['jobseekers', 'active_population'], [('active_population = 0', 'zero_denominator')]) }}
            else {{ why_null(['unemployment_rate']) }}
        end as why_null,
        case
            when counts_usable then {{ input_quality(['jobseekers', 'active_population']) }}
            else {{ input_quality(['unemployment_rate']) }}
        end as input_quality,
        case when not counts_usable and unemployment_rate is not null then 'published_rate' end as published_rate,
        case when counts_usable then jobseekers__vintage else unemployment_rate__vintage end as source_vintage
    from (
        select
            inputs.*,
            jobseekers is not null and active_population is not null and active_population <> 0
                as counts_usable
        from inputs
        where jobseekers__present = 1 or unemployment_rate__present = 1
    ) as with_counts

)

select
    nis_code,
    year,
    indicator,
    value,
    numerator,
    denominator,
    {{ flag_list(['why_null', 'case when value is not null then input_quality end', 'published_rate']) }} as flags,
    source_vintage
from unemployment

union all
{{ ratio_indicator('youth_unemployment_rate', ['jobseekers_under_25'], ['active_population_under_25'], scale=100) }}
union all
{{ ratio_indicator('employment_rate_20_64', ['employed_20_64'], ['population_20_64'], scale=100) }}
