-- One row per first-purchase cohort (month) and month since the first purchase: how many
-- of the cohort's members bought again in that month. Feeds the cohort-retention heatmap.
with

daily as (
    select * from {{ ref('fct_member_daily_sales') }}
    where purchases > 0
),

first_purchases as (
    select
        member_id,
        cast({{ dbt.date_trunc('month', 'min(sales_date)') }} as date) as cohort_month
    from daily
    group by 1
),

active_months as (
    select distinct
        member_id,
        cast({{ dbt.date_trunc('month', 'sales_date') }} as date) as activity_month
    from daily
),

data_start as (
    select cast({{ dbt.date_trunc('month', 'min(sales_date)') }} as date) as first_data_month
    from daily
),

cohort_sizes as (
    select
        cohort_month,
        count(*) as cohort_members
    from first_purchases
    group by 1
),

activity as (
    select
        first_purchases.cohort_month,
        {{ dbt.datediff('first_purchases.cohort_month', 'active_months.activity_month', 'month') }}
            as months_since_first_purchase,
        count(distinct active_months.member_id) as active_members
    from first_purchases
    inner join active_months on first_purchases.member_id = active_months.member_id
    group by 1, 2
),

final as (
    select
        -- keys
        activity.cohort_month,
        activity.months_since_first_purchase,
        -- counts
        cohort_sizes.cohort_members,
        activity.active_members,
        -- rates
        cast(activity.active_members as double) / cohort_sizes.cohort_members as retention_rate,
        -- members who bought before the data starts fall into the first month's cohort
        activity.cohort_month = data_start.first_data_month as is_left_censored
    from activity
    inner join cohort_sizes on activity.cohort_month = cohort_sizes.cohort_month
    cross join data_start
)

select * from final
