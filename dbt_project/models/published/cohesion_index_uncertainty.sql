select
    cast(nis_code as varchar) as nis_code,
    cast(year as integer) as year,
    cast(rank_nominal as integer) as rank_nominal,
    cast(rank_median as double) as rank_median,
    cast(rank_p05 as double) as rank_p05,
    cast(rank_p95 as double) as rank_p95,
    cast(draws as integer) as draws,
    cast(methodology_version as varchar) as methodology_version
from {{ source('index', 'index_uncertainty') }}
