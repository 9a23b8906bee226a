{#- Forward aggregation neither creates nor loses people, euros or sales: for each period and
    additive measure whose harmonised values are all present, their total equals the staged total.
    Returns the periods and measures whose totals differ. -#}
{% test totals_preserved(model, staging_model) %}
with harmonised as (
    select period, measure, sum(value) as harmonised_total
    from {{ model }}
    where additive
    group by period, measure
    having count(value) = count(*)
),

staged as (
    select period, measure, sum(value) as staged_total
    from {{ ref(staging_model) }}
    group by period, measure
)

select harmonised.period, harmonised.measure, staged.staged_total, harmonised.harmonised_total
from harmonised
inner join staged
    on staged.period = harmonised.period
    and staged.measure = harmonised.measure
where abs(harmonised.harmonised_total - staged.staged_total)
    > 1e-9 * (abs(staged.staged_total) + 1)
{% endtest %}
