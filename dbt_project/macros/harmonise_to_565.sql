{#- One staged dataset onto the 565-commune map; the rules are in the docs block
    `harmonised_dataset` (models/docs.md) and DESIGN.md "Geography".

    Every (period, measure) of the dataset comes from one file on one map (staging). Its spine is
    that map's communes, each with its 565 target, so a commune absent from the file counts as a
    missing part instead of silently shrinking a sum.

    `cohesion parse FILE --harmonise` runs this file too, outside dbt (ingestion/dbt_sql.py
    renders it with jinja2): call only ref, source, dbt.type_string, dbt.type_int, dbt.length and
    type_double here, or teach ingestion/dbt_sql.py the new call (its tests say so when missing). -#}
{% macro harmonise_to_565(staging_model, dataset) -%}
with staged as not materialized (

    -- Read where it is used, not materialised once (DuckDB keeps a CTE used twice whole in memory:
    -- about 100 MB for the real-estate rows).
    select * from {{ ref(staging_model) }}

),

measures as (

    select measure, additive from {{ ref('measures') }}
    where dataset = '{{ dataset }}'

),

commune_map as (

    select from_map, from_nis, to_nis, sources_in_target, change
    from {{ ref('harmonised_commune_map') }}

),

slices as (

    -- One row per period and measure: the file it comes from and that file's map. Its number
    -- stands for all of these below: grouping 325,000 real-estate parts by ten text columns
    -- took about 140 MB more than grouping them by (commune, number).
    select
        row_number() over () as slice_id,
        period,
        year,
        quarter,
        measure,
        unit,
        source_map,
        file_id,
        vintage,
        source_file
    from (
        select period, year, quarter, measure, unit, map_vintage as source_map, file_id, vintage, source_file
        from staged
        group by period, year, quarter, measure, unit, map_vintage, file_id, vintage, source_file
    ) as distinct_slices

),

staged_parts as (

    -- Each staged row tagged with its slice: the join below then matches a number and a commune
    -- code, and holds only those, the value and the status rank, instead of the staged text columns.
    select
        slices.slice_id,
        staged.nis_code,
        staged.value,
        case
            when staged.status = 'suppressed' then 6
            when staged.status = 'missing' then 5
            when staged.status = 'no_value' then 4
            when staged.status = 'not_applicable' then 3
            when staged.status = 'estimated' then 2
            when staged.status = 'imputed' then 1
            else 0
        end as status_rank
    from staged
    inner join slices
        on slices.period = staged.period
        and slices.measure = staged.measure

),

parts as not materialized (

    -- Read by both branches below: materialised, it held a row for every part (687,000 for the
    -- real-estate rows) while the branches ran.

    select
        slices.slice_id,
        commune_map.to_nis,
        commune_map.sources_in_target,
        commune_map.change,
        staged_parts.nis_code as found_nis,
        staged_parts.value,
        -- Worst status first: a hidden part hides the sum; a missing part makes it missing.
        coalesce(staged_parts.status_rank, 5) as status_rank
    from slices
    inner join commune_map
        on commune_map.from_map = slices.source_map
    left join staged_parts
        on staged_parts.slice_id = slices.slice_id
        and staged_parts.nis_code = commune_map.from_nis

),

sums as (

    -- A target with one part is that part, as it comes, not aggregated: grouping the real files'
    -- real-estate parts by target kept a hash table of all 687,000 of them (about 100 MB), and
    -- under the dbt profile's memory limit twice those rows ran out of memory (they pass without
    -- it). One row per target and slice: a source commune has one target on its map
    -- (harmonised_commune_map's tests), and a slice one staged row per commune (staging's).
    select
        to_nis as nis_code,
        slice_id,
        cast(1 as bigint) as sources_expected,
        cast(found_nis is not null as bigint) as sources_found,
        cast(value is not null as bigint) as parts_valued,
        value as value_sum,
        status_rank,
        change
    from parts
    where sources_in_target = 1

    union all

    {#- A merged target's parts are summed in code order: a parallel aggregate adds parts in
        whatever order its threads meet them, and fractional values (income in euros) then differ
        in the last bit. The ordered sum keeps every group's values apart to sort them, so it is
        kept to the few merged targets. #}
    select
        to_nis as nis_code,
        slice_id,
        count(*) as sources_expected,
        count(found_nis) as sources_found,
        count(value) as parts_valued,
        sum(value order by found_nis) as value_sum,
        max(status_rank) as status_rank,
        max(change) as change
    from parts
    where sources_in_target > 1
    group by to_nis, slice_id

),

aggregated as (

    select
        sums.nis_code,
        slices.period,
        slices.year,
        slices.quarter,
        slices.measure,
        slices.unit,
        slices.source_map,
        slices.file_id,
        slices.vintage,
        slices.source_file,
        sums.sources_expected,
        sums.sources_found,
        sums.parts_valued,
        sums.value_sum,
        sums.status_rank,
        sums.change
    from sums
    inner join slices on slices.slice_id = sums.slice_id

),

combined as (

    select
        aggregated.*,
        coalesce(measures.additive, false) as additive,
        not coalesce(measures.additive, false) and aggregated.sources_expected > 1 as merged_not_additive
    from aggregated
    left join measures on measures.measure = aggregated.measure

)

select
    nis_code,
    period,
    year,
    quarter,
    measure,
    case
        when merged_not_additive then null
        -- Never a partial sum: every part must be there and valued.
        when parts_valued < sources_expected then null
        else value_sum
    end as value,
    unit,
    case
        when merged_not_additive then 'no_value'
        when status_rank = 6 then 'suppressed'
        when status_rank = 5 then 'missing'
        when status_rank = 4 then 'no_value'
        when status_rank = 3 then 'not_applicable'
        when status_rank = 2 then 'estimated'
        when status_rank = 1 then 'imputed'
        else 'published'
    end as status,
    case
        when merged_not_additive then 'merged_not_additive'
        when sources_expected > 1 then 'merged_sum'
        when change = 'renumbered' then 'renumbered'
        else ''
    end as flags,
    additive,
    source_map,
    cast(sources_expected as {{ dbt.type_int() }}) as sources_expected,
    cast(sources_found as {{ dbt.type_int() }}) as sources_found,
    cast('{{ dataset }}' as {{ dbt.type_string() }}) as dataset,
    file_id,
    vintage,
    source_file
from combined
{%- endmacro %}
