-- In the partitioned (daily) run with the orders it explodes, so that its tests (e.g. every
-- item's order exists) see both built by the same run; a table rebuilt by every run.
{{ config(materialized='table', tags=['partitioned']) }}

-- One row per item of an online order (its latest version), exploded from the items array.
with

orders as (
    select
        order_id,
        items_json
    from {{ ref('stg_online__orders') }}
),

exploded as (
    {{ explode_json_array('orders', 'order_id', 'items_json') }}
),

renamed as (
    select
        -- ids
        order_id,
        element_number as item_number,
        {{ json_field('element', 'product_id') }} as product_id,
        -- amounts
        {{ try_cast(json_field('element', 'quantity'), 'decimal(18, 4)') }} as quantity,
        {{ try_cast(json_field('element', 'unit_price'), 'decimal(18, 4)') }} as unit_price,
        coalesce({{ try_cast(json_field('element', 'discount_amount'), 'decimal(18, 4)') }}, 0)
            as discount_amount
    from exploded
),

final as (
    select
        *,
        cast(quantity * unit_price - discount_amount as decimal(18, 4)) as net_amount
    from renamed
)

select * from final
