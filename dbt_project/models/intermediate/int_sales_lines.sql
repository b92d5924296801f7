-- One row per sales line, till and online, net of cancellations: till receipt lines as
-- rung up (refund receipts are negative lines), online order items of every order that was
-- not cancelled, and for a returned order the same items again as negative lines on the
-- day of the return. Members come from int_identity_map (card at the till, account online).
-- A table rebuilt on every run (a dozen models read it): identity links found later apply
-- to all history at the next build without reprocessing the incremental staging.
{{ config(materialized='table') }}

with

till_lines as (
    select * from {{ ref('stg_pos__transaction_lines') }}
),

orders as (
    select * from {{ ref('stg_online__orders') }}
    where not is_cancelled
),

order_items as (
    select * from {{ ref('stg_online__order_items') }}
),

identity_map as (
    select * from {{ ref('int_identity_map') }}
),

till as (
    select
        -- ids
        {{ dbt.concat(["'pos:'", 'till_lines.transaction_id', "':'", text('till_lines.line_number')]) }}
            as sales_line_id,
        'pos' as sales_source,
        till_lines.transaction_id as purchase_id,
        till_lines.line_number,
        till_lines.return_of_transaction_id as return_of_purchase_id,
        card_links.member_id,
        till_lines.store_id,
        till_lines.product_id,
        -- attributes
        'store' as sales_channel,
        'till' as fulfilment,
        till_lines.payment_method,
        till_lines.is_return,
        -- amounts
        till_lines.quantity,
        till_lines.unit_price,
        till_lines.discount_amount,
        till_lines.net_amount,
        -- timestamps
        till_lines.transacted_at as sold_at,
        till_lines.transaction_date as sales_date
    from till_lines
    left join identity_map as card_links
        on
            card_links.identifier_type = 'card_id'
            and till_lines.member_card_id = card_links.identifier_value
),

online_purchases as (
    select
        {{ dbt.concat(["'online:'", 'orders.order_id', "':'", text('order_items.item_number')]) }}
            as sales_line_id,
        'online' as sales_source,
        orders.order_id as purchase_id,
        order_items.item_number as line_number,
        cast(null as {{ dbt.type_string() }}) as return_of_purchase_id,
        account_links.member_id,
        orders.pickup_store_id as store_id,
        order_items.product_id,
        orders.channel as sales_channel,
        orders.fulfilment,
        orders.payment_method,
        false as is_return,
        order_items.quantity,
        order_items.unit_price,
        order_items.discount_amount,
        order_items.net_amount,
        orders.placed_at as sold_at,
        orders.placed_date as sales_date
    from orders
    inner join order_items on orders.order_id = order_items.order_id
    left join identity_map as account_links
        on
            account_links.identifier_type = 'online_account_id'
            and orders.account_id = account_links.identifier_value
),

online_returns as (
    -- a returned order gives back all its items (the shop reports returns per order)
    select
        {{ dbt.concat(["'online-return:'", 'orders.order_id', "':'", text('order_items.item_number')]) }}
            as sales_line_id,
        'online' as sales_source,
        {{ dbt.concat(['orders.order_id', "':return'"]) }} as purchase_id,
        order_items.item_number as line_number,
        orders.order_id as return_of_purchase_id,
        account_links.member_id,
        orders.pickup_store_id as store_id,
        order_items.product_id,
        orders.channel as sales_channel,
        orders.fulfilment,
        orders.payment_method,
        true as is_return,
        -order_items.quantity as quantity,
        order_items.unit_price,
        order_items.discount_amount,
        -order_items.net_amount as net_amount,
        orders.returned_at as sold_at,
        cast({{ from_utc('orders.returned_at', "'" ~ var('default_timezone') ~ "'") }} as date) as sales_date
    from orders
    inner join order_items on orders.order_id = order_items.order_id
    left join identity_map as account_links
        on
            account_links.identifier_type = 'online_account_id'
            and orders.account_id = account_links.identifier_value
    where orders.is_returned
),

final as (
    select * from till
    union all
    select * from online_purchases
    union all
    select * from online_returns
)

select * from final
