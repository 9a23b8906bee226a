{#- Staging of the raw canonical tables of one dataset, given as a list of relations (a dataset
    may be fed by several raw tables of the same layout; DESIGN.md "Canonical frames"): typed columns, the year and quarter read from the period, and
    one file per period and measure.

    Why one file per period and measure: a later vintage of a panel restates earlier years, the
    annual and the quarterly workbooks give different periods, and two files must never be mixed
    within one period and measure, because their commune maps can differ and harmonisation sums
    the parts of one map. The file covering most communes wins (a Flemish export never shadows a
    national file), then the newest vintage: vintages are 'YYYY' or 'YYYY-MM-DD'
    (ingestion/catalog.yml), so their text order is their time order. Two files of the same
    vintage are ordered by file id, only so that the choice is deterministic.

    `cohesion parse FILE --harmonise` runs this file too, outside dbt (ingestion/dbt_sql.py
    renders it with jinja2): call only ref, source, dbt.type_string, dbt.type_int, dbt.length and
    type_double here, or teach ingestion/dbt_sql.py the new call (its tests say so when missing). -#}
{% macro stage_canonical(source_relations) -%}
with source_rows as not materialized (

    {% for relation in source_relations -%}
    select * from {{ relation }}
    {% if not loop.last %}union all
    {% endif -%}
    {%- endfor %}

),

file_coverage as (

    select period, measure, file_id, vintage, count(distinct nis_code) as file_communes
    from source_rows
    group by period, measure, file_id, vintage

),

chosen_files as (

    -- A regional export (Flanders only) must not shadow a national file for the same measure:
    -- the file covering more communes wins, then the newest vintage. Ranked among the files,
    -- not among the rows: a window over every row carried each row's columns through a sort
    -- (about 180 MB for the 325,000 real-estate rows of the sample).
    select period, measure, file_id, vintage
    from (
        select
            period,
            measure,
            file_id,
            vintage,
            row_number() over (
                partition by period, measure
                order by file_communes desc, vintage desc, file_id desc
            ) as file_rank
        from file_coverage
    ) as ranked_files
    where file_rank = 1

),

ranked as (

    select source_rows.*
    from source_rows
    join chosen_files
        on chosen_files.period = source_rows.period
        and chosen_files.measure = source_rows.measure
        and chosen_files.file_id = source_rows.file_id
        and chosen_files.vintage = source_rows.vintage

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
{%- endmacro %}
