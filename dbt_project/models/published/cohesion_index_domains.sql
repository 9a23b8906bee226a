-- Each domain of a commune's score: the domain score on its own scale (the weighted mean of the
-- rank-based normal scores of its indicators, about -3 to 3), its rank, the same score transformed
-- to 0-100 (exponential transform, METHOD.md 3.7), the domain's weight, and its contribution to
-- the score (weight x transformed / 100, renormalised over the edition's domains).
select
    cast(nis_code as varchar) as nis_code,
    cast(year as integer) as year,
    cast(domain as varchar) as domain,
    cast(domain_score as double) as domain_score,
    cast(domain_rank as integer) as domain_rank,
    cast(domain_transformed as double) as domain_transformed,
    cast(weight as double) as weight,
    cast(contribution as double) as contribution,
    cast(methodology_version as varchar) as methodology_version
from {{ source('index', 'index_domains') }}
