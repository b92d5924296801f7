-- The purchase touches of fct_touchpoints: one per till receipt (not per line), the moments
-- of an online order (placed, delivered, returned, cancelled) and points redemptions. A
-- table rebuilt on every run: identity links found later (a card registered later, an
-- account linked to a member) apply to all old touches at the next build, without
-- reprocessing the incremental staging models.
{{ config(materialized='table') }}

with

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

account_members as (
    select
        identifier_value as account_id,
        member_id
    from {{ ref('int_identity_map') }}
    where identifier_type = 'online_account_id'
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

final as (
    select * from till
    union all
    select * from online_orders
    union all
    select * from points
)

select * from final
