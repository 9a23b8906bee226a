select
    cast(nis_code as varchar) as nis_code,
    cast(year as integer) as year,
    cast(indicator as varchar) as indicator,
    cast(treatment as varchar) as treatment,
    cast(value_before as double) as value_before,
    cast(value_after as double) as value_after,
    cast(methodology_version as varchar) as methodology_version
from {{ ref('index_treatments') }}
