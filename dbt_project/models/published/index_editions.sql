-- One row per candidate edition year and scope (the nation `BE`, or a regional supplement): is
-- there an index for that year, which domains and indicators it uses with their reference
-- periods, what was left out and why, and how many communes it scores (METHOD.md 3.1).
with plan as (

    select * from {{ source('index', 'index_editions_plan') }}

),

scope_sizes as (

    select 'BE' as scope, count(*) as communes_in_scope from {{ ref('stg_reference__communes') }}
    union all
    select
        case region_code when '02000' then 'BE-VLG' when '03000' then 'BE-WAL' when '04000' then 'BE-BRU' end as scope,
        count(*) as communes_in_scope
    from {{ ref('stg_reference__communes') }}
    group by region_code

),

scored as (

    select year, 'BE' as scope, count(score) as communes_scored from {{ source('index', 'index_cohesion') }} group by year
    union all
    select year, scope, count(score) as communes_scored from {{ source('index', 'index_regional') }} group by year, scope

),

editions as (

    select
        year,
        scope,
        bool_or(edition_published) as published,
        max(domains_used) as domains_used,
        max(weight_share) as weight_share,
        count(case when used then 1 end) as indicators_used,
        string_agg(case when used then indicator || ' (' || cast(reference_period as {{ dbt.type_string() }}) || ')' end, ', '
            order by position) as indicators,
        string_agg(case when not used then indicator || ': ' || reason end, '; ' order by position) as left_out,
        max(edition_reason) as reason,
        max(base_year) as base_year,
        max(methodology_version) as methodology_version
    from plan
    group by year, scope

),

with_goalposts as (

    -- Fixed goalposts exist in a scope only when its base-year edition does (METHOD.md 3.8).
    select
        editions.*,
        max(case when published and year = base_year then base_year end) over (partition by scope)
            as goalposts_year
    from editions

)

select
    cast(editions.year as integer) as year,
    cast(editions.scope as varchar) as scope,
    cast(editions.published as boolean) as published,
    cast(nullif(editions.domains_used, '') as varchar) as domains_used,
    cast(editions.weight_share as double) as weight_share,
    cast(editions.indicators_used as integer) as indicators_used,
    cast(editions.indicators as varchar) as indicators,
    cast(editions.left_out as varchar) as left_out,
    cast(nullif(editions.reason, '') as varchar) as reason,
    cast(scope_sizes.communes_in_scope as integer) as communes_in_scope,
    cast(case when editions.published then coalesce(scored.communes_scored, 0) else 0 end as integer) as communes_scored,
    cast(case when editions.published then editions.goalposts_year end as integer) as fixed_goalposts_base_year,
    cast(editions.methodology_version as varchar) as methodology_version
from with_goalposts as editions
left join scope_sizes on scope_sizes.scope = editions.scope
left join scored on scored.year = editions.year and scored.scope = editions.scope
