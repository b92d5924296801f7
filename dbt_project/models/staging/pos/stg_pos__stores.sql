with

source as (
    select * from {{ source('pos', 'pos_stores') }}
),

renamed as (
    select
        -- ids
        store_id,
        -- attributes
        store_name,
        city,
        region,
        lower(format) as store_format,
        coalesce(nullif(trim(timezone), ''), '{{ var("default_timezone") }}') as timezone,
        -- dates
        opened_on
    from source
)

select * from renamed
