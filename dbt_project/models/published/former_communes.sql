-- Every commune code that no longer exists on the 565-commune map, with the commune it became:
-- the 2019 mergers and renumberings and the 2025 mergers (seeds crosswalk_2018_2019 and
-- crosswalk_2024_2025). No 2019 successor merged again in 2025 (a dbt test keeps it so), so one
-- step names today's commune. A reader who looks up an old code (Borsbeek, 11007) learns where
-- its figures are now (Antwerpen, 11002).
with changes as (
    select from_nis, from_name_fr, from_name_nl, to_nis, change, effective_date
    from {{ ref('crosswalk_2018_2019') }}
    union all
    select from_nis, from_name_fr, from_name_nl, to_nis, change, effective_date
    from {{ ref('crosswalk_2024_2025') }}
)
select
    cast(from_nis as varchar) as former_code,
    cast(from_name_fr as varchar) as former_name_fr,
    cast(from_name_nl as varchar) as former_name_nl,
    cast(to_nis as varchar) as nis_code,
    cast(change as varchar) as change,
    cast(effective_date as date) as effective_date
from changes
where from_nis <> to_nis
