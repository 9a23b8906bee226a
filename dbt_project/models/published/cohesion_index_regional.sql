-- The regional supplements: each region's communes ranked with the region's own indicators added
-- to the national ones (index_editions, scope <> 'BE'), beside their rank among the same
-- communes in the national index of that year, when there is one.
with regional as (

    select * from {{ source('index', 'index_regional') }}

),

national as (

    select
        index_cohesion.nis_code,
        index_cohesion.year,
        regional.scope,
        rank() over (partition by index_cohesion.year, regional.scope order by index_cohesion.score desc) as rank_in_national
    from {{ source('index', 'index_cohesion') }} as index_cohesion
    inner join regional
        on regional.nis_code = index_cohesion.nis_code
        and regional.year = index_cohesion.year
    where index_cohesion.score is not null

)

select
    cast(regional.nis_code as varchar) as nis_code,
    cast(regional.year as integer) as year,
    cast(regional.scope as varchar) as scope,
    cast(regional.score as double) as score,
    cast(regional.rank as integer) as rank,
    cast(national.rank_in_national as integer) as rank_in_national_index,
    cast(regional.score_fixed_goalposts as double) as score_fixed_goalposts,
    cast(regional.indicators_used as integer) as indicators_used,
    cast(regional.indicators_imputed as integer) as indicators_imputed,
    cast(regional.reason as varchar) as reason,
    cast(regional.methodology_version as varchar) as methodology_version
from regional
left join national
    on national.nis_code = regional.nis_code
    and national.year = regional.year
    and national.scope = regional.scope
