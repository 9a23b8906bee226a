{{ config(alias="indicator_definitions") }}
select
    cast(indicator as varchar) as indicator,
    cast(domain as varchar) as domain,
    cast(unit as varchar) as unit,
    cast(direction as integer) as direction,
    cast(description_en as varchar) as description_en,
    cast(description_fr as varchar) as description_fr,
    cast(description_nl as varchar) as description_nl,
    cast(formula as varchar) as formula,
    cast(source_dataset as varchar) as source_dataset
from {{ ref('indicator_definitions') }}
