{{
    config(
        materialized='incremental',
        on_schema_change='fail',
        tags=['partitioned'],
        post_hook="{{ drop_later_deliveries('entry_id') }}",
        **partitioned_by_day('business_date'),
    )
}}

-- One row per points ledger entry. An entry may be delivered again in a later day's file:
-- the first delivery (the earliest business day, then file and row) wins, also across days,
-- so that a full refresh and a day-by-day build give the same table.
with

source as (
    select * from {{ source('crm', 'crm_points') }}
    {% if is_incremental() %}
        where {{ partition_window_filter('business_date') }}
    {% endif %}
),

deliveries as (
    select
        *,
        row_number() over (
            partition by entry_id
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
            select distinct entry_id
            from {{ this }}
            where business_date < cast('{{ var("min_business_date") }}' as date)
        ) as earlier on deliveries.entry_id = earlier.entry_id
        where deliveries.delivery_rank = 1 and earlier.entry_id is null
    {% else %}
        where deliveries.delivery_rank = 1
    {% endif %}
),

renamed as (
    select
        -- ids
        entry_id,
        member_id,
        nullif(trim(transaction_id), '') as transaction_id,
        nullif(trim(order_id), '') as order_id,
        -- attributes
        lower(trim(entry_type)) as entry_type,
        lower(nullif(trim(reason), '')) as reason,
        -- amounts
        cast(points as bigint) as points,
        -- timestamps: UTC, and the local day of the entry
        {{ to_utc('entry_ts', "'" ~ var('default_timezone') ~ "'") }} as entry_at,
        cast(
            {{ from_utc(to_utc('entry_ts', "'" ~ var('default_timezone') ~ "'"), "'" ~ var('default_timezone') ~ "'") }}
            as date
        ) as entry_date,
        -- lineage
        business_date,
        _source_file as source_file
    from first_deliveries
)

select * from renamed
