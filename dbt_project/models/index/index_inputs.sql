-- The population the index smooths small-commune rates with (EB shrinkage weights): residents
-- on 1 January per commune and year on the 565 map. Grain: commune x year.
select nis_code, year, value
from {{ ref('harmonised_statbel_population') }}
where measure = 'population_total' and quarter is null and value is not null
