-- Contributions of each indicator to the score, with the reference period of the value used
-- (an edition takes each indicator's latest period within the lag: index_edition_indicators).
select
    cast(contributions.nis_code as varchar) as nis_code,
    cast(contributions.year as integer) as year,
    cast(contributions.domain as varchar) as domain,
    cast(contributions.indicator as varchar) as indicator,
    cast(plan.reference_period as integer) as reference_period,
    cast(contributions.contribution as double) as contribution,
    cast(contributions.methodology_version as varchar) as methodology_version
from {{ source('index', 'index_contributions') }} as contributions
left join {{ source('index', 'index_editions_plan') }} as plan
    on plan.year = contributions.year
    and plan.indicator = contributions.indicator
    and plan.scope = 'BE'
