-- An eligible commune is in the fund that year (entering or staying), and a commune out of the
-- fund was not eligible.
select e.nis_code, e.year, e.eligible, t.status
from {{ ref('fund_eligibility') }} as e
join {{ ref('fund_transitions') }} as t using (nis_code, year)
where (e.eligible and t.status not in ('entering', 'staying'))
