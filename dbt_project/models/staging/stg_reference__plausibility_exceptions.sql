-- The reviewed exceptions to the plausibility rules (config/plausibility_exceptions.yml, written
-- by the Dagster asset raw/plausibility_exceptions, possibly with no row): typed, with the year
-- and quarter read from the period as for the canonical tables. nis_code is kept as written: a
-- commune's code on the map of the file it was found in, or BE / BE-VLG / BE-WAL / BE-BRU for a
-- national or regional total.
select
    cast(dataset as {{ dbt.type_string() }}) as dataset,
    cast(nis_code as {{ dbt.type_string() }}) as nis_code,
    cast(measure as {{ dbt.type_string() }}) as measure,
    cast(period as {{ dbt.type_string() }}) as period,
    cast(substring(period, 1, 4) as {{ dbt.type_int() }}) as year,
    case
        when {{ dbt.length('period') }} = 6
            then cast(substring(period, 6, 1) as {{ dbt.type_int() }})
    end as quarter,
    cast(reason as {{ dbt.type_string() }}) as reason,
    cast(reviewed_by as {{ dbt.type_string() }}) as reviewed_by,
    cast(reviewed_on as date) as reviewed_on
from {{ source('reference', 'plausibility_exceptions') }}
