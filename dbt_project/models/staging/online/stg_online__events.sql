{{
    config(
        materialized='incremental',
        on_schema_change='fail',
        tags=['partitioned'],
        post_hook="{{ drop_later_deliveries('event_id') }}",
        **partitioned_by_day('business_date'),
    )
}}

-- One row per web/app event. Events are delivered at least once: the first delivery (the
-- earliest business day, then file and row) wins, also across days, so that a full refresh
-- and a day-by-day build give the same table.
with

source as (
    select * from {{ source('online', 'online_events') }}
    {% if is_incremental() %}
        where {{ partition_window_filter('business_date') }}
    {% endif %}
),

deliveries as (
    select
        *,
        row_number() over (
            partition by event_id
            order by business_date, _source_file, _source_row
        ) as delivery_rank
    from source
),

first_deliveries as (
    select deliveries.*
    from deliveries
    {% if is_incremental() %}
        -- delivered already on a day before the window: that delivery stays the one kept
        left join (
            select distinct event_id
            from {{ this }}
            where business_date < cast('{{ var("min_business_date") }}' as date)
        ) as earlier on deliveries.event_id = earlier.event_id
        where deliveries.delivery_rank = 1 and earlier.event_id is null
    {% else %}
        where deliveries.delivery_rank = 1
    {% endif %}
),

renamed as (
    select
        -- ids
        event_id,
        session_id,
        anonymous_id,
        nullif(trim(account_id), '') as account_id,
        nullif(trim(product_id), '') as product_id,
        nullif(trim(order_id), '') as order_id,
        -- attributes
        lower(channel) as channel,
        lower(event_type) as event_type,
        lower(event_type) in (
            'page_view', 'search', 'product_view', 'compare', 'add_to_cart', 'remove_from_cart',
            'checkout_start', 'purchase', 'coupon_view', 'review_submit', 'support_contact'
        ) as is_known_event_type,
        search_query,
        page,
        referrer,
        lower(utm_source) as utm_source,
        lower(utm_medium) as utm_medium,
        utm_campaign,
        -- timestamps (online data is UTC) and the local day
        {{ to_utc('event_ts', "'UTC'") }} as event_at,
        cast({{ from_utc(to_utc('event_ts', "'UTC'"), "'" ~ var('default_timezone') ~ "'") }} as date)
            as event_date,
        -- lineage
        business_date,
        _source_file as source_file
    from first_deliveries
)

select * from renamed
