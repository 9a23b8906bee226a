{{ config(alias="flag_definitions") }}
select
    cast(flag as varchar) as flag,
    cast(description_en as varchar) as description_en,
    cast(description_fr as varchar) as description_fr,
    cast(description_nl as varchar) as description_nl
from {{ ref('flag_definitions') }}
