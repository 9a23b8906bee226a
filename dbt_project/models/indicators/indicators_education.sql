-- Education domain (METHOD.md section 2): pupils counted by commune of residence.

with inputs as (

    {{ pivot_measures(ref('harmonised_schools'), [
        'pupils', 'pupils_delayed', 'pupils_language_support', 'early_leavers', 'population_18_24'
    ]) }}

)

{{ ratio_indicator('school_delay_rate', ['pupils_delayed'], ['pupils'], scale=100) }}
union all
{{ ratio_indicator('early_leavers_rate', ['early_leavers'], ['population_18_24'], scale=100) }}
union all
{{ ratio_indicator('language_support_share', ['pupils_language_support'], ['pupils']) }}
