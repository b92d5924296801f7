-- One row per member per month, from the member's enrolment month (or the first month with
-- data) to the as-of month: the tier the engine held at the month end, the tier the rolling
-- 12-month spend qualified for at the month end, both a month earlier, and the move.
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

tier_rules as (
    select * from {{ ref('tier_rules') }}
),

bounds as (
    -- the first and the latest business day with sales: deterministic, no current_date
    select
        cast({{ dbt.date_trunc('month', 'min(sales_date)') }} as date) as first_month_start_date,
        max(sales_date) as as_of_date
    from sales_lines
),

numbers as (
    -- up to 100 years of months
    {{ dbt.generate_series(1200) }}
),

month_numbers as (
    select
        cast({{ dbt.dateadd('month', 'numbers.generated_number - 1', 'bounds.first_month_start_date') }} as date)
            as month_start_date,
        bounds.as_of_date
    from numbers
    cross join bounds
),

months as (
    select * from month_numbers
    where month_start_date <= as_of_date
),

member_enrolments as (
    select
        member_id,
        cast({{ from_utc('enrolled_at', "'" ~ var('default_timezone') ~ "'") }} as date) as enrolled_date
    from members
),

member_starts as (
    select
        member_id,
        cast({{ dbt.date_trunc('month', 'enrolled_date') }} as date) as enrolment_month_start_date
    from member_enrolments
),

member_months as (
    select
        member_starts.member_id,
        member_starts.enrolment_month_start_date,
        months.month_start_date,
        cast({{ dbt.last_day('months.month_start_date', 'month') }} as date) as month_end_date,
        -- the as-of month is measured at the as-of date, not at its calendar end
        least(cast({{ dbt.last_day('months.month_start_date', 'month') }} as date), months.as_of_date)
            as period_end_date
    from member_starts
    inner join months on member_starts.enrolment_month_start_date <= months.month_start_date
),

ranked_versions as (
    -- the register version in force at the end of each month
    select
        member_months.member_id,
        member_months.month_start_date,
        member_versions.tier,
        member_versions.member_status,
        row_number() over (
            partition by member_months.member_id, member_months.month_start_date
            order by member_versions.valid_from desc
        ) as version_rank
    from member_months
    inner join member_versions
        on
            member_months.member_id = member_versions.member_id
            and member_months.period_end_date >= member_versions.valid_from_date
),

daily_spend as (
    -- the member's net spend and purchases per day, as fct_member_daily_sales counts them
    -- (aggregating the sales lines here again cost 5 of this model's 12.5 CPU-s)
    select
        member_id,
        sales_date,
        net_spend,
        purchases
    from {{ ref('fct_member_daily_sales') }}
),

rolling_spend as (
    -- rolling 12 months = the 365 days up to the period end, as in int_member_tier_status
    select
        member_months.member_id,
        member_months.month_start_date,
        sum(daily_spend.net_spend) as spend_12m,
        cast(sum(daily_spend.purchases) as bigint) as purchases_12m,
        sum(
            case
                when daily_spend.sales_date >= member_months.month_start_date then daily_spend.net_spend else 0
            end
        ) as spend_in_month
    from member_months
    inner join daily_spend
        on
            member_months.member_id = daily_spend.member_id
            and daily_spend.sales_date > {{ dbt.dateadd('day', -365, 'member_months.period_end_date') }}
            and member_months.period_end_date >= daily_spend.sales_date
    group by member_months.member_id, member_months.month_start_date
),

month_status as (
    select
        member_months.member_id,
        member_months.enrolment_month_start_date,
        member_months.month_start_date,
        member_months.month_end_date,
        member_months.period_end_date,
        ranked_versions.tier as held_tier,
        ranked_versions.member_status,
        coalesce(rolling_spend.spend_in_month, 0) as spend_in_month,
        coalesce(rolling_spend.spend_12m, 0) as spend_12m,
        coalesce(rolling_spend.purchases_12m, 0) as purchases_12m
    from member_months
    left join ranked_versions
        on
            member_months.member_id = ranked_versions.member_id
            and member_months.month_start_date = ranked_versions.month_start_date
            and ranked_versions.version_rank = 1
    left join rolling_spend
        on
            member_months.member_id = rolling_spend.member_id
            and member_months.month_start_date = rolling_spend.month_start_date
),

qualified as (
    -- the highest tier whose threshold the spend reaches (the lowest tier always qualifies)
    select
        month_status.member_id,
        month_status.month_start_date,
        max(
            case
                when tier_rules.min_spend_12m <= month_status.spend_12m or tier_rules.tier_rank = 1
                    then tier_rules.tier_rank
            end
        ) as qualified_tier_rank
    from month_status
    cross join tier_rules
    group by month_status.member_id, month_status.month_start_date
),

tiers as (
    select
        month_status.*,
        held_rule.tier_rank as held_tier_rank,
        qualified_rule.tier as qualified_tier,
        qualified.qualified_tier_rank
    from month_status
    inner join qualified
        on
            month_status.member_id = qualified.member_id
            and month_status.month_start_date = qualified.month_start_date
    left join tier_rules as held_rule on month_status.held_tier = held_rule.tier
    left join tier_rules as qualified_rule on qualified.qualified_tier_rank = qualified_rule.tier_rank
),

with_previous as (
    select
        *,
        lag(held_tier) over (partition by member_id order by month_start_date) as previous_held_tier,
        lag(held_tier_rank) over (partition by member_id order by month_start_date) as previous_held_tier_rank,
        lag(qualified_tier) over (partition by member_id order by month_start_date) as previous_qualified_tier,
        lag(qualified_tier_rank) over (partition by member_id order by month_start_date)
            as previous_qualified_tier_rank
    from tiers
),

final as (
    select
        -- ids
        member_id,
        -- dates
        month_start_date,
        month_end_date,
        period_end_date,
        -- tiers at the period end
        held_tier,
        held_tier_rank,
        qualified_tier,
        qualified_tier_rank,
        qualified_tier_rank - held_tier_rank as tier_gap,
        previous_held_tier,
        previous_qualified_tier,
        case
            when previous_held_tier_rank is null and month_start_date = enrolment_month_start_date then 'new'
            when previous_held_tier_rank is null then 'opening'
            when held_tier_rank > previous_held_tier_rank then 'up'
            when held_tier_rank < previous_held_tier_rank then 'down'
            else 'same'
        end as migration_direction,
        case
            when previous_qualified_tier_rank is null then null
            when qualified_tier_rank > previous_qualified_tier_rank then 'up'
            when qualified_tier_rank < previous_qualified_tier_rank then 'down'
            else 'same'
        end as qualified_migration_direction,
        -- spend
        spend_in_month,
        spend_12m,
        purchases_12m,
        -- programme
        member_status
    from with_previous
)

select * from final
