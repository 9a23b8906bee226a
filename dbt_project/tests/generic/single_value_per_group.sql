{#- Within each group, each of `columns` takes one value only (for example one file, one vintage
    and one commune map per period and measure). Returns the groups that mix values. -#}
{% test single_value_per_group(model, group_by, columns) %}
select
    {{ group_by | join(', ') }},
    {%- for column in columns %}
    count(distinct {{ column }}) as distinct_{{ column }}{% if not loop.last %},{% endif %}
    {%- endfor %}
from {{ model }}
group by {{ group_by | join(', ') }}
having {% for column in columns %}count(distinct {{ column }}) > 1{% if not loop.last %} or {% endif %}{% endfor %}
{% endtest %}
