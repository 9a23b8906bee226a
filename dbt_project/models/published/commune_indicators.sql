select
    cast(nis_code as {{ dbt.type_string() }}) as nis_code,
    cast(year as {{ dbt.type_int() }}) as year,
    cast(indicator as {{ dbt.type_string() }}) as indicator,
    cast(domain as {{ dbt.type_string() }}) as domain,
    cast(value as {{ type_double() }}) as value,
    cast(numerator as {{ type_double() }}) as numerator,
    cast(denominator as {{ type_double() }}) as denominator,
    cast(unit as {{ dbt.type_string() }}) as unit,
    cast(direction as {{ dbt.type_int() }}) as direction,
    cast(source_dataset as {{ dbt.type_string() }}) as source_dataset,
    cast(source_vintage as {{ dbt.type_string() }}) as source_vintage,
    cast(source_file as {{ dbt.type_string() }}) as source_file,
    cast(flags as {{ dbt.type_string() }}) as flags
from {{ ref('indicators_commune_indicators') }}
