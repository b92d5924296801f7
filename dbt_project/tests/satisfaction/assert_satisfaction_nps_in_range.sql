-- the Dagster asset check belongs to satisfaction_monthly
{{ config(meta={'dagster': {'ref': {'name': 'satisfaction_monthly'}}}) }}

-- NPS is a difference of two shares: it lies between -100 and 100 wherever it is computed.
select
    'satisfaction_monthly' as checked_model,
    nps
from {{ ref('satisfaction_monthly') }}
where nps < -100 or nps > 100
union all
select
    'satisfaction_driver_analysis high raters' as checked_model,
    nps_high_raters as nps
from {{ ref('satisfaction_driver_analysis') }}
where nps_high_raters < -100 or nps_high_raters > 100
union all
select
    'satisfaction_driver_analysis low raters' as checked_model,
    nps_low_raters as nps
from {{ ref('satisfaction_driver_analysis') }}
where nps_low_raters < -100 or nps_low_raters > 100
