-- One row per month and held-tier move (from the tier held at the previous month end to the
-- tier held at this month end), with the number of members who made it.
with

member_months as (
    select * from {{ ref('fct_member_tier_monthly') }}
),

migrations as (
    select
        -- dates
        month_start_date,
        -- tiers
        previous_held_tier as from_tier,
        held_tier as to_tier,
        migration_direction,
        -- counts
        count(*) as members
    from member_months
    group by month_start_date, previous_held_tier, held_tier, migration_direction
),

final as (
    select
        *,
        -- share of the members who held from_tier a month earlier (null for new and opening rows)
        case
            when from_tier is not null
                then members * 1.0 / sum(members) over (partition by month_start_date, from_tier)
        end as share_of_from_tier
    from migrations
)

select * from final
