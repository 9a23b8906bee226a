select
    cast(nis_code as varchar) as nis_code,
    cast(year as integer) as year,
    cast(lang as varchar) as lang,
    cast(text as varchar) as text,
    cast(methodology_version as varchar) as methodology_version
from {{ source('index', 'index_explanations') }}
