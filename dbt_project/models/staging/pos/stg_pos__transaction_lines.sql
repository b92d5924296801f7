{{
    config(
        materialized='incremental',
        on_schema_change='fail',
        tags=['partitioned'],
        **partitioned_by_day('transaction_date'),
    )
}}

with

source as (
    select * from {{ source('pos', 'pos_transactions') }}
    {% if is_incremental() %}
        where {{ partition_window_filter('business_date') }}
    {% endif %}
),

-- read from the source, not stg_pos__stores, so that this partitioned model depends on
-- ingested data only
stores as (
    select
        store_id,
        coalesce(nullif(trim(timezone), ''), '{{ var("default_timezone") }}') as timezone
    from {{ source('pos', 'pos_stores') }}
),

renamed as (
    select
        -- ids
        source.transaction_id,
        source.line_number,
        source.store_id,
        nullif(trim(source.member_card_id), '') as member_card_id,
        source.product_id,
        nullif(trim(source.return_of_transaction_id), '') as return_of_transaction_id,
        -- amounts
        source.quantity,
        source.unit_price,
        coalesce(source.discount_amount, 0) as discount_amount,
        source.net_amount,
        -- attributes
        lower(source.payment_method) as payment_method,
        source.quantity < 0 or source.return_of_transaction_id is not null as is_return,
        -- timestamps: UTC, and the store-local business day the receipt belongs to
        {{ to_utc('source.transaction_ts', "coalesce(stores.timezone, '" ~ var('default_timezone') ~ "')") }}
            as transacted_at,
        source.business_date as transaction_date,
        -- lineage
        source._source_file as source_file
    from source
    left join stores on source.store_id = stores.store_id
)

select * from renamed
