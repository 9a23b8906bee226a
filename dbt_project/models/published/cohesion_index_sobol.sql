-- Variance-based sensitivity of the ranks to the method's uncertain choices (METHOD.md 3.11).
select
    cast(year as integer) as year,
    cast(choice as varchar) as choice,
    cast(first_order as double) as first_order,
    cast(first_order_p05 as double) as first_order_p05,
    cast(first_order_p95 as double) as first_order_p95,
    cast(total as double) as total,
    cast(total_p05 as double) as total_p05,
    cast(total_p95 as double) as total_p95,
    cast(samples as integer) as samples,
    cast(evaluations as integer) as evaluations,
    cast(methodology_version as varchar) as methodology_version
from {{ source('index', 'index_sobol') }}
