-- One row per local business day, from the first to the latest day with sales: membership,
-- activity, member share of sales, points flows and liability, coupon use and the tier
-- distribution. Stocks (enrolled, active, liability, tiers) are measured at the end of the
-- day; flows are the day's.
{%- set active_member_days = var('active_member_days', 90) %}
{%- set point_value = var('point_value', 0.01) %}
with

members as (
    select * from {{ ref('stg_crm__members') }}
),

member_versions as (
    select * from {{ ref('stg_crm__member_versions') }}
),

sales_lines as (
    select * from {{ ref('int_sales_lines') }}
),

ledger as (
    select * from {{ ref('fct_points_ledger') }}
),

orders as (
    select * from {{ ref('stg_online__orders') }}
    where not is_cancelled
),

bounds as (
    -- the first and the latest business day with sales: deterministic, no current_date
    select
        min(sales_date) as first_date,
        max(sales_date) as as_of_date
    from sales_lines
),

numbers as (
    -- up to 100 years of days
    {{ dbt.generate_series(36600) }}
),

day_numbers as (
    select
        cast({{ dbt.dateadd('day', 'numbers.generated_number - 1', 'bounds.first_date') }} as date) as kpi_date,
        bounds.as_of_date
    from numbers
    cross join bounds
),

days as (
    select kpi_date from day_numbers
    where kpi_date <= as_of_date
),

member_enrolments as (
    select cast({{ from_utc('enrolled_at', "'" ~ var('default_timezone') ~ "'") }} as date) as enrolled_date
    from members
),

enrolments as (
    select
        enrolled_date,
        count(*) as new_members
    from member_enrolments
    group by enrolled_date
),

enrolled as (
    select
        days.kpi_date,
        cast(sum(case when enrolments.enrolled_date = days.kpi_date then enrolments.new_members else 0 end) as bigint)
            as new_members,
        cast(sum(enrolments.new_members) as bigint) as members_enrolled
    from days
    inner join enrolments on days.kpi_date >= enrolments.enrolled_date
    group by days.kpi_date
),

member_purchase_days as (
    select distinct
        member_id,
        sales_date
    from sales_lines
    where member_id is not null and not is_return
),

purchase_days as (
    select
        member_id,
        sales_date,
        lead(sales_date) over (partition by member_id order by sales_date) as next_purchase_date
    from member_purchase_days
),

activity_spans as (
    -- A member is active on a day with a purchase in the trailing window. Each purchase day
    -- keeps the member active until the window runs out or the next purchase day takes
    -- over, so a member's spans never overlap and a running sum of starts and ends counts
    -- the active members of every day (no expansion of purchase days x window).
    select
        member_id,
        sales_date as active_from,
        cast({{ dbt.dateadd('day', active_member_days - 1, 'sales_date') }} as date) as window_end_date,
        cast({{ dbt.dateadd('day', -1, 'next_purchase_date') }} as date) as day_before_next_purchase
    from purchase_days
),

activity_ends as (
    select
        active_from,
        least(window_end_date, coalesce(day_before_next_purchase, window_end_date)) as active_to
    from activity_spans
),

active_changes as (
    select
        change_date,
        sum(member_change) as net_change
    from (
        select
            active_from as change_date,
            1 as member_change
        from activity_ends
        union all
        select
            cast({{ dbt.dateadd('day', 1, 'active_to') }} as date) as change_date,
            -1 as member_change
        from activity_ends
    ) as changes
    group by change_date
),

active as (
    select
        days.kpi_date,
        cast(sum(coalesce(active_changes.net_change, 0)) over (
            order by days.kpi_date rows between unbounded preceding and current row
        ) as bigint) as active_members
    from days
    left join active_changes on days.kpi_date = active_changes.change_date
),

sales as (
    select
        sales_date as kpi_date,
        sum(net_amount) as net_sales,
        sum(case when member_id is not null then net_amount else 0 end) as member_net_sales
    from sales_lines
    group by sales_date
),

order_coupons as (
    select
        placed_date as kpi_date,
        count(*) as online_orders,
        cast(sum(case when coupon_code is not null then 1 else 0 end) as bigint) as online_orders_with_coupon
    from orders
    group by placed_date
),

points_by_day as (
    select
        entry_date,
        cast(sum(earned_points) as bigint) as points_earned,
        cast(-sum(redeemed_points) as bigint) as points_redeemed,
        cast(-sum(expired_points) as bigint) as points_expired,
        cast(sum(adjusted_points) as bigint) as points_adjusted,
        cast(sum(case when entry_type = 'redeem' then 1 else 0 end) as bigint) as redemptions,
        cast(sum(points) as bigint) as net_points
    from ledger
    group by entry_date
),

points_to_date as (
    -- cumulative from the start of the ledger, also entries dated before the first sales day
    select
        days.kpi_date,
        cast(sum(points_by_day.net_points) as bigint) as points_outstanding,
        cast(sum(points_by_day.points_earned) as bigint) as points_earned_to_date,
        cast(sum(points_by_day.points_redeemed) as bigint) as points_redeemed_to_date,
        cast(sum(points_by_day.points_expired) as bigint) as points_expired_to_date
    from days
    inner join points_by_day on days.kpi_date >= points_by_day.entry_date
    group by days.kpi_date
),

version_spans as (
    -- the version in force at the end of a day is the last one that starts on or before it
    select
        member_id,
        tier,
        member_status,
        valid_from_date,
        lead(valid_from_date) over (partition by member_id order by valid_from) as next_valid_from_date
    from member_versions
),

tier_distribution as (
    -- members with an active membership per held tier at the end of the day
    select
        days.kpi_date,
        cast(sum(case when version_spans.tier = 'regular' then 1 else 0 end) as bigint) as members_regular,
        cast(sum(case when version_spans.tier = 'silver' then 1 else 0 end) as bigint) as members_silver,
        cast(sum(case when version_spans.tier = 'gold' then 1 else 0 end) as bigint) as members_gold,
        cast(sum(case when version_spans.tier = 'platinum' then 1 else 0 end) as bigint) as members_platinum
    from days
    inner join version_spans
        on
            days.kpi_date >= version_spans.valid_from_date
            and (version_spans.next_valid_from_date is null or days.kpi_date < version_spans.next_valid_from_date)
    where version_spans.member_status = 'active'
    group by days.kpi_date
),

final as (
    select
        -- dates
        days.kpi_date,
        -- membership
        coalesce(enrolled.members_enrolled, 0) as members_enrolled,
        coalesce(enrolled.new_members, 0) as new_members,
        coalesce(enrolled.new_members, 0)
        / nullif(coalesce(enrolled.members_enrolled, 0) - coalesce(enrolled.new_members, 0), 0)
            as member_growth_rate,
        coalesce(active.active_members, 0) as active_members,
        coalesce(active.active_members, 0) / nullif(enrolled.members_enrolled, 0) as active_member_rate,
        -- the trailing window lies inside the data (earlier days undercount active members)
        days.kpi_date
        >= {{ dbt.dateadd('day', active_member_days - 1, 'bounds.first_date') }} as has_full_activity_window,
        -- sales contribution
        coalesce(sales.net_sales, 0) as net_sales,
        coalesce(sales.member_net_sales, 0) as member_net_sales,
        sales.member_net_sales / nullif(sales.net_sales, 0) as member_share_of_sales,
        -- points flows (positive numbers; adjustments signed)
        coalesce(points_by_day.points_earned, 0) as points_earned,
        coalesce(points_by_day.points_redeemed, 0) as points_redeemed,
        coalesce(points_by_day.points_expired, 0) as points_expired,
        coalesce(points_by_day.points_adjusted, 0) as points_adjusted,
        coalesce(points_by_day.redemptions, 0) as redemptions,
        -- points stock and ratios to date
        coalesce(points_to_date.points_outstanding, 0) as points_outstanding,
        coalesce(points_to_date.points_outstanding, 0) * {{ point_value }} as points_liability_amount,
        points_to_date.points_redeemed_to_date
        / nullif(points_to_date.points_earned_to_date, 0) as redemption_rate_to_date,
        points_to_date.points_expired_to_date
        / nullif(points_to_date.points_earned_to_date, 0) as breakage_rate_to_date,
        -- benefit use
        coalesce(order_coupons.online_orders, 0) as online_orders,
        coalesce(order_coupons.online_orders_with_coupon, 0) as online_orders_with_coupon,
        order_coupons.online_orders_with_coupon / nullif(order_coupons.online_orders, 0) as coupon_usage_rate,
        -- tier distribution at the end of the day
        coalesce(tier_distribution.members_regular, 0) as members_regular,
        coalesce(tier_distribution.members_silver, 0) as members_silver,
        coalesce(tier_distribution.members_gold, 0) as members_gold,
        coalesce(tier_distribution.members_platinum, 0) as members_platinum
    from days
    cross join bounds
    left join enrolled on days.kpi_date = enrolled.kpi_date
    left join active on days.kpi_date = active.kpi_date
    left join sales on days.kpi_date = sales.kpi_date
    left join order_coupons on days.kpi_date = order_coupons.kpi_date
    left join points_by_day on days.kpi_date = points_by_day.entry_date
    left join points_to_date on days.kpi_date = points_to_date.kpi_date
    left join tier_distribution on days.kpi_date = tier_distribution.kpi_date
)

select * from final
