-- Read by dim_members, tier_nudges and the programme KPIs, and it scans every sales line:
-- a table, so the 12-month spend is computed once per build.
{{ config(materialized='table') }}

-- One row per member: rolling 12-month spend (365 days to the as-of date, till and online,
-- net of returns), the tier it qualifies for under the editable tier rules, the tier the
-- engine holds, the gap to the next tier, what drops out of the window in the next 30 days,
-- and the points balance.
with

members as (
    select * from {{ ref('stg_crm__members') }}
),

sales_lines as (
    select * from {{ ref('int_sales_lines') }}
),

points_entries as (
    select * from {{ ref('stg_crm__points_entries') }}
),

tier_rules as (
    select * from {{ ref('tier_rules') }}
),

as_of as (
    -- the latest business day with sales: a rebuild of the same data gives the same table
    select max(sales_date) as as_of_date from sales_lines
),

spend as (
    select
        sales_lines.member_id,
        sum(sales_lines.net_amount) as spend_12m,
        count(distinct case when not sales_lines.is_return then sales_lines.purchase_id end) as purchases_12m,
        -- bought 335-365 days ago: leaves the 12-month window within the next 30 days
        sum(
            case
                when sales_lines.sales_date <= {{ dbt.dateadd('day', -335, 'as_of.as_of_date') }}
                    then sales_lines.net_amount
                else 0
            end
        ) as spend_leaving_window_30d
    from sales_lines
    cross join as_of
    where
        sales_lines.member_id is not null
        and sales_lines.sales_date > {{ dbt.dateadd('day', -365, 'as_of.as_of_date') }}
        and sales_lines.sales_date <= as_of.as_of_date
    group by sales_lines.member_id
),

points as (
    select
        member_id,
        cast(sum(points) as bigint) as points_balance
    from points_entries
    group by member_id
),

member_spend as (
    select
        members.member_id,
        members.tier as tier_held,
        members.member_status,
        members.has_marketing_consent,
        as_of.as_of_date,
        coalesce(spend.spend_12m, 0) as spend_12m,
        coalesce(spend.purchases_12m, 0) as purchases_12m,
        coalesce(spend.spend_leaving_window_30d, 0) as spend_leaving_window_30d,
        coalesce(spend.spend_12m, 0) - coalesce(spend.spend_leaving_window_30d, 0) as spend_12m_in_30d,
        coalesce(points.points_balance, 0) as points_balance
    from members
    cross join as_of
    left join spend on members.member_id = spend.member_id
    left join points on members.member_id = points.member_id
),

qualified as (
    -- highest tier whose threshold the spend reaches, now and in 30 days without purchases
    -- (the lowest tier always qualifies, also with net refunds)
    select
        member_spend.member_id,
        max(
            case
                when tier_rules.min_spend_12m <= member_spend.spend_12m or tier_rules.tier_rank = 1
                    then tier_rules.tier_rank
            end
        ) as qualified_tier_rank,
        max(
            case
                when tier_rules.min_spend_12m <= member_spend.spend_12m_in_30d or tier_rules.tier_rank = 1
                    then tier_rules.tier_rank
            end
        ) as qualified_tier_rank_in_30d
    from member_spend
    cross join tier_rules
    group by member_spend.member_id
),

final as (
    select
        -- ids
        member_spend.member_id,
        -- dates
        member_spend.as_of_date,
        -- spend
        member_spend.spend_12m,
        member_spend.purchases_12m,
        -- tiers
        qualified_tier.tier as qualified_tier,
        qualified.qualified_tier_rank,
        member_spend.tier_held,
        held_tier.tier_rank as tier_held_rank,
        qualified.qualified_tier_rank - held_tier.tier_rank as tier_gap,
        next_tier.tier as next_tier,
        next_tier.min_spend_12m - member_spend.spend_12m as spend_to_next_tier,
        next_tier.move_up_nudge_within as next_tier_nudge_within,
        -- the next 30 days if the member buys nothing
        member_spend.spend_leaving_window_30d,
        member_spend.spend_12m_in_30d,
        tier_in_30d.tier as qualified_tier_in_30d,
        qualified.qualified_tier_rank_in_30d,
        -- programme
        member_spend.member_status,
        member_spend.has_marketing_consent,
        member_spend.points_balance
    from member_spend
    inner join qualified on member_spend.member_id = qualified.member_id
    left join tier_rules as qualified_tier on qualified.qualified_tier_rank = qualified_tier.tier_rank
    left join tier_rules as held_tier on member_spend.tier_held = held_tier.tier
    left join tier_rules as next_tier on qualified.qualified_tier_rank + 1 = next_tier.tier_rank
    left join tier_rules as tier_in_30d on qualified.qualified_tier_rank_in_30d = tier_in_30d.tier_rank
)

select * from final
