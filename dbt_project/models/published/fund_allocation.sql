select
    cast(nis_code as varchar) as nis_code,
    cast(year as integer) as year,
    cast(budget_line as varchar) as budget_line,
    cast(needs_driver as varchar) as needs_driver,
    cast(amount_cents as bigint) as amount_cents,
    cast(rules_version as varchar) as rules_version
from {{ source('fund', 'fund_lines') }}
