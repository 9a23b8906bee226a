select
    cast(nis_code as varchar) as nis_code,
    cast(year as integer) as year,
    cast(score as double) as score,
    cast(rank as integer) as rank,
    cast(score_fixed_goalposts as double) as score_fixed_goalposts,
    cast(indicators_used as integer) as indicators_used,
    cast(indicators_imputed as integer) as indicators_imputed,
    cast(reason as varchar) as reason,
    cast(methodology_version as varchar) as methodology_version
from {{ source('index', 'index_cohesion') }}
