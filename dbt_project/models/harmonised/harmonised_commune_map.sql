-- Every commune of the three maps with its commune on the 565 map, derived from the 565 list and
-- the two official crosswalks (seeds), the single record of the mergers:
--   581 codes = 565 codes - 2025 targets + 2025 sources,
--   589 codes = 581 codes - 2019 targets + 2019 sources.
-- A commune never maps backwards (DESIGN.md "Geography: one map, forward only").

with communes_565 as (

    select nis_code from {{ ref('stg_reference__communes') }}

),

step_2025 as (

    select from_nis, to_nis from {{ ref('crosswalk_2024_2025') }}

),

step_2019 as (

    select from_nis, to_nis from {{ ref('crosswalk_2018_2019') }}

),

codes_581 as (

    select nis_code from communes_565
    where nis_code not in (select to_nis from step_2025)
    union
    select from_nis as nis_code from step_2025

),

codes_589 as (

    select nis_code from codes_581
    where nis_code not in (select to_nis from step_2019)
    union
    select from_nis as nis_code from step_2019

),

from_581 as (

    select
        codes_581.nis_code as from_nis,
        coalesce(step_2025.to_nis, codes_581.nis_code) as to_nis
    from codes_581
    left join step_2025 on step_2025.from_nis = codes_581.nis_code

),

from_589 as (

    -- Two steps: 2019 first, then the 581 code onwards to 2025.
    select
        codes_589.nis_code as from_nis,
        from_581.to_nis
    from codes_589
    left join step_2019 on step_2019.from_nis = codes_589.nis_code
    inner join from_581 on from_581.from_nis = coalesce(step_2019.to_nis, codes_589.nis_code)

),

all_maps as (

    select 565 as from_map, nis_code as from_nis, nis_code as to_nis from communes_565
    union all
    select 581 as from_map, from_nis, to_nis from from_581
    union all
    select 589 as from_map, from_nis, to_nis from from_589

),

counted as (

    select
        from_map,
        from_nis,
        to_nis,
        count(*) over (partition by from_map, to_nis) as sources_in_target
    from all_maps

)

select
    cast(from_map as {{ dbt.type_int() }}) as from_map,
    from_nis,
    to_nis,
    cast(sources_in_target as {{ dbt.type_int() }}) as sources_in_target,
    case
        when sources_in_target > 1 then 'merged'
        when from_nis <> to_nis then 'renumbered'
        else 'unchanged'
    end as change
from counted
