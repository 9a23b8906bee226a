{#- Rows in and out of harmonisation: per period and measure, the staged rows equal the source
    communes the harmonised rows found. Returns the periods and measures that lost or gained rows. -#}
{% test harmonised_accounts_for_staging(model, staging_model) %}
with harmonised as (
    select period, measure, sum(sources_found) as rows_found
    from {{ model }}
    group by period, measure
),

staged as (
    select period, measure, count(*) as rows_staged
    from {{ ref(staging_model) }}
    group by period, measure
)

select
    coalesce(harmonised.period, staged.period) as period,
    coalesce(harmonised.measure, staged.measure) as measure,
    staged.rows_staged,
    harmonised.rows_found
from harmonised
full outer join staged
    on staged.period = harmonised.period
    and staged.measure = harmonised.measure
where coalesce(staged.rows_staged, 0) <> coalesce(harmonised.rows_found, 0)
{% endtest %}
