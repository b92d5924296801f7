-- the Dagster asset check belongs to tier_nudges
{{ config(meta={'dagster': {'ref': {'name': 'tier_nudges'}}}) }}

-- A move_up nudge is within the next tier's nudge threshold and points above the held tier;
-- an about_to_drop nudge keeps the held tier, and the member would lose it in 30 days.
with

tier_rules as (
    select * from {{ ref('tier_rules') }}
)

select
    nudges.member_id,
    nudges.nudge_type,
    nudges.target_tier,
    nudges.amount_to_spend
from {{ ref('tier_nudges') }} as nudges
inner join tier_rules as target_rule on nudges.target_tier = target_rule.tier
inner join tier_rules as held_rule on nudges.tier_held = held_rule.tier
inner join tier_rules as in_30d_rule on nudges.qualified_tier_in_30d = in_30d_rule.tier
where
    nudges.amount_to_spend <= 0
    or (
        nudges.nudge_type = 'move_up'
        and (
            nudges.amount_to_spend > target_rule.move_up_nudge_within
            or target_rule.tier_rank <= held_rule.tier_rank
        )
    )
    or (
        nudges.nudge_type = 'about_to_drop'
        and (nudges.target_tier != nudges.tier_held or in_30d_rule.tier_rank >= held_rule.tier_rank)
    )
