select
    nis_code,
    cast(year as integer) as year,
    cast(domain as varchar) as domain,
    cast(indicator as varchar) as indicator,
    cast(contribution as double) as contribution,
    cast(methodology_version as varchar) as methodology_version
from {{ ref('index_contributions') }}
