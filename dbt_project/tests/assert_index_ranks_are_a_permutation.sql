-- Each year, the ranks of the scored communes are exactly 1..n: no gap, no tie, no rank for an
-- unscored commune.
with per_year as (
    select
        year,
        count(score) as scored,
        count(rank) as ranked,
        count(distinct rank) as distinct_ranks,
        min(rank) as first_rank,
        max(rank) as last_rank
    from {{ ref('cohesion_index') }}
    group by year
)
select * from per_year
where scored <> ranked or ranked <> distinct_ranks or first_rank <> 1 or last_rank <> scored
