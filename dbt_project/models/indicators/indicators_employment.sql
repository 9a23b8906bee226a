-- Employment domain (METHOD.md section 2). Each rate is recomputed from jobseekers and the
-- active population where both counts exist; elsewhere the publisher's rate is taken as
-- published (flag published_rate, no numerator or denominator): ONEM/RVA's unemployment rate,
-- VDAB's jobseeker rates in Flanders (18-24 year-olds for the youth rate). A published rate is
-- not additive, so merged communes have it only from counts.

with inputs as (

    {{ pivot_measures(ref('harmonised_employment'), [
        'jobseekers', 'active_population', 'unemployment_rate',
        'jobseekers_under_25', 'active_population_under_25', 'unemployment_rate_18_24',
        'employed_20_64', 'population_20_64'
    ]) }}

)

{{ counts_or_published_rate('unemployment_rate', 'jobseekers', 'active_population', 'unemployment_rate', scale=100) }}
union all
{{ counts_or_published_rate('youth_unemployment_rate', 'jobseekers_under_25', 'active_population_under_25',
    'unemployment_rate_18_24', scale=100) }}
union all
{{ ratio_indicator('employment_rate_20_64', ['employed_20_64'], ['population_20_64'], scale=100) }}
