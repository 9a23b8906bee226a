-- One line per computed year of the fund: the budget, what the exit guarantees took off it
-- first, what the formula shared out, and how many communes were in each status, capped or
-- floored. Grain: year.
select
    cast(year as integer) as year,
    cast(sum(paid_cents) as bigint) as budget_cents,
    cast(sum(guarantee_cents) as bigint) as guarantees_cents,
    cast(sum(amount_cents) as bigint) as formula_cents,
    cast(count(*) filter (where status = 'entering') as integer) as communes_entering,
    cast(count(*) filter (where status = 'in_fund') as integer) as communes_in_fund,
    cast(count(*) filter (where status = 'staying') as integer) as communes_staying,
    cast(count(*) filter (where status = 'leaving') as integer) as communes_leaving,
    cast(count(*) filter (where status in ('entering', 'in_fund', 'staying')) as integer) as communes_paid_by_formula,
    cast(count(*) filter (where bound = 'cap') as integer) as communes_capped,
    cast(count(*) filter (where bound = 'floor') as integer) as communes_floored,
    cast(max(rules_version) as varchar) as rules_version
from {{ source('fund', 'fund_years') }}
group by year
