{#- Staging of one raw canonical table (DESIGN.md "Canonical frames"): typed columns, the year
    and quarter read from the period, and one file per period and measure.

    Why one file per period and measure: a later vintage of a panel restates earlier years, the
    annual and the quarterly workbooks give different periods, and two files must never be mixed
    within one period and measure, because their commune maps can differ and harmonisation sums
    the parts of one map. The newest vintage wins: vintages are 'YYYY' or 'YYYY-MM-DD'
    (ingestion/catalog.yml), so their text order is their time order. Two files of the same
    vintage are ordered by file id, only so that the choice is deterministic. -#}
{% macro stage_canonical(source_relation) -%}
with source_rows as (

    select * from {{ source_relation }}

),

ranked as (

    select
        source_rows.*,
        dense_rank() over (
            partition by period, measure
            order by vintage desc, file_id desc
        ) as file_rank
    from source_rows

)

select
    cast(dataset as {{ dbt.type_string() }}) as dataset,
    cast(nis_code as {{ dbt.type_string() }}) as nis_code,
    cast(map_vintage as {{ dbt.type_int() }}) as map_vintage,
    cast(period as {{ dbt.type_string() }}) as period,
    cast(substring(period, 1, 4) as {{ dbt.type_int() }}) as year,
    case
        when {{ dbt.length('period') }} = 6
            then cast(substring(period, 6, 1) as {{ dbt.type_int() }})
    end as quarter,
    cast(measure as {{ dbt.type_string() }}) as measure,
    cast(value as {{ type_double() }}) as value,
    cast(unit as {{ dbt.type_string() }}) as unit,
    cast(status as {{ dbt.type_string() }}) as status,
    cast(file_id as {{ dbt.type_string() }}) as file_id,
    cast(vintage as {{ dbt.type_string() }}) as vintage,
    cast(source_file as {{ dbt.type_string() }}) as source_file,
    cast(file_sha256 as {{ dbt.type_string() }}) as file_sha256
from ranked
where file_rank = 1
{%- endmacro %}
