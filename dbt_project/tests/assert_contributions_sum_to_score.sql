-- The indicator contributions of a commune-year add up to its score (to 1e-6 points), and so do
-- the domain contributions.
with indicators as (
    select nis_code, year, sum(contribution) as total from {{ ref('cohesion_index_contributions') }} group by all
),
domains as (
    select nis_code, year, sum(contribution) as total from {{ ref('cohesion_index_domains') }} group by all
)
select i.nis_code, i.year, i.score, indicators.total as indicator_total, domains.total as domain_total
from {{ ref('cohesion_index') }} as i
left join indicators using (nis_code, year)
left join domains using (nis_code, year)
where i.score is not null
    and (abs(i.score - coalesce(indicators.total, 0)) > 1e-6 or abs(i.score - coalesce(domains.total, 0)) > 1e-6)
