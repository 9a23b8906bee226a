select
    nis_code,
    name_fr,
    name_nl,
    name_de,
    arrondissement_code,
    arrondissement_name_fr,
    arrondissement_name_nl,
    province_code,
    region_code
from {{ ref('stg_reference__communes') }}
