-- One row per touch type: which touches appear in the 30 days before a member's last
-- purchase, for members who then lapsed (no purchase in the 90 days up to the as-of date)
-- and for retained members (a purchase in those 90 days), as the share of members of each
-- group with at least one such touch.
with

sales_lines as (
    select * from {{ ref('int_sales_lines') }}
    where not is_return and member_id is not null
),

touchpoints as (
    select * from {{ ref('fct_touchpoints') }}
    where member_id is not null
),

as_of as (
    select max(sales_date) as as_of_date from {{ ref('int_sales_lines') }}
),

purchases as (
    select
        purchase_id,
        member_id,
        min(sold_at) as purchase_at,
        min(sales_date) as purchase_date
    from sales_lines
    group by purchase_id, member_id
),

ranked_purchases as (
    select
        *,
        row_number() over (
            partition by member_id
            order by purchase_at desc, purchase_id desc
        ) as recency_rank
    from purchases
),

last_purchases as (
    select
        ranked_purchases.member_id,
        ranked_purchases.purchase_id as last_purchase_id,
        ranked_purchases.purchase_at as last_purchase_at,
        ranked_purchases.purchase_date as last_purchase_date,
        -- active = a purchase in the 90 days up to the as-of date, as in programme_kpis_daily
        ranked_purchases.purchase_date
        <= cast({{ dbt.dateadd('day', -90, 'as_of.as_of_date') }} as date) as is_churned
    from ranked_purchases
    cross join as_of
    where ranked_purchases.recency_rank = 1
),

member_groups as (
    select
        sum(case when is_churned then 1 else 0 end) as churned_members,
        sum(case when is_churned then 0 else 1 end) as retained_members
    from last_purchases
),

touches_before_last_purchase as (
    -- touches of the 30 days before the last purchase, other than its own records
    select distinct
        last_purchases.member_id,
        last_purchases.is_churned,
        touchpoints.touch_type
    from last_purchases
    inner join touchpoints on last_purchases.member_id = touchpoints.member_id
    where
        touchpoints.touch_at < last_purchases.last_purchase_at
        and touchpoints.touch_date
        >= cast({{ dbt.dateadd('day', -30, 'last_purchases.last_purchase_date') }} as date)
        and (
            touchpoints.purchase_id is null
            or touchpoints.purchase_id <> last_purchases.last_purchase_id
        )
),

by_touch_type as (
    select
        touch_type,
        sum(case when is_churned then 1 else 0 end) as churned_members_with_touch,
        sum(case when is_churned then 0 else 1 end) as retained_members_with_touch
    from touches_before_last_purchase
    group by touch_type
),

final as (
    select
        -- keys
        by_touch_type.touch_type,
        -- counts
        by_touch_type.churned_members_with_touch,
        member_groups.churned_members,
        by_touch_type.retained_members_with_touch,
        member_groups.retained_members,
        -- shares
        cast(by_touch_type.churned_members_with_touch as double)
        / nullif(member_groups.churned_members, 0) as churned_share,
        cast(by_touch_type.retained_members_with_touch as double)
        / nullif(member_groups.retained_members, 0) as retained_share,
        cast(by_touch_type.churned_members_with_touch as double)
        / nullif(member_groups.churned_members, 0)
        - cast(by_touch_type.retained_members_with_touch as double)
        / nullif(member_groups.retained_members, 0) as churned_minus_retained_share
    from by_touch_type
    cross join member_groups
)

select * from final
