{#- Incremental by order (macros/incremental.sql): a daily run recomputes the orders with a
    status version from its window's first day on, from all their versions. It was a table
    without last_business_date before: in a warehouse of then, the first run adds the column
    and recomputes every order (keys_to_recompute). -#}
{{
    config(
        on_schema_change='sync_all_columns',
        tags=['partitioned'],
        post_hook="{{ drop_keys_without_rows('order_id', source('online', 'online_orders'), 'last_business_date') }}",
        **incremental_by_key('order_id'),
    )
}}

-- One row per online order: the latest status version wins (status_updated_at, then the
-- latest file). The time each status was first reached is kept from the earlier versions.
with

{% if is_incremental() %}
recomputed as (
    {{ keys_to_recompute('order_id', source('online', 'online_orders'), 'last_business_date') }}
),
{% endif %}

source as (
    select * from {{ source('online', 'online_orders') }}
    {% if is_incremental() %}
        where order_id in (select order_id from recomputed)
    {% endif %}
),

versions as (
    select
        *,
        {{ to_utc('status_updated_at', "'UTC'") }} as status_updated_at_utc,
        lower(trim(status)) as order_status
    from source
),

ranked as (
    select
        *,
        row_number() over (
            partition by order_id
            order by status_updated_at_utc desc, business_date desc, _source_file desc, _source_row desc
        ) as version_rank
    from versions
),

status_times as (
    select
        order_id,
        count(*) as status_versions,
        min(business_date) as first_business_date,
        max(business_date) as last_business_date,
        min(case when order_status = 'paid' then status_updated_at_utc end) as paid_at,
        min(case when order_status = 'shipped' then status_updated_at_utc end) as shipped_at,
        min(case when order_status = 'delivered' then status_updated_at_utc end) as delivered_at,
        min(case when order_status = 'cancelled' then status_updated_at_utc end) as cancelled_at,
        min(case when order_status = 'returned' then status_updated_at_utc end) as returned_at
    from versions
    group by order_id
),

renamed as (
    select
        -- ids
        ranked.order_id,
        nullif(trim(ranked.account_id), '') as account_id,
        nullif(trim(ranked.pickup_store_id), '') as pickup_store_id,
        -- attributes
        lower(ranked.channel) as channel,
        lower(ranked.device) as device,
        coalesce(lower(ranked.fulfilment), 'delivery') as fulfilment,
        ranked.order_status,
        lower(ranked.payment_method) as payment_method,
        nullif(trim(ranked.coupon_code), '') as coupon_code,
        ranked.order_status = 'cancelled' as is_cancelled,
        ranked.order_status = 'returned' as is_returned,
        status_times.status_versions,
        -- amounts
        coalesce(ranked.shipping_fee, 0) as shipping_fee,
        ranked.order_total,
        -- timestamps (online data is UTC) and the local business day
        {{ to_utc('ranked.placed_at', "'UTC'") }} as placed_at,
        cast({{ from_utc(to_utc('ranked.placed_at', "'UTC'"), "'" ~ var('default_timezone') ~ "'") }} as date)
            as placed_date,
        status_times.paid_at,
        status_times.shipped_at,
        status_times.delivered_at,
        status_times.cancelled_at,
        status_times.returned_at,
        ranked.status_updated_at_utc as status_updated_at,
        cast({{ from_utc('ranked.status_updated_at_utc', "'" ~ var('default_timezone') ~ "'") }} as date)
            as status_updated_date,
        -- lineage
        status_times.first_business_date,
        ranked.business_date as latest_business_date,
        ranked.items as items_json,
        -- last, where a warehouse built before it existed appends it
        status_times.last_business_date
    from ranked
    inner join status_times on ranked.order_id = status_times.order_id
    where ranked.version_rank = 1
)

select * from renamed
