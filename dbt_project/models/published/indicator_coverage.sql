-- How much of each region every indicator covers, per reference period: what decides whether an
-- indicator can enter the national index (config/methodology.yml editions.min_region_coverage)
-- or only a regional supplement.
with communes as (

    select
        nis_code,
        case region_code when '02000' then 'BE-VLG' when '03000' then 'BE-WAL' when '04000' then 'BE-BRU' end as region
    from {{ ref('stg_reference__communes') }}

),

per_region as (

    select
        indicators.indicator,
        indicators.year,
        communes.region,
        count(*) as communes,
        count(indicators.value) as communes_with_value
    from {{ ref('indicators_commune_indicators') }} as indicators
    inner join communes on communes.nis_code = indicators.nis_code
    group by indicators.indicator, indicators.year, communes.region

),

national as (

    select indicator, year, 'BE' as region, sum(communes) as communes, sum(communes_with_value) as communes_with_value
    from per_region
    group by indicator, year

)

select
    cast(indicator as varchar) as indicator,
    cast(year as integer) as year,
    cast(region as varchar) as region,
    cast(communes as integer) as communes,
    cast(communes_with_value as integer) as communes_with_value,
    cast(1.0 * communes_with_value / communes as double) as coverage
from (select * from per_region union all select * from national) as all_rows
