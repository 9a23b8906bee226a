-- Every value the index changed before using it. `treatment` is one of imputed, smoothed,
-- winsorised, log_transformed (the words the dictionary and the flags use); `method` says how.
select
    cast(nis_code as varchar) as nis_code,
    cast(year as integer) as year,
    cast(indicator as varchar) as indicator,
    cast(case
        when treatment like 'imputed_%' then 'imputed'
        when treatment like 'smoothed_%' then 'smoothed'
        when treatment like 'winsorised_%' then 'winsorised'
        else treatment
    end as varchar) as treatment,
    cast(case
        when treatment = 'imputed_arrondissement_median' then 'arrondissement_median'
        when treatment = 'imputed_national_median' then 'national_median'
        when treatment = 'smoothed_empirical_bayes' then 'empirical_bayes'
        when treatment = 'winsorised_high' then 'highest_values'
        when treatment = 'winsorised_low' then 'lowest_values'
        when treatment = 'log_transformed' then 'log_shift'
    end as varchar) as method,
    cast(value_before as double) as value_before,
    cast(value_after as double) as value_after,
    cast(shrinkage_weight as double) as shrinkage_weight,
    cast(methodology_version as varchar) as methodology_version
from {{ source('index', 'index_treatments') }}
