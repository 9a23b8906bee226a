-- Residents of each commune on 1 January, on the 565-commune map: the denominator of the
-- per-inhabitant figures and of the fund's weights, for a reader who divides money by people.
select
    cast(nis_code as varchar) as nis_code,
    cast(year as integer) as year,
    cast(value as bigint) as population,
    cast(flags as varchar) as flags,
    cast(source_file as varchar) as source_file,
    cast(vintage as varchar) as source_vintage
from {{ ref('harmonised_statbel_population') }}
where measure = 'population_total' and quarter is null
