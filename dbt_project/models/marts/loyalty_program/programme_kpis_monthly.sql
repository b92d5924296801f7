-- One row per calendar month, from the first to the as-of month: flows are the month's sums
-- of programme_kpis_daily, stocks (enrolled, active, liability, tiers) are taken at the
-- month's last day in the data, and retention follows last month's active members into this
-- month.
{%- set active_member_days = var('active_member_days', 90) %}
with

daily as (
    select
        *,
        cast({{ dbt.date_trunc('month', 'kpi_date') }} as date) as month_start_date
    from {{ ref('programme_kpis_daily') }}
),

sales_lines as (
    select * from {{ ref('int_sales_lines') }}
),

month_flows as (
    select
        month_start_date,
        max(kpi_date) as period_end_date,
        count(*) as days_in_data,
        cast(sum(new_members) as bigint) as new_members,
        sum(net_sales) as net_sales,
        sum(member_net_sales) as member_net_sales,
        cast(sum(points_earned) as bigint) as points_earned,
        cast(sum(points_redeemed) as bigint) as points_redeemed,
        cast(sum(points_expired) as bigint) as points_expired,
        cast(sum(points_adjusted) as bigint) as points_adjusted,
        cast(sum(redemptions) as bigint) as redemptions,
        cast(sum(online_orders) as bigint) as online_orders,
        cast(sum(online_orders_with_coupon) as bigint) as online_orders_with_coupon
    from daily
    group by month_start_date
),

month_end_stocks as (
    select
        daily.month_start_date,
        daily.members_enrolled,
        daily.active_members,
        daily.has_full_activity_window,
        daily.points_outstanding,
        daily.points_liability_amount,
        daily.redemption_rate_to_date,
        daily.breakage_rate_to_date,
        daily.members_regular,
        daily.members_silver,
        daily.members_gold,
        daily.members_platinum
    from daily
    inner join month_flows
        on
            daily.month_start_date = month_flows.month_start_date
            and daily.kpi_date = month_flows.period_end_date
),

member_purchase_days as (
    select distinct
        member_id,
        sales_date
    from sales_lines
    where member_id is not null and not is_return
),

member_months as (
    -- one row per month and member active at the period end (a purchase in the trailing
    -- window, as in programme_kpis_daily), flagging those who bought during the month
    select
        month_flows.month_start_date,
        member_purchase_days.member_id,
        max(case when member_purchase_days.sales_date >= month_flows.month_start_date then 1 else 0 end)
            as has_bought
    from month_flows
    inner join member_purchase_days
        on
            month_flows.period_end_date >= member_purchase_days.sales_date
            and member_purchase_days.sales_date
            > {{ dbt.dateadd('day', -active_member_days, 'month_flows.period_end_date') }}
    group by month_flows.month_start_date, member_purchase_days.member_id
),

retention as (
    -- of the members active at the end of last month, those who bought again this month
    -- (buying in the month, not "active at the month end": the 90-day windows of two month
    -- ends overlap by 60 days, which would count most members as retained by construction)
    select
        this_month.month_start_date,
        cast(sum(this_month.has_bought) as bigint) as purchasing_members,
        cast(sum(case when last_month.member_id is not null then this_month.has_bought else 0 end) as bigint)
            as retained_active_members
    from member_months as this_month
    left join member_months as last_month
        on
            this_month.member_id = last_month.member_id
            and last_month.month_start_date
            = cast({{ dbt.dateadd('month', -1, 'this_month.month_start_date') }} as date)
    group by this_month.month_start_date
),

final as (
    select
        -- dates
        month_flows.month_start_date,
        month_flows.period_end_date,
        month_flows.days_in_data,
        -- membership
        month_end_stocks.members_enrolled,
        month_flows.new_members,
        month_flows.new_members
        / nullif(month_end_stocks.members_enrolled - month_flows.new_members, 0) as member_growth_rate,
        month_end_stocks.active_members,
        month_end_stocks.active_members / nullif(month_end_stocks.members_enrolled, 0) as active_member_rate,
        month_end_stocks.has_full_activity_window,
        coalesce(retention.purchasing_members, 0) as purchasing_members,
        lag(month_end_stocks.active_members) over (order by month_flows.month_start_date)
            as previous_active_members,
        coalesce(retention.retained_active_members, 0) as retained_active_members,
        coalesce(retention.retained_active_members, 0)
        / nullif(lag(month_end_stocks.active_members) over (order by month_flows.month_start_date), 0)
            as retention_rate,
        -- sales contribution
        month_flows.net_sales,
        month_flows.member_net_sales,
        month_flows.member_net_sales / nullif(month_flows.net_sales, 0) as member_share_of_sales,
        -- points flows
        month_flows.points_earned,
        month_flows.points_redeemed,
        month_flows.points_expired,
        month_flows.points_adjusted,
        month_flows.redemptions,
        month_flows.points_redeemed / nullif(month_flows.points_earned, 0) as redemption_rate,
        -- points stock and ratios to date
        month_end_stocks.points_outstanding,
        month_end_stocks.points_liability_amount,
        month_end_stocks.redemption_rate_to_date,
        month_end_stocks.breakage_rate_to_date,
        -- benefit use
        month_flows.online_orders,
        month_flows.online_orders_with_coupon,
        month_flows.online_orders_with_coupon / nullif(month_flows.online_orders, 0) as coupon_usage_rate,
        -- tier distribution at the period end
        month_end_stocks.members_regular,
        month_end_stocks.members_silver,
        month_end_stocks.members_gold,
        month_end_stocks.members_platinum
    from month_flows
    inner join month_end_stocks on month_flows.month_start_date = month_end_stocks.month_start_date
    left join retention on month_flows.month_start_date = retention.month_start_date
)

select * from final
