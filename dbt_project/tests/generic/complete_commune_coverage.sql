{#- Every commune of the 565 map has exactly one row in each group (for example each year and
    indicator). Returns the groups with a missing or a duplicated commune. -#}
{% test complete_commune_coverage(model, group_by) %}
with communes as (
    select count(*) as expected_communes from {{ ref('stg_reference__communes') }}
),

per_group as (
    select
        {{ group_by | join(', ') }},
        count(*) as rows_in_group,
        count(distinct nis_code) as communes_in_group
    from {{ model }}
    group by {{ group_by | join(', ') }}
)

select per_group.*, communes.expected_communes
from per_group
cross join communes
where per_group.rows_in_group <> communes.expected_communes
    or per_group.communes_in_group <> communes.expected_communes
{% endtest %}
