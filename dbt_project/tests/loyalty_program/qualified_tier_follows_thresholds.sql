-- the Dagster asset check belongs to fct_member_tier_monthly
{{ config(meta={'dagster': {'ref': {'name': 'fct_member_tier_monthly'}}}) }}

-- The qualified tier is the highest tier of reference.tier_rules whose threshold the rolling
-- 12-month spend reaches: its own threshold is reached (the lowest tier always qualifies)
-- and the next one is not. Checked for the member status and every member month.
with

tier_rules as (
    select * from {{ ref('tier_rules') }}
),

qualifications as (
    select
        member_id,
        as_of_date as measured_on,
        spend_12m,
        qualified_tier
    from {{ ref('int_member_tier_status') }}
    union all
    select
        member_id,
        period_end_date as measured_on,
        spend_12m,
        qualified_tier
    from {{ ref('fct_member_tier_monthly') }}
)

select
    qualifications.member_id,
    qualifications.measured_on,
    qualifications.spend_12m,
    qualifications.qualified_tier
from qualifications
left join tier_rules as own_rule on qualifications.qualified_tier = own_rule.tier
left join tier_rules as next_rule on own_rule.tier_rank + 1 = next_rule.tier_rank
where
    own_rule.tier is null
    or (own_rule.min_spend_12m > qualifications.spend_12m and own_rule.tier_rank > 1)
    or next_rule.min_spend_12m <= qualifications.spend_12m
