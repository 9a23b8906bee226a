-- One row per candidate year of the fund: computed or not, from what (gate A from the arrivals
-- indicator or its proxy; gate B from which index), and why not. A year that is not computed has
-- no row in the other fund tables: no fund number is ever invented.
with plan as (

    select * from {{ source('fund', 'fund_editions_calc') }}

),

eligible as (

    select year, count(case when eligible then 1 end) as eligible_communes
    from {{ source('fund', 'fund_eligibility_calc') }}
    group by year

),

paid as (

    select year, sum(paid_cents) as paid_cents
    from {{ source('fund', 'fund_years') }}
    group by year

)

select
    cast(plan.year as integer) as year,
    cast(plan.scope as varchar) as scope,
    cast(plan.computed as boolean) as computed,
    cast(plan.index_scope as varchar) as index_scope,
    cast(plan.communes_in_scope as integer) as communes_in_scope,
    cast(plan.gate_a_from_indicator as integer) as gate_a_from_indicator,
    cast(plan.gate_a_from_proxy as integer) as gate_a_from_proxy,
    cast(plan.gate_a_missing as integer) as gate_a_missing,
    cast(case when plan.computed then coalesce(eligible.eligible_communes, 0) end as integer) as eligible_communes,
    cast(case when plan.computed then paid.paid_cents end as bigint) as budget_cents,
    cast(plan.reason as varchar) as reason,
    cast(plan.rules_version as varchar) as rules_version
from plan
left join eligible on eligible.year = plan.year
left join paid on paid.year = plan.year
