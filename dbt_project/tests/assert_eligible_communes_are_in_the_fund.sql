-- An eligible commune is in the fund that year (entering or in_fund): passing both gates never
-- leaves a commune in a grace year, leaving or out.
select e.nis_code, e.year, e.eligible, t.status
from {{ ref('fund_eligibility') }} as e
join {{ ref('fund_transitions') }} as t using (nis_code, year)
where (e.eligible and t.status not in ('entering', 'in_fund'))
   or (not e.eligible and t.status in ('entering', 'in_fund'))
