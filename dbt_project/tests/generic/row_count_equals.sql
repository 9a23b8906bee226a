{#- The model has exactly `expected` rows; or, with `group_by`, `expected` lists [group value, row
    count] pairs (a list, not a mapping: dbt's parse cache only takes text keys). Returns the
    groups whose count differs. -#}
{% test row_count_equals(model, expected, group_by=none) %}
{%- if group_by is none %}
select actual_rows, {{ expected }} as expected_rows
from (select count(*) as actual_rows from {{ model }}) as counted
where actual_rows <> {{ expected }}
{%- else %}
with expected_counts as (
    {%- for key, rows in expected %}
    select {{ key }} as group_value, {{ rows }} as expected_rows
    {%- if not loop.last %} union all{% endif %}
    {%- endfor %}
),

actual_counts as (
    select {{ group_by }} as group_value, count(*) as actual_rows
    from {{ model }}
    group by {{ group_by }}
)

select
    coalesce(expected_counts.group_value, actual_counts.group_value) as group_value,
    expected_counts.expected_rows,
    actual_counts.actual_rows
from expected_counts
full outer join actual_counts on actual_counts.group_value = expected_counts.group_value
where expected_counts.expected_rows is null
    or actual_counts.actual_rows is null
    or expected_counts.expected_rows <> actual_counts.actual_rows
{%- endif %}
{% endtest %}
