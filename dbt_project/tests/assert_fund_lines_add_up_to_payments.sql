-- Money is conserved to the cent: each commune's budget lines add up to what it is paid that
-- year, and only communes in the fund (or leaving with a guarantee) are paid.
with lines as (
    select nis_code, year, sum(amount_cents) as lines_cents from {{ ref('fund_allocation') }} group by all
)
select t.nis_code, t.year, t.status, t.paid_cents, lines.lines_cents
from {{ ref('fund_transitions') }} as t
full outer join lines using (nis_code, year)
where coalesce(t.paid_cents, 0) <> coalesce(lines.lines_cents, 0)
    or (t.status = 'out' and t.paid_cents > 0)
