select
    cast(dataset as {{ dbt.type_string() }}) as dataset,
    cast(vintage as {{ dbt.type_string() }}) as vintage,
    cast(file as {{ dbt.type_string() }}) as file_name,
    cast(url as {{ dbt.type_string() }}) as url,
    cast(sha256 as {{ dbt.type_string() }}) as sha256,
    cast(size as {{ dbt.type_bigint() }}) as size_bytes,
    -- Kept as written (a UTC timestamp): a cast could shift it by the session's time zone.
    retrieved_at,
    cast(licence as {{ dbt.type_string() }}) as licence,
    cast(attribution as {{ dbt.type_string() }}) as attribution,
    cast(origin as {{ dbt.type_string() }}) as origin
from {{ source('reference', 'source_files') }}
