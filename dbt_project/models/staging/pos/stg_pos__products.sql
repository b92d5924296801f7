with

source as (
    select * from {{ source('pos', 'pos_products') }}
),

renamed as (
    select
        -- ids
        product_id,
        -- attributes
        product_name,
        brand,
        department,
        category,
        coalesce(is_private_label, false) as is_private_label,
        -- amounts
        list_price
    from source
)

select * from renamed
