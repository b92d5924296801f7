-- One row per touch between a customer and the retailer, online and offline, on one
-- timeline per member. A table rebuilt on every run over the incremental staging models and
-- the identity map: a device cookie linked to a member by a later login, or a card
-- registered later, gives the member all its earlier touches at the next build (the
-- staging models are not reprocessed). It was a view: each of its ten tests and each of
-- the four models and two scoring queries reading it evaluated it again over every web event.
{{ config(materialized='table') }}

with

events as (
    select * from {{ ref('stg_online__events') }}
),

sessions as (
    select
        session_id,
        member_id,
        utm_source,
        utm_medium,
        utm_campaign
    from {{ ref('int_web_sessions') }}
),

sales_lines as (
    select * from {{ ref('int_sales_lines') }}
),

orders as (
    select * from {{ ref('stg_online__orders') }}
),

points_redemptions as (
    select * from {{ ref('stg_crm__points_entries') }}
    where entry_type = 'redeem'
),

survey_responses as (
    select * from {{ ref('fct_survey_responses') }}
),

account_members as (
    select
        identifier_value as account_id,
        member_id
    from {{ ref('int_identity_map') }}
    where identifier_type = 'online_account_id'
),

web_events as (
    select
        -- ids
        {{ dbt.concat(["'web_event:'", 'events.event_id']) }} as touchpoint_id,
        -- the session's member: its logged-in account, else its device cookie
        sessions.member_id,
        events.session_id,
        events.order_id as purchase_id,
        cast(null as {{ dbt.type_string() }}) as store_id,
        events.product_id,
        -- attributes
        'web_event' as touch_source,
        events.event_type as touch_type,
        events.channel,
        -- campaign that brought the session in (set on its first event)
        sessions.utm_source,
        sessions.utm_medium,
        sessions.utm_campaign,
        -- amounts
        cast(null as {{ dbt.type_numeric() }}) as net_amount,
        -- timestamps
        events.event_at as touch_at,
        events.event_date as touch_date
    from events
    left join sessions on events.session_id = sessions.session_id
),

till_receipts as (
    -- one touch per receipt, not per line; a receipt with only refund lines is a return
    select
        purchase_id,
        max(member_id) as member_id,
        max(store_id) as store_id,
        max(case when is_return then 0 else 1 end) as has_sale_line,
        sum(net_amount) as net_amount,
        min(sold_at) as sold_at,
        min(sales_date) as sales_date
    from sales_lines
    where sales_source = 'pos'
    group by purchase_id
),

till as (
    select
        {{ dbt.concat(["'till:'", 'purchase_id']) }} as touchpoint_id,
        member_id,
        cast(null as {{ dbt.type_string() }}) as session_id,
        purchase_id,
        store_id,
        cast(null as {{ dbt.type_string() }}) as product_id,
        'till' as touch_source,
        case when has_sale_line = 1 then 'till_purchase' else 'till_return' end as touch_type,
        'store' as channel,
        cast(null as {{ dbt.type_string() }}) as utm_source,
        cast(null as {{ dbt.type_string() }}) as utm_medium,
        cast(null as {{ dbt.type_string() }}) as utm_campaign,
        cast(net_amount as {{ dbt.type_numeric() }}) as net_amount,
        sold_at as touch_at,
        sales_date as touch_date
    from till_receipts
),

order_statuses as (
    -- the moments of an order a customer lives through: placing it, then delivery, return or
    -- cancellation (the times each status was first reached)
    select
        order_id,
        account_id,
        pickup_store_id,
        channel,
        'order_placed' as touch_type,
        order_total as net_amount,
        placed_at as touch_at
    from orders
    union all
    select
        order_id,
        account_id,
        pickup_store_id,
        channel,
        'order_delivered' as touch_type,
        cast(null as {{ dbt.type_numeric() }}) as net_amount,
        delivered_at as touch_at
    from orders
    where delivered_at is not null
    union all
    select
        order_id,
        account_id,
        pickup_store_id,
        channel,
        'order_returned' as touch_type,
        -- the items are refunded, the shipping fee is not (as in int_sales_lines)
        -(order_total - shipping_fee) as net_amount,
        returned_at as touch_at
    from orders
    where returned_at is not null
    union all
    select
        order_id,
        account_id,
        pickup_store_id,
        channel,
        'order_cancelled' as touch_type,
        cast(null as {{ dbt.type_numeric() }}) as net_amount,
        cancelled_at as touch_at
    from orders
    where cancelled_at is not null
),

online_orders as (
    select
        {{ dbt.concat(["'online_order:'", 'order_statuses.order_id', "':'", 'order_statuses.touch_type']) }}
            as touchpoint_id,
        account_members.member_id,
        cast(null as {{ dbt.type_string() }}) as session_id,
        order_statuses.order_id as purchase_id,
        order_statuses.pickup_store_id as store_id,
        cast(null as {{ dbt.type_string() }}) as product_id,
        'online_order' as touch_source,
        order_statuses.touch_type,
        order_statuses.channel,
        cast(null as {{ dbt.type_string() }}) as utm_source,
        cast(null as {{ dbt.type_string() }}) as utm_medium,
        cast(null as {{ dbt.type_string() }}) as utm_campaign,
        cast(order_statuses.net_amount as {{ dbt.type_numeric() }}) as net_amount,
        order_statuses.touch_at,
        cast({{ from_utc('order_statuses.touch_at', "'" ~ var('default_timezone') ~ "'") }} as date) as touch_date
    from order_statuses
    left join account_members on order_statuses.account_id = account_members.account_id
),

points as (
    -- paying with points at the till or online
    select
        {{ dbt.concat(["'points:'", 'points_redemptions.entry_id']) }} as touchpoint_id,
        points_redemptions.member_id,
        cast(null as {{ dbt.type_string() }}) as session_id,
        coalesce(points_redemptions.transaction_id, points_redemptions.order_id) as purchase_id,
        coalesce(till_receipts.store_id, orders.pickup_store_id) as store_id,
        cast(null as {{ dbt.type_string() }}) as product_id,
        'points' as touch_source,
        'points_redemption' as touch_type,
        case
            when points_redemptions.transaction_id is not null then 'store'
            else coalesce(orders.channel, 'service')
        end as channel,
        cast(null as {{ dbt.type_string() }}) as utm_source,
        cast(null as {{ dbt.type_string() }}) as utm_medium,
        cast(null as {{ dbt.type_string() }}) as utm_campaign,
        cast(null as {{ dbt.type_numeric() }}) as net_amount,
        points_redemptions.entry_at as touch_at,
        points_redemptions.entry_date as touch_date
    from points_redemptions
    left join till_receipts on points_redemptions.transaction_id = till_receipts.purchase_id
    left join orders on points_redemptions.order_id = orders.order_id
),

surveys as (
    select
        {{ dbt.concat(["'survey:'", 'response_id']) }} as touchpoint_id,
        member_id,
        cast(null as {{ dbt.type_string() }}) as session_id,
        purchase_id,
        store_id,
        cast(null as {{ dbt.type_string() }}) as product_id,
        'survey' as touch_source,
        'survey_response' as touch_type,
        case
            when touchpoint = 'customer_service' or channel = 'phone' then 'service'
            when channel in ('web', 'app', 'store') then channel
            when store_id is not null then 'store'
            else 'service'
        end as channel,
        cast(null as {{ dbt.type_string() }}) as utm_source,
        cast(null as {{ dbt.type_string() }}) as utm_medium,
        cast(null as {{ dbt.type_string() }}) as utm_campaign,
        cast(null as {{ dbt.type_numeric() }}) as net_amount,
        submitted_at as touch_at,
        submitted_date as touch_date
    from survey_responses
),

touches as (
    select * from web_events
    union all
    select * from till
    union all
    select * from online_orders
    union all
    select * from points
    union all
    select * from surveys
),

final as (
    select
        -- ids
        touchpoint_id,
        member_id,
        session_id,
        purchase_id,
        store_id,
        product_id,
        -- attributes
        touch_source,
        touch_type,
        case
            when touch_type in (
                'page_view', 'search', 'product_view', 'compare', 'add_to_cart',
                'remove_from_cart', 'coupon_view'
            ) then 'pre_purchase'
            when touch_type in (
                'checkout_start', 'purchase', 'till_purchase', 'order_placed', 'points_redemption'
            ) then 'purchase'
            when touch_type in (
                'review_submit', 'support_contact', 'till_return', 'order_delivered',
                'order_returned', 'order_cancelled', 'survey_response'
            ) then 'post_purchase'
            else 'unclassified'
        end as journey_stage,
        channel,
        utm_source,
        utm_medium,
        utm_campaign,
        -- amounts
        net_amount,
        -- timestamps
        touch_at,
        touch_date
    from touches
)

select * from final
