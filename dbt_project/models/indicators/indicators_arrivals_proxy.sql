-- The arrivals proxy of the fund's gate A (config/fund_rules.yml `proxy_indicator`), for
-- communes and years where international arrivals are not published: the net change in
-- residents of foreign nationality over three years, per 1,000 inhabitants of the year. It is
-- always flagged `proxy`: a net change counts departures and naturalisations too, so it is a
-- lower bound of arrivals, never presented as arrivals.

with population as (

    {{ pivot_measures(ref('harmonised_statbel_population'), ['population_total', 'population_non_belgian']) }}

),

proxy_inputs as (

    select
        population.*,
        population.population_non_belgian - three_before.population_non_belgian as net_non_belgian_3y,
        case when three_before.nis_code is null then 'insufficient_history'
            else coalesce(population.population_non_belgian__flag, three_before.population_non_belgian__flag)
        end as net_non_belgian_3y__flag,
        population.population_non_belgian__vintage as net_non_belgian_3y__vintage,
        population.population_non_belgian__file as net_non_belgian_3y__file,
        population.population_non_belgian__present as net_non_belgian_3y__present
    from population
    left join population as three_before
        on three_before.nis_code = population.nis_code
        and three_before.year = population.year - 3
        and three_before.population_non_belgian__present = 1

)

{{ ratio_indicator('arrivals_proxy_per_1000_3y', ['net_non_belgian_3y'], ['population_total'], scale=1000,
    inputs='proxy_inputs', info_flags=['proxy']) }}
