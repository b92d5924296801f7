-- the Dagster asset check belongs to satisfaction_monthly
{{ config(meta={'dagster': {'ref': {'name': 'satisfaction_monthly'}}}) }}

-- The monthly 'all' NPS recomputed from the response fact gives the same value.
with

recomputed as (
    select
        response_month,
        round(
            100.0 * (
                sum(case when nps_category = 'promoter' then 1 else 0 end)
                - sum(case when nps_category = 'detractor' then 1 else 0 end)
            ) / nullif(count(nps), 0),
            1
        ) as nps
    from {{ ref('fct_survey_responses') }}
    group by response_month
),

monthly as (
    select
        response_month,
        nps
    from {{ ref('satisfaction_monthly') }}
    where dimension_type = 'all'
)

select
    recomputed.response_month,
    recomputed.nps as recomputed_nps,
    monthly.nps as monthly_nps
from recomputed
full outer join monthly on recomputed.response_month = monthly.response_month
where
    recomputed.response_month is null
    or monthly.response_month is null
    or coalesce(recomputed.nps, -999) <> coalesce(monthly.nps, -999)
