{#- Every commune code belongs to the map its row declares (`map_vintage`). Returns each unknown
    code with its map and row count: such a row would be lost by harmonisation. -#}
{% test codes_in_commune_map(model, column_name, map_column='map_vintage') %}
select
    staged.{{ column_name }} as nis_code,
    staged.{{ map_column }} as declared_map,
    count(*) as rows_with_code
from {{ model }} as staged
left join {{ ref('harmonised_commune_map') }} as commune_map
    on commune_map.from_map = staged.{{ map_column }}
    and commune_map.from_nis = staged.{{ column_name }}
where commune_map.from_nis is null
group by staged.{{ column_name }}, staged.{{ map_column }}
{% endtest %}
