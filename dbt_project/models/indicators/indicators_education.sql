-- Education domain (METHOD.md section 2): pupils counted by commune of residence. The language
-- support share is recomputed from pupil counts where they exist; elsewhere the published share
-- of primary pupils who do not speak the language of instruction at home stands in (flag
-- published_rate; the Flemish home-language statistics, by place of residence).

with inputs as (

    {{ pivot_measures(ref('harmonised_schools'), [
        'pupils', 'pupils_delayed', 'pupils_language_support', 'early_leavers', 'population_18_24',
        'share_home_language_other_primary'
    ]) }}

)

{{ ratio_indicator('school_delay_rate', ['pupils_delayed'], ['pupils'], scale=100) }}
union all
{{ ratio_indicator('early_leavers_rate', ['early_leavers'], ['population_18_24'], scale=100) }}
union all
{{ counts_or_published_rate('language_support_share', 'pupils_language_support', 'pupils',
    'share_home_language_other_primary') }}
