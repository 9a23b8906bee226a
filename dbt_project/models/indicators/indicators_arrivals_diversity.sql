-- Arrivals and diversity domain (METHOD.md section 2). Arrivals are international immigrations
-- summed over three years; a year absent from the data makes the sum NULL (insufficient_history),
-- never a two-year sum. Flanders publishes adult foreign newcomers instead (Agentschap Integratie
-- & Inburgering): the same 3-year rate per 1,000 inhabitants, as an indicator of its own, since
-- it counts adults with a residence right only. Where arrivals are not published, the yearly net
-- change of residents of foreign nationality stands in for them, always flagged proxy.

with arrivals as (

    {{ pivot_measures(ref('harmonised_arrivals'), ['immigrations', 'newcomers_adults']) }}

),

population as (

    {{ pivot_measures(ref('harmonised_statbel_population'), ['population_total', 'population_non_belgian']) }}

),

arrivals_inputs as (

    select
        arrivals.*,
        {%- for m in ['immigrations', 'newcomers_adults'] %}
        {%- for lag in [1, 2] %}
        before_{{ lag }}_{{ m }}.{{ m }} as {{ m }}_y{{ lag }},
        case when before_{{ lag }}_{{ m }}.nis_code is null then 'insufficient_history'
            else before_{{ lag }}_{{ m }}.{{ m }}__flag end as {{ m }}_y{{ lag }}__flag,
        {%- endfor %}
        {%- endfor %}
        population.population_total,
        population.population_total__flag
    from arrivals
    {%- for m in ['immigrations', 'newcomers_adults'] %}
    {%- for lag in [1, 2] %}
    left join arrivals as before_{{ lag }}_{{ m }}
        on before_{{ lag }}_{{ m }}.nis_code = arrivals.nis_code
        and before_{{ lag }}_{{ m }}.year = arrivals.year - {{ lag }}
        and before_{{ lag }}_{{ m }}.{{ m }}__present = 1
    {%- endfor %}
    {%- endfor %}
    left join population
        on population.nis_code = arrivals.nis_code
        and population.year = arrivals.year

),

share_rows as (

    {{ ratio_indicator('share_non_belgian', ['population_non_belgian'], ['population_total'], inputs='population') }}

),

population_inputs as (

    select
        population.*,
        previous.population_non_belgian as population_non_belgian_y1,
        case when previous.nis_code is null then 'insufficient_history'
            else previous.population_non_belgian__flag end as population_non_belgian_y1__flag,
        {{ indicator_as_input('share_non_belgian', 'share_now') }},
        five_years_before.value as share_non_belgian_y5,
        case when five_years_before.nis_code is null then 'insufficient_history'
            else {{ indicator_flag('five_years_before') }} end as share_non_belgian_y5__flag
    from population
    left join population as previous
        on previous.nis_code = population.nis_code
        and previous.year = population.year - 1
        and previous.population_non_belgian__present = 1
    left join share_rows as share_now
        on share_now.nis_code = population.nis_code
        and share_now.year = population.year
    left join share_rows as five_years_before
        on five_years_before.nis_code = population.nis_code
        and five_years_before.year = population.year - 5

)

{{ ratio_indicator('arrivals_per_1000_3y', ['immigrations', 'immigrations_y1', 'immigrations_y2'], ['population_total'], scale=1000, inputs='arrivals_inputs') }}
union all
{{ ratio_indicator('newcomers_per_1000_3y', ['newcomers_adults', 'newcomers_adults_y1', 'newcomers_adults_y2'], ['population_total'], scale=1000, inputs='arrivals_inputs') }}
union all
{{ difference_indicator('arrivals_proxy_net_non_belgian', 'population_non_belgian', 'population_non_belgian_y1', inputs='population_inputs', info_flags=['proxy']) }}
union all
select * from share_rows
union all
{{ difference_indicator('share_non_belgian_change_5y', 'share_non_belgian', 'share_non_belgian_y5', scale=100,
    inputs='population_inputs', present='population_non_belgian') }}
