-- Each reviewed plausibility exception (stg_reference__plausibility_exceptions) with the staged
-- value it covers, on the 565-commune map: the commune that value is harmonised into, through the
-- same map as the harmonised datasets (harmonised_commune_map, the map of the value's file), so
-- that a pre-2019 or pre-2025 code reaches its commune today (a merged commune's value is part of
-- its target's sum). Grain: one row per exception x staged value it covers.
--
-- An exception covers a staged value: its code, measure and period, and its raw dataset when it
-- names one. So an exception flags nothing when
--   - it is a national or regional total (BE, BE-VLG, BE-WAL, BE-BRU): staging holds commune rows
--     only, and a total is no commune's value (the raw check accepted it; that is all it does);
--   - its value is not staged: another file won that period and measure (macros/
--     stage_canonical.sql; the raw checks read every file, so such an exception is legitimate
--     and no test here may refuse it), or the code, measure or period is not in the data.
-- `dataset` is the harmonised dataset (seeds measures and indicator_inputs); `raw_dataset` the
-- raw table the value came from (statbel_population_totals is staged with statbel_population).

with exceptions as (

    select * from {{ ref('stg_reference__plausibility_exceptions') }}

),

staged as (

    {%- for dataset in ['statbel_population', 'statbel_income', 'statbel_real_estate', 'arrivals', 'employment', 'schools'] %}
    select
        cast('{{ dataset }}' as {{ dbt.type_string() }}) as harmonised_dataset,
        dataset,
        nis_code,
        map_vintage,
        period,
        year,
        quarter,
        measure
    from {{ ref('stg_raw__' ~ dataset) }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

commune_map as (

    select from_map, from_nis, to_nis, change
    from {{ ref('harmonised_commune_map') }}

)

select
    commune_map.to_nis as nis_code,
    staged.year,
    staged.quarter,
    staged.period,
    staged.harmonised_dataset as dataset,
    staged.dataset as raw_dataset,
    staged.measure,
    staged.nis_code as from_nis,
    staged.map_vintage as from_map,
    commune_map.change,
    exceptions.reason,
    exceptions.reviewed_by,
    exceptions.reviewed_on
from exceptions
inner join staged
    on staged.nis_code = exceptions.nis_code
    and staged.period = exceptions.period
    and staged.measure = exceptions.measure
    and (exceptions.dataset is null or staged.dataset = exceptions.dataset)
inner join commune_map
    on commune_map.from_map = staged.map_vintage
    and commune_map.from_nis = staged.nis_code
