{#- Incremental by session (macros/incremental.sql): a daily run recomputes the sessions with
    an event from its window's first day on, from all their events. -#}
{{
    config(
        on_schema_change='sync_all_columns',
        tags=['partitioned'],
        post_hook="{{ drop_keys_without_rows('session_id', ref('stg_online__events'), 'last_business_date') }}",
        **incremental_by_key('session_id'),
    )
}}

-- One row per web/app session: what the visitor did, from its events alone. Who the visitor
-- is (the identity map) is added by int_web_sessions at every build, so that a device
-- linked to a member by a later login gets that member on its earlier sessions without
-- sessionising every event again.
with

{% if is_incremental() %}
recomputed as (
    {{ keys_to_recompute('session_id', ref('stg_online__events'), 'last_business_date') }}
),
{% endif %}

events as (
    select * from {{ ref('stg_online__events') }}
    {% if is_incremental() %}
        where session_id in (select session_id from recomputed)
    {% endif %}
),

numbered as (
    -- the first event of a session carries its entry attributes (campaign, referrer)
    select
        *,
        row_number() over (
            partition by session_id
            order by event_at, event_id
        ) as event_number
    from events
),

sessions as (
    select
        -- ids
        session_id,
        max(case when event_number = 1 then anonymous_id end) as anonymous_id,
        max(account_id) as account_id,
        max(case when event_type = 'purchase' then order_id end) as order_id,
        -- attributes
        max(case when event_number = 1 then channel end) as channel,
        max(case when event_number = 1 then utm_source end) as utm_source,
        max(case when event_number = 1 then utm_medium end) as utm_medium,
        max(case when event_number = 1 then utm_campaign end) as utm_campaign,
        max(case when event_number = 1 then referrer end) as referrer,
        -- counts
        count(*) as events,
        sum(case when event_type = 'page_view' then 1 else 0 end) as page_views,
        sum(case when event_type = 'search' then 1 else 0 end) as searches,
        sum(case when event_type = 'product_view' then 1 else 0 end) as product_views,
        sum(case when event_type = 'compare' then 1 else 0 end) as compares,
        sum(case when event_type = 'add_to_cart' then 1 else 0 end) as add_to_carts,
        sum(case when event_type = 'checkout_start' then 1 else 0 end) as checkout_starts,
        sum(case when event_type = 'purchase' then 1 else 0 end) as purchases,
        sum(case when event_type = 'coupon_view' then 1 else 0 end) as coupon_views,
        -- timestamps
        min(event_at) as started_at,
        max(event_at) as ended_at,
        max(case when event_number = 1 then event_date end) as session_date,
        -- lineage: the business days of the session's events
        min(business_date) as first_business_date,
        max(business_date) as last_business_date
    from numbered
    group by session_id
)

select * from sessions
