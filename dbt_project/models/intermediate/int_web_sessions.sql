-- One row per web/app session: what the visitor did, how far down the purchase funnel the
-- session got, and who the visitor is. The sessions come from int_web_session_activity
-- (incremental); the member is looked up again at every build, so that a device cookie
-- linked to a member by a later login gets that member on all its earlier sessions.
{{ config(materialized='table') }}
with

sessions as (
    select * from {{ ref('int_web_session_activity') }}
),

identifiers as (
    select
        identifier_type,
        identifier_value,
        member_id
    from {{ ref('int_identity_map') }}
    where identifier_type in ('online_account_id', 'device_id')
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
