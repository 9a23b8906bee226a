-- Both gates per commune and computed year, with the fund status and the full reason (the gates'
-- verdict, then what the fund does with the commune and pays it) in three languages: the same
-- sentences as fund_transitions, so that "not eligible" never stands beside a payment unexplained.
select
    cast(e.nis_code as varchar) as nis_code,
    cast(e.year as integer) as year,
    cast(e.gate_a_indicator as varchar) as gate_a_indicator,
    cast(e.gate_a_proxy as boolean) as gate_a_proxy,
    cast(e.gate_a_numerator as double) as gate_a_arrivals_3y,
    cast(e.gate_a_value as double) as gate_a_value,
    cast(e.gate_a_threshold as double) as gate_a_threshold,
    cast(e.gate_a_pass as boolean) as gate_a_pass,
    cast(e.gate_a_gap as double) as gate_a_gap,
    cast(e.gate_b_value as integer) as gate_b_value,
    cast(e.gate_b_threshold as integer) as gate_b_threshold,
    cast(e.gate_b_pass as boolean) as gate_b_pass,
    cast(e.gate_b_gap as integer) as gate_b_gap,
    cast(e.eligible as boolean) as eligible,
    cast(e.gate_a_band_factor as double) as gate_a_band_factor,
    cast(e.gate_b_band_factor as double) as gate_b_band_factor,
    cast(e.band_factor as double) as band_factor,
    cast(e.nearest_gate as varchar) as nearest_gate,
    cast(e.nearest_gate_position as double) as nearest_gate_position,
    cast(e.gate_a_probability as double) as gate_a_probability,
    cast(e.gate_b_probability as double) as gate_b_probability,
    cast(e.eligibility_probability as double) as eligibility_probability,
    cast(e.borderline as boolean) as borderline,
    cast(e.borderline_gate as varchar) as borderline_gate,
    cast(y.status as varchar) as status,
    cast(y.reason_en as varchar) as reason,
    cast(y.reason_fr as varchar) as reason_fr,
    cast(y.reason_nl as varchar) as reason_nl,
    cast(e.rules_version as varchar) as rules_version
from {{ source('fund', 'fund_eligibility_calc') }} as e
left join {{ source('fund', 'fund_years') }} as y
    on y.nis_code = e.nis_code
    and y.year = e.year
