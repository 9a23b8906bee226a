-- Every indicator of every domain, with its definition (seeds/indicator_definitions.csv): the
-- long table the index reads and published.commune_indicators copies under its contract. A value
-- that used an input the data team reviewed and accepted as true (indicators_reviewed_outliers)
-- gets the flag reviewed_outlier, last in `flags`; it stays a value like any other for the index.

with indicator_rows as (

    select * from {{ ref('indicators_income') }}
    union all
    select * from {{ ref('indicators_employment') }}
    union all
    select * from {{ ref('indicators_education') }}
    union all
    select * from {{ ref('indicators_housing') }}
    union all
    select * from {{ ref('indicators_arrivals_diversity') }}
    union all
    select * from {{ ref('indicators_arrivals_proxy') }}
    union all
    select * from {{ ref('indicators_demography_needs') }}

),

definitions as (

    select indicator, domain, unit, direction, source_dataset
    from {{ ref('indicator_definitions') }}

),

published_years as (

    -- An indicator-year enters only where some commune has a value: a year in which an input
    -- file has data but the indicator cannot be computed anywhere (real-estate sales of a year
    -- without a population file) is not a year of that indicator. Within a kept year every
    -- commune has its row, NULL value included, with the reason in `flags`.
    select indicator, year
    from indicator_rows
    group by indicator, year
    having count(value) > 0

),

reviewed_outliers as (

    -- The values that used a reviewed exception. A NULL value used nothing. Of the indicators with
    -- two sources, a value is flagged only for an input of the source it came from: the
    -- publisher's rate (flag published_rate) or the counts.
    select distinct indicator_rows.nis_code, indicator_rows.year, indicator_rows.indicator
    from indicator_rows
    inner join {{ ref('indicators_reviewed_outliers') }} as reviewed
        on reviewed.nis_code = indicator_rows.nis_code
        and reviewed.year = indicator_rows.year
        and reviewed.indicator = indicator_rows.indicator
    where indicator_rows.value is not null
        and (
            reviewed.used_when = 'always'
            or (reviewed.used_when = 'published_rate')
                = ({{ dbt.concat(["','", 'indicator_rows.flags', "','"]) }} like '%,published_rate,%')
        )

)

select
    indicator_rows.nis_code,
    indicator_rows.year,
    indicator_rows.indicator,
    definitions.domain,
    indicator_rows.value,
    indicator_rows.numerator,
    indicator_rows.denominator,
    definitions.unit,
    definitions.direction,
    definitions.source_dataset,
    indicator_rows.source_vintage,
    indicator_rows.source_file,
    {{ flag_list([
        "nullif(indicator_rows.flags, '')",
        "case when reviewed_outliers.nis_code is not null then 'reviewed_outlier' end",
    ]) }} as flags
from indicator_rows
inner join published_years
    on published_years.indicator = indicator_rows.indicator
    and published_years.year = indicator_rows.year
left join definitions on definitions.indicator = indicator_rows.indicator
left join reviewed_outliers
    on reviewed_outliers.nis_code = indicator_rows.nis_code
    and reviewed_outliers.year = indicator_rows.year
    and reviewed_outliers.indicator = indicator_rows.indicator
