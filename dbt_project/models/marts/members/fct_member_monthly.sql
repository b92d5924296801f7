-- One row per member per calendar month from the month they enrolled (or the first month
-- of data) to the as-of month: activity, spend, channel mix, points and tier.
with

members as (
    select
        member_id,
        cast({{ from_utc('enrolled_at', "'" ~ var('default_timezone') ~ "'") }} as date) as enrolled_date
    from {{ ref('stg_crm__members') }}
),

daily as (
    select * from {{ ref('fct_member_daily_sales') }}
),

lines as (
    select * from {{ ref('int_sales_lines') }}
    where member_id is not null
),

points as (
    select * from {{ ref('fct_points_ledger') }}
),

tiers as (
    select * from {{ ref('fct_member_tier_monthly') }}
),

months as (
    -- every month with trading (a retailer sells every month; a month without any sale
    -- would have no activity to report)
    select distinct cast({{ dbt.date_trunc('month', 'sales_date') }} as date) as month_start_date
    from lines
),

member_months as (
    select
        members.member_id,
        months.month_start_date
    from members
    cross join months
    where months.month_start_date >= cast({{ dbt.date_trunc('month', 'members.enrolled_date') }} as date)
),

sales as (
    select
        member_id,
        cast({{ dbt.date_trunc('month', 'sales_date') }} as date) as month_start_date,
        sum(purchases) as purchases,
        sum(store_purchases) as store_purchases,
        sum(online_purchases) as online_purchases,
        sum(return_events) as return_events,
        sum(gross_spend) as gross_spend,
        sum(refunded_amount) as refunded_amount,
        sum(net_spend) as net_spend,
        -- one daily row per member and day: counting rows counts days
        count(case when purchases > 0 then 1 end) as active_days
    from daily
    group by 1, 2
),

channel_spend as (
    select
        member_id,
        cast({{ dbt.date_trunc('month', 'sales_date') }} as date) as month_start_date,
        sum(case when sales_channel = 'store' and not is_return then net_amount else 0 end) as store_gross_spend,
        sum(case when sales_channel = 'web' and not is_return then net_amount else 0 end) as web_gross_spend,
        sum(case when sales_channel = 'app' and not is_return then net_amount else 0 end) as app_gross_spend
    from lines
    group by 1, 2
),

points_monthly as (
    select
        member_id,
        cast({{ dbt.date_trunc('month', 'entry_date') }} as date) as month_start_date,
        sum(earned_points) as earned_points,
        -sum(redeemed_points) as redeemed_points,
        -sum(expired_points) as expired_points
    from points
    group by 1, 2
),

final as (
    select
        -- ids
        member_months.member_id,
        -- dates
        member_months.month_start_date,
        -- activity
        coalesce(sales.purchases, 0) > 0 as is_active,
        coalesce(sales.active_days, 0) as active_days,
        coalesce(sales.purchases, 0) as purchases,
        coalesce(sales.store_purchases, 0) as store_purchases,
        coalesce(sales.online_purchases, 0) as online_purchases,
        coalesce(sales.return_events, 0) as return_events,
        -- amounts
        coalesce(sales.gross_spend, 0) as gross_spend,
        coalesce(sales.refunded_amount, 0) as refunded_amount,
        coalesce(sales.net_spend, 0) as net_spend,
        -- channel mix: share of the month's gross spend
        channel_spend.store_gross_spend / nullif(sales.gross_spend, 0) as store_spend_share,
        channel_spend.web_gross_spend / nullif(sales.gross_spend, 0) as web_spend_share,
        channel_spend.app_gross_spend / nullif(sales.gross_spend, 0) as app_spend_share,
        -- points
        coalesce(points_monthly.earned_points, 0) as points_earned,
        coalesce(points_monthly.redeemed_points, 0) as points_redeemed,
        coalesce(points_monthly.expired_points, 0) as points_expired,
        -- tier at the end of the month
        tiers.held_tier as tier_held_at_month_end,
        tiers.qualified_tier as tier_qualified_at_month_end
    from member_months
    left join sales
        on
            member_months.member_id = sales.member_id
            and member_months.month_start_date = sales.month_start_date
    left join channel_spend
        on
            member_months.member_id = channel_spend.member_id
            and member_months.month_start_date = channel_spend.month_start_date
    left join points_monthly
        on
            member_months.member_id = points_monthly.member_id
            and member_months.month_start_date = points_monthly.month_start_date
    left join tiers
        on
            member_months.member_id = tiers.member_id
            and member_months.month_start_date = tiers.month_start_date
)

select * from final
