-- The current communes, with the codes each one absorbed in the 2019 and 2025 mergers (or
-- renumbering), so a reader can tell a merged commune without the crosswalk seeds.
with former as (

    select to_nis, from_nis, effective_date, change from {{ ref('crosswalk_2024_2025') }} where from_nis <> to_nis
    union all
    select to_nis, from_nis, effective_date, change from {{ ref('crosswalk_2018_2019') }}

),

-- A 2019 commune merged again in 2025 reaches its 2025 commune through the second crosswalk.
former_on_565 as (

    select coalesce(later.to_nis, former.to_nis) as nis_code, former.from_nis, former.effective_date, former.change
    from former
    left join {{ ref('crosswalk_2024_2025') }} as later on later.from_nis = former.to_nis and later.from_nis <> later.to_nis

),

summary as (

    select
        nis_code,
        string_agg(from_nis, ',' order by from_nis) as former_codes,
        bool_or(change = 'merger' and effective_date = '2025-01-01') as merged_2025
    from former_on_565
    group by nis_code

)

select
    communes.nis_code,
    communes.name_fr,
    communes.name_nl,
    communes.name_de,
    communes.arrondissement_code,
    communes.arrondissement_name_fr,
    communes.arrondissement_name_nl,
    communes.province_code,
    cast(province.name_fr as varchar) as province_name_fr,
    cast(province.name_nl as varchar) as province_name_nl,
    communes.region_code,
    cast(region.name_fr as varchar) as region_name_fr,
    cast(region.name_nl as varchar) as region_name_nl,
    cast(coalesce(summary.merged_2025, false) as boolean) as merged_2025,
    cast(coalesce(summary.former_codes, '') as varchar) as former_codes
from {{ ref('stg_reference__communes') }} as communes
left join summary using (nis_code)
-- Brussels has no province: its province names are NULL, as its code.
left join {{ ref('provinces_regions') }} as province on province.code = communes.province_code and province.level = 'province'
left join {{ ref('provinces_regions') }} as region on region.code = communes.region_code and region.level = 'region'
