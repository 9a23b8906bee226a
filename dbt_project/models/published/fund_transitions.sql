select
    cast(nis_code as varchar) as nis_code,
    cast(year as integer) as year,
    cast(status as varchar) as status,
    cast(eligible as boolean) as eligible,
    cast(years_outside as integer) as years_outside,
    cast(amount_cents as bigint) as formula_cents,
    cast(guarantee_cents as bigint) as guarantee_cents,
    cast(paid_cents as bigint) as paid_cents,
    cast(rules_version as varchar) as rules_version
from {{ ref('fund_years') }}
