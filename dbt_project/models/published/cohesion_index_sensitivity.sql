-- How much each choice matters, one at a time, on the data as they are (METHOD.md 3.11).
select
    cast(year as integer) as year,
    cast(analysis as varchar) as analysis,
    cast(choice as varchar) as choice,
    cast(option as varchar) as option,
    cast(mean_abs_rank_shift as double) as mean_abs_rank_shift,
    cast(max_abs_rank_shift as integer) as max_abs_rank_shift,
    cast(methodology_version as varchar) as methodology_version
from {{ source('index', 'index_sensitivity') }}
