-- Income domain (METHOD.md section 2): means recomputed from the harmonised totals, so merged
-- communes get a true mean rather than an average of their means.

with inputs as (

    {{ pivot_measures(ref('harmonised_statbel_income'), [
        'net_taxable_income_total', 'declarations_total', 'declarations_zero_income', 'residents'
    ]) }}

)

{{ ratio_indicator('mean_income_per_declaration', ['net_taxable_income_total'], ['declarations_total']) }}
union all
{{ ratio_indicator('share_zero_income_declarations', ['declarations_zero_income'], ['declarations_total']) }}
union all
{{ ratio_indicator('mean_income_per_inhabitant', ['net_taxable_income_total'], ['residents']) }}
