-- The detail of index_editions: per edition year, scope and indicator of the methodology, whether
-- it was used, at which reference period, with what coverage, or why it was left out.
select
    cast(year as integer) as year,
    cast(scope as varchar) as scope,
    cast(indicator as varchar) as indicator,
    cast(domain as varchar) as domain,
    cast(used as boolean) as used,
    cast(regional as boolean) as regional,
    cast(reference_period as integer) as reference_period,
    cast(lag_years as integer) as lag_years,
    cast(coverage as double) as coverage,
    cast(nullif(reason, '') as varchar) as reason,
    cast(edition_published as boolean) as edition_published,
    cast(methodology_version as varchar) as methodology_version
from {{ source('index', 'index_editions_plan') }}
