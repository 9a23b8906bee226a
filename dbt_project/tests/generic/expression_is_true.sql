{#- Every row satisfies the SQL expression. Returns the rows that do not. -#}
{% test expression_is_true(model, expression) %}
select * from {{ model }}
where not ({{ expression }})
{% endtest %}
