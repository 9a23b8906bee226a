-- The fund per commune and computed year: its status, what the formula gave it and why (its
-- weight, need intensity, band factor, the rank coefficient where the rules use one, the bound
-- that held it), the spread of that amount over the draws, the exit guarantee, what it was paid,
-- and the reason in three languages.
select
    cast(nis_code as varchar) as nis_code,
    cast(year as integer) as year,
    cast(status as varchar) as status,
    cast(eligible as boolean) as eligible,
    cast(years_outside as integer) as years_outside,
    cast(grace_year as integer) as grace_year,
    cast(grace_years as integer) as grace_years,
    cast(weight as double) as weight,
    cast(need_intensity as double) as need_intensity,
    cast(band_factor as double) as band_factor,
    cast(rank_coefficient as double) as rank_coefficient,
    cast(bound as varchar) as bound,
    cast(amount_cents as bigint) as formula_cents,
    cast(amount_p05_cents as bigint) as formula_p05_cents,
    cast(amount_p50_cents as bigint) as formula_p50_cents,
    cast(amount_p95_cents as bigint) as formula_p95_cents,
    cast(guarantee_cents as bigint) as guarantee_cents,
    cast(paid_cents as bigint) as paid_cents,
    cast(reason_en as varchar) as reason,
    cast(reason_fr as varchar) as reason_fr,
    cast(reason_nl as varchar) as reason_nl,
    cast(rules_version as varchar) as rules_version
from {{ source('fund', 'fund_years') }}
