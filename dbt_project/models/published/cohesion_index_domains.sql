select
    cast(nis_code as varchar) as nis_code,
    cast(year as integer) as year,
    cast(domain as varchar) as domain,
    cast(domain_score as double) as domain_score,
    cast(domain_rank as integer) as domain_rank,
    cast(weight as double) as weight,
    cast(contribution as double) as contribution,
    cast(methodology_version as varchar) as methodology_version
from {{ ref('index_domains') }}
