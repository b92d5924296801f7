-- The nudge list: one row per active member who is close to the next tier up ("120 away
-- from gold") or whose held tier lapses within 30 days if they buy nothing ("gold lapses in
-- 30 days"). A member in both situations gets the lapse nudge: keeping a tier comes first.
with

tier_status as (
    select * from {{ ref('int_member_tier_status') }}
    where member_status = 'active'
),

tier_rules as (
    select * from {{ ref('tier_rules') }}
),

candidates as (
    select
        tier_status.*,
        held_rule.min_spend_12m as held_tier_min_spend_12m,
        tier_status.qualified_tier_rank_in_30d < tier_status.tier_held_rank as is_about_to_drop,
        coalesce(
            tier_status.qualified_tier_rank + 1 > tier_status.tier_held_rank
            and tier_status.spend_to_next_tier <= tier_status.next_tier_nudge_within,
            false
        ) as is_close_to_next_tier
    from tier_status
    inner join tier_rules as held_rule on tier_status.tier_held = held_rule.tier
),

nudges as (
    select
        member_id,
        as_of_date,
        case when is_about_to_drop then 'about_to_drop' else 'move_up' end as nudge_type,
        tier_held,
        qualified_tier,
        qualified_tier_in_30d,
        case when is_about_to_drop then tier_held else next_tier end as target_tier,
        spend_12m,
        spend_leaving_window_30d,
        -- what to spend: to reach the next tier, or to still qualify for the held tier in 30 days
        case
            when is_about_to_drop then held_tier_min_spend_12m - spend_12m_in_30d
            else spend_to_next_tier
        end as amount_to_spend,
        case
            when is_about_to_drop then cast({{ dbt.dateadd('day', 30, 'as_of_date') }} as date)
        end as lapse_date,
        has_marketing_consent,
        points_balance
    from candidates
    where is_about_to_drop or is_close_to_next_tier
),

final as (
    select
        -- ids
        member_id,
        -- nudge
        nudge_type,
        target_tier,
        amount_to_spend,
        case
            when nudge_type = 'about_to_drop'
                then {{ dbt.concat([
                    'tier_held',
                    "' lapses in 30 days, '",
                    'cast(cast(ceil(amount_to_spend) as bigint) as ' ~ dbt.type_string() ~ ')',
                    "' to keep it'",
                ]) }}
            else {{ dbt.concat([
                'cast(cast(ceil(amount_to_spend) as bigint) as ' ~ dbt.type_string() ~ ')',
                "' away from '",
                'target_tier',
            ]) }}
        end as nudge_message,
        lapse_date,
        -- the spend already qualifies below the held tier: the engine's next review lowers it
        -- unless the member buys (the rest lose the tier only as old spend leaves the window)
        coalesce(nudge_type = 'about_to_drop' and qualified_tier != tier_held, false) as is_below_held_tier_now,
        -- tiers and spend
        tier_held,
        qualified_tier,
        qualified_tier_in_30d,
        spend_12m,
        spend_leaving_window_30d,
        points_balance,
        -- contact
        has_marketing_consent,
        -- dates
        as_of_date
    from nudges
)

select * from final
