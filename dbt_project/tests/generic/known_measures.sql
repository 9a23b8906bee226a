{#- Every measure of the dataset is listed in seeds/measures.csv for that dataset (its additivity
    decides how it is harmonised). Returns each unknown measure with its row count. -#}
{% test known_measures(model, dataset) %}
select measure, count(*) as rows_with_measure
from {{ model }}
where measure not in (
    select measure from {{ ref('measures') }} where dataset = '{{ dataset }}'
)
group by measure
{% endtest %}
