-- The coherence audit of each edition (METHOD.md 3.9), one row per year, measure, item and other;
-- `fails` says whether the value breaks the methodology's threshold (config/methodology.yml, audit).
select
    cast(year as integer) as year,
    cast(measure as varchar) as measure,
    cast(item as varchar) as item,
    cast(other as varchar) as other,
    cast(value as double) as value,
    cast(threshold as double) as threshold,
    cast(fails as boolean) as fails,
    cast(methodology_version as varchar) as methodology_version
from {{ source('index', 'index_audit') }}
