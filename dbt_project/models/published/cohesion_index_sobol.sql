-- Variance-based sensitivity of the ranks to the method's uncertain choices (METHOD.md 3.11).
select
    cast(year as integer) as year,
    cast(choice as varchar) as choice,
    cast(first_order as double) as first_order,
    cast(total as double) as total,
    cast(samples as integer) as samples,
    cast(evaluations as integer) as evaluations,
    cast(methodology_version as varchar) as methodology_version
from {{ ref('index_sobol') }}
