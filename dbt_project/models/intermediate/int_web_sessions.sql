-- One row per web/app session: what the visitor did, how far down the purchase funnel the
-- session got, and who the visitor is. A table rebuilt on every run (not a view: its tests
-- and the models reading it would each sessionise every web event again), so that a device
-- cookie linked to a member by a later login gets that member on all its earlier sessions
-- at the next build.
{{ config(materialized='table') }}
with

events as (
    select * from {{ ref('stg_online__events') }}
),

identifiers as (
    select
        identifier_type,
        identifier_value,
        member_id
    from {{ ref('int_identity_map') }}
    where identifier_type in ('online_account_id', 'device_id')
),

numbered as (
    -- the first event of a session carries its entry attributes (campaign, referrer)
    select
        *,
        row_number() over (
            partition by session_id
            order by event_at, event_id
        ) as event_number
    from events
),

sessions as (
    select
        -- ids
        session_id,
        max(case when event_number = 1 then anonymous_id end) as anonymous_id,
        max(account_id) as account_id,
        max(case when event_type = 'purchase' then order_id end) as order_id,
        -- attributes
        max(case when event_number = 1 then channel end) as channel,
        max(case when event_number = 1 then utm_source end) as utm_source,
        max(case when event_number = 1 then utm_medium end) as utm_medium,
        max(case when event_number = 1 then utm_campaign end) as utm_campaign,
        max(case when event_number = 1 then referrer end) as referrer,
        -- counts
        count(*) as events,
        sum(case when event_type = 'page_view' then 1 else 0 end) as page_views,
        sum(case when event_type = 'search' then 1 else 0 end) as searches,
        sum(case when event_type = 'product_view' then 1 else 0 end) as product_views,
        sum(case when event_type = 'compare' then 1 else 0 end) as compares,
        sum(case when event_type = 'add_to_cart' then 1 else 0 end) as add_to_carts,
        sum(case when event_type = 'checkout_start' then 1 else 0 end) as checkout_starts,
        sum(case when event_type = 'purchase' then 1 else 0 end) as purchases,
        sum(case when event_type = 'coupon_view' then 1 else 0 end) as coupon_views,
        -- timestamps
        min(event_at) as started_at,
        max(event_at) as ended_at,
        max(case when event_number = 1 then event_date end) as session_date
    from numbered
    group by session_id
),

identified as (
    select
        sessions.*,
        -- the logged-in account first, then the device cookie
        coalesce(account_links.member_id, device_links.member_id) as member_id
    from sessions
    left join identifiers as account_links
        on
            account_links.identifier_type = 'online_account_id'
            and sessions.account_id = account_links.identifier_value
    left join identifiers as device_links
        on
            device_links.identifier_type = 'device_id'
            and sessions.anonymous_id = device_links.identifier_value
),

final as (
    select
        -- ids
        session_id,
        anonymous_id,
        account_id,
        member_id,
        order_id,
        -- attributes
        channel,
        account_id is not null as is_logged_in,
        utm_source,
        utm_medium,
        utm_campaign,
        referrer,
        -- timestamps
        started_at,
        ended_at,
        session_date,
        {{ dbt.datediff('started_at', 'ended_at', 'second') }}
            as duration_seconds,
        -- counts
        events,
        page_views,
        searches,
        product_views,
        compares,
        add_to_carts,
        checkout_starts,
        purchases,
        coupon_views,
        -- funnel
        product_views > 0 as has_product_view,
        add_to_carts > 0 as has_add_to_cart,
        checkout_starts > 0 as has_checkout_start,
        purchases > 0 as has_purchase,
        case
            when purchases > 0 then 4
            when checkout_starts > 0 then 3
            when add_to_carts > 0 then 2
            when product_views > 0 then 1
            else 0
        end as funnel_step_number,
        case
            when purchases > 0 then 'purchase'
            when checkout_starts > 0 then 'checkout_start'
            when add_to_carts > 0 then 'add_to_cart'
            when product_views > 0 then 'product_view'
            else 'visit'
        end as funnel_stage_reached
    from identified
)

select * from final
