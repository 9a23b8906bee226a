{#- Building blocks of the indicator models (models/indicators/). An indicator is recomputed from
    harmonised numerators and denominators, never averaged from rates; a NULL value keeps its row
    and says why in `flags` (docs block `col_indicator_flags`). -#}


{#- One row per commune and year of a harmonised dataset, one set of columns per measure:
    `<m>` the value, `<m>__flag` why it is NULL (or `estimated`/`imputed` when an input is not
    published as such), `<m>__vintage` the file vintage, `<m>__file` the file's name,
    `<m>__present` 1 when the dataset has the measure that year. Annual periods only. -#}
{% macro pivot_measures(relation, measures) -%}
select
    nis_code,
    year,
    {%- for m in measures %}
    max(case when measure = '{{ m }}' then value end) as {{ m }},
    max(case when measure = '{{ m }}' then
        case
            when value is not null and status in ('estimated', 'imputed') then status
            when value is not null then null
            when flags = 'merged_not_additive' then 'merged_not_additive'
            else status
        end
    end) as {{ m }}__flag,
    max(case when measure = '{{ m }}' then vintage end) as {{ m }}__vintage,
    max(case when measure = '{{ m }}' then source_file end) as {{ m }}__file,
    max(case when measure = '{{ m }}' then 1 else 0 end) as {{ m }}__present
    {%- if not loop.last %},{% endif %}
    {%- endfor %}
from {{ relation }}
where quarter is null
    and measure in ({% for m in measures %}'{{ m }}'{% if not loop.last %}, {% endif %}{% endfor %})
group by nis_code, year
{%- endmacro %}


{#- The reason an already computed indicator (a row of an indicator model, alias `row`) is NULL:
    its first flag; or its input quality when it has a value. -#}
{% macro indicator_flag(row) -%}
case
    when {{ row }}.value is null then nullif({{ dbt.split_part(row ~ '.flags', "','", 1) }}, '')
    when {{ row }}.flags like '%estimated%' then 'estimated'
    when {{ row }}.flags like '%imputed%' then 'imputed'
end
{%- endmacro %}


{#- The columns of `pivot_measures` for an already computed indicator, so that it can be the
    input of another: its value, `__flag`, `__vintage` and `__file`. -#}
{% macro indicator_as_input(name, row) -%}
    {{ row }}.value as {{ name }},
    {{ indicator_flag(row) }} as {{ name }}__flag,
    {{ row }}.source_vintage as {{ name }}__vintage,
    {{ row }}.source_file as {{ name }}__file
{%- endmacro %}


{#- Why a value computed from `columns` is NULL: the first NULL input's reason (`missing` when the
    input has no row at all), then the extra `(condition, flag)` cases in order. NULL when every
    input is there. -#}
{% macro why_null(columns, extra_cases=[]) -%}
case
    {%- for c in columns %}
    when {{ c }} is null then coalesce({{ c }}__flag, 'missing')
    {%- endfor %}
    {%- for condition, flag in extra_cases %}
    when {{ condition }} then '{{ flag }}'
    {%- endfor %}
end
{%- endmacro %}


{#- `estimated` or `imputed` when an input of a non-NULL value was not published as such. -#}
{% macro input_quality(columns) -%}
case
    when {% for c in columns %}{{ c }}__flag = 'estimated'{% if not loop.last %} or {% endif %}{% endfor %}
        then 'estimated'
    when {% for c in columns %}{{ c }}__flag = 'imputed'{% if not loop.last %} or {% endif %}{% endfor %}
        then 'imputed'
end
{%- endmacro %}


{#- Sum of input columns; NULL when any is NULL, never a partial sum. -#}
{% macro sum_of(columns) -%}
({{ columns | join(' + ') }})
{%- endmacro %}


{#- Rows of one ratio indicator from the `inputs` relation: value = scale * sum(numerator) /
    sum(denominator), for every commune and year where the dataset has the measure `present`
    (default: the first numerator column). `info_flags` are added to every row, and the value of
    each column of `flag_columns` (a flag or NULL) to its row. -#}
{% macro ratio_indicator(indicator, numerator, denominator, scale=1, inputs='inputs', info_flags=[], present=none, flag_columns=[]) -%}
{%- set num = sum_of(numerator) -%}
{%- set den = sum_of(denominator) -%}
select
    nis_code,
    year,
    indicator,
    value,
    numerator,
    denominator,
    {{ indicator_flags(info_flags, flag_columns) }} as flags,
    source_vintage,
    source_file
from (
    select
        nis_code,
        cast(year as {{ dbt.type_int() }}) as year,
        cast('{{ indicator }}' as {{ dbt.type_string() }}) as indicator,
        {%- for c in flag_columns %}
        {{ c }},
        {%- endfor %}
        cast(case when {{ den }} <> 0 then {{ scale }} * {{ num }} / {{ den }} end as {{ type_double() }}) as value,
        cast({{ num }} as {{ type_double() }}) as numerator,
        cast({{ den }} as {{ type_double() }}) as denominator,
        {{ why_null(numerator + denominator, [(den ~ ' = 0', 'zero_denominator')]) }} as why_null,
        {{ input_quality(numerator + denominator) }} as input_quality,
        {{ numerator[0] }}__vintage as source_vintage,
        {{ numerator[0] }}__file as source_file
    from {{ inputs }}
    where {{ present or numerator[0] }}__present = 1
) as {{ indicator }}_rows
{%- endmacro %}


{#- Rows of one difference indicator: value = scale * (current - previous); a difference has no
    numerator or denominator. The inputs set `previous__flag` to `insufficient_history` when the
    earlier year is absent from the data. Years: where the measure `present` is (default current). -#}
{% macro difference_indicator(indicator, current, previous, scale=1, inputs='inputs', info_flags=[], present=none) -%}
select
    nis_code,
    year,
    indicator,
    value,
    numerator,
    denominator,
    {{ indicator_flags(info_flags) }} as flags,
    source_vintage,
    source_file
from (
    select
        nis_code,
        cast(year as {{ dbt.type_int() }}) as year,
        cast('{{ indicator }}' as {{ dbt.type_string() }}) as indicator,
        cast({{ scale }} * ({{ current }} - {{ previous }}) as {{ type_double() }}) as value,
        cast(null as {{ type_double() }}) as numerator,
        cast(null as {{ type_double() }}) as denominator,
        {{ why_null([current, previous]) }} as why_null,
        {{ input_quality([current, previous]) }} as input_quality,
        {{ current }}__vintage as source_vintage,
        {{ current }}__file as source_file
    from {{ inputs }}
    where {{ present or current }}__present = 1
) as {{ indicator }}_rows
{%- endmacro %}


{#- The `flags` of an indicator row from its columns `value`, `why_null` and `input_quality`:
    the reason first, then the input quality (only for a value), then `info_flags`, then the
    flags held in `flag_columns`. indicators_commune_indicators appends `reviewed_outlier` last
    (an input the data team checked and accepted as true). -#}
{% macro indicator_flags(info_flags=[], flag_columns=[]) -%}
{%- set parts = ['why_null', 'case when value is not null then input_quality end'] -%}
{%- for f in info_flags %}{% do parts.append("'" ~ f ~ "'") %}{% endfor -%}
{%- for c in flag_columns %}{% do parts.append(c) %}{% endfor -%}
{{ flag_list(parts) }}
{%- endmacro %}


{#- Rows of a rate recomputed from counts where both are usable, else the publisher's rate as
    published (flag `published_rate`, no numerator or denominator): `value = scale * numerator /
    denominator` or `published`. Years: where the counts or the published rate are present. A
    published rate is not additive, so a merged commune has it only from counts. -#}
{% macro counts_or_published_rate(indicator, numerator, denominator, published, scale=1, inputs='inputs') -%}
select
    nis_code,
    year,
    indicator,
    value,
    numerator,
    denominator,
    {{ flag_list(['why_null', 'case when value is not null then input_quality end', 'published_rate']) }} as flags,
    source_vintage,
    source_file
from (
    select
        nis_code,
        cast(year as {{ dbt.type_int() }}) as year,
        cast('{{ indicator }}' as {{ dbt.type_string() }}) as indicator,
        cast(case when counts_usable then {{ scale }} * {{ numerator }} / {{ denominator }} else {{ published }} end
            as {{ type_double() }}) as value,
        -- The counts are shown whenever the published rate is not what the value is.
        cast(case when counts_usable or {{ published }} is null then {{ numerator }} end as {{ type_double() }}) as numerator,
        cast(case when counts_usable or {{ published }} is null then {{ denominator }} end as {{ type_double() }}) as denominator,
        case
            when counts_usable or {{ published }} is not null then null
            -- Neither: why the counts are unusable when the dataset has them, else why the rate is.
            when {{ numerator }}__present = 1
                then {{ why_null([numerator, denominator], [(denominator ~ ' = 0', 'zero_denominator')]) }}
            else {{ why_null([published]) }}
        end as why_null,
        case
            when counts_usable then {{ input_quality([numerator, denominator]) }}
            else {{ input_quality([published]) }}
        end as input_quality,
        case when not counts_usable and {{ published }} is not null then 'published_rate' end as published_rate,
        case when counts_usable then {{ numerator }}__vintage else {{ published }}__vintage end as source_vintage,
        case when counts_usable then {{ numerator }}__file else {{ published }}__file end as source_file
    from (
        select
            {{ inputs }}.*,
            {{ numerator }} is not null and {{ denominator }} is not null and {{ denominator }} <> 0 as counts_usable
        from {{ inputs }}
        where {{ numerator }}__present = 1 or {{ published }}__present = 1
    ) as with_counts
) as {{ indicator }}_rows
{%- endmacro %}


{#- Per year of the query `target_years`, the latest year of the query `source_years` up to it,
    at most var('max_input_lag_years') older (column `stand_in_year`): the year of an input
    published later than the others (income, jobseeker counts) that stands in for a year it
    does not cover yet. A year with none within the lag has no row. -#}
{% macro stand_in_year(target_years, source_years) -%}
select target_years.year, max(source_years.year) as stand_in_year
from ({{ target_years }}) as target_years
inner join ({{ source_years }}) as source_years
    on source_years.year <= target_years.year
    and source_years.year >= target_years.year - {{ var('max_input_lag_years') }}
group by target_years.year
{%- endmacro %}
