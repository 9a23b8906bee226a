{#- Every combination of `combination_of_columns` is a row of `to` (the same column names there):
    a composite `relationships`. Returns each combination that is not, with its count. -#}
{% test combination_exists_in(model, combination_of_columns, to) %}
select
    {{ combination_of_columns | join(', ') }},
    count(*) as rows_with_this_combination
from {{ model }} as child
where not exists (
    select 1
    from {{ to }} as parent
    where {% for c in combination_of_columns %}parent.{{ c }} = child.{{ c }}{% if not loop.last %} and {% endif %}{% endfor %}
)
group by {{ combination_of_columns | join(', ') }}
{% endtest %}
