select
    cast(nis_code as {{ dbt.type_string() }}) as nis_code,
    cast(name_fr as {{ dbt.type_string() }}) as name_fr,
    cast(name_nl as {{ dbt.type_string() }}) as name_nl,
    cast(name_de as {{ dbt.type_string() }}) as name_de,
    cast(arrondissement_code as {{ dbt.type_string() }}) as arrondissement_code,
    cast(arrondissement_name_fr as {{ dbt.type_string() }}) as arrondissement_name_fr,
    cast(arrondissement_name_nl as {{ dbt.type_string() }}) as arrondissement_name_nl,
    cast(province_code as {{ dbt.type_string() }}) as province_code,
    cast(region_code as {{ dbt.type_string() }}) as region_code
from {{ source('reference', 'communes') }}
