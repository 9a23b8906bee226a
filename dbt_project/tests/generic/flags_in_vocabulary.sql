{#- Every comma-separated token of the column is a flag of seeds/flag_definitions.csv, with at
    most `max_flags` tokens ('' means no flag). Returns each offending list with the bad token. -#}
{% test flags_in_vocabulary(model, column_name, max_flags=4) %}
with listed as (
    select
        {{ column_name }} as flags,
        {{ dbt.length(column_name) }}
            - {{ dbt.length(dbt.replace(column_name, "','", "''")) }} + 1 as flag_count
    from {{ model }}
    where {{ column_name }} <> ''
),

tokens as (
    {%- for position in range(1, max_flags + 1) %}
    select flags, {{ dbt.split_part('flags', "','", position) }} as flag
    from listed
    where flag_count >= {{ position }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
)

select flags, flag as unknown_flag
from tokens
where flag not in (select flag from {{ ref('flag_definitions') }})
union all
select flags, 'more than {{ max_flags }} flags' as unknown_flag
from listed
where flag_count > {{ max_flags }}
{% endtest %}
